//! A throwaway PostgreSQL cluster for the store's PostgreSQL backend tests: `initdb` in a
//! temporary folder, `pg_ctl start` on a free loopback port, torn down (`pg_ctl stop -m
//! immediate`) when dropped. PostgreSQL refuses to run as root, so under root the cluster is
//! made and run as `nobody` (`runuser`). Without PostgreSQL's binaries a test skips, saying why.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

/// Where `initdb` and `pg_ctl` are: on the PATH, else Debian's versioned folder.
fn pg_bin() -> Option<PathBuf> {
    let on_path = Command::new("sh")
        .args(["-c", "command -v pg_ctl"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let dir = on_path
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| {
            let versions = std::fs::read_dir("/usr/lib/postgresql").ok()?;
            let mut found: Vec<PathBuf> = versions
                .filter_map(|e| Some(e.ok()?.path().join("bin")))
                .filter(|p| p.join("initdb").is_file())
                .collect();
            found.sort();
            found.pop()
        })?;
    (dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()).then_some(dir)
}

fn is_root() -> bool {
    // SAFETY: geteuid only reads the process's credentials.
    unsafe { libc::geteuid() == 0 }
}

impl PgCluster {
    /// The cluster every backend test of this test binary shares (each in its own database,
    /// `fresh_database`), started on first use. Statics are never dropped, so a watchdog stops
    /// it and removes its folder when the test process ends, however it ends.
    pub(crate) fn shared(test: &str) -> Option<&'static PgCluster> {
        static SHARED: OnceLock<Option<PgCluster>> = OnceLock::new();
        let cluster = SHARED
            .get_or_init(|| {
                let cluster = PgCluster::start_quietly()?;
                cluster.stop_when_this_process_ends();
                Some(cluster)
            })
            .as_ref();
        if cluster.is_none() {
            println!("SKIP {test}: PostgreSQL (initdb, pg_ctl) is not installed");
        }
        cluster
    }

    /// A new empty database on the cluster, named after `test`; its URL.
    pub(crate) fn fresh_database(&self, test: &str) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("t{}_{name}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.psql(&format!("CREATE DATABASE {name}"));
        format!("postgres://shelfcast@127.0.0.1:{}/{name}", self.port)
    }

    fn stop_when_this_process_ends(&self) {
        let pg_ctl = self.command_line("pg_ctl");
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {pg_ctl} -D '{data}' -m immediate -w stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            data = self.data_dir().display(),
            dir = self.dir.path().display(),
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }

    /// `program` as a shell command line, run as `nobody` under root.
    fn command_line(&self, program: &str) -> String {
        let path = self.bin.join(program).display().to_string();
        if is_root() {
            format!("runuser -u nobody -- {path}")
        } else {
            path
        }
    }

    /// A running cluster, or `None` (printed as a skip for `test`) without PostgreSQL.
    pub(crate) fn start(test: &str) -> Option<Self> {
        let cluster = Self::start_quietly();
        if cluster.is_none() {
            println!("SKIP {test}: PostgreSQL (initdb, pg_ctl) is not installed");
        }
        cluster
    }

    fn start_quietly() -> Option<Self> {
        let bin = pg_bin()?;
        let dir = tempfile::tempdir().expect("temp dir");
        if is_root() {
            // nobody's uid and gid on Debian; the folder must be theirs.
            std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).expect("chown");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let cluster = Self { dir, bin, port };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "shelfcast",
                "--auth=trust",
                "-E",
                "UTF8",
                // Text sorts bytewise, as in SQLite, so both backends list in one order.
                "--no-locale",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("server.log");
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-o",
                &options,
                "-l",
                &log.display().to_string(),
                "-w",
                "start",
            ],
        );
        Some(cluster)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The connection URL of the cluster's `postgres` database.
    pub(crate) fn url(&self) -> String {
        format!("postgres://shelfcast@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "nobody", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.command(program).args(args).output().expect(program);
        assert!(
            output.status.success(),
            "{program} failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `sql` through psql, its output.
    pub(crate) fn psql(&self, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .args([&self.url(), "-At", "-c", sql])
            .output()
            .expect("psql");
        assert!(
            output.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data_dir().display().to_string();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

#[test]
fn a_throwaway_postgresql_cluster_starts_answers_and_is_torn_down() {
    let Some(cluster) = PgCluster::start("postgres_cluster") else {
        return;
    };
    let version = cluster.psql("SHOW server_version_num");
    let number: u32 = version.parse().expect("a version number");
    assert!(number >= 150_000, "PostgreSQL 15 or newer: {version}");
    cluster.psql("CREATE TABLE probe (id BIGSERIAL PRIMARY KEY, key TEXT NOT NULL)");
    cluster.psql("INSERT INTO probe (key) VALUES ('a'), ('b')");
    assert_eq!(cluster.psql("SELECT count(*) FROM probe"), "2");
    let port = cluster.port;
    drop(cluster);
    // Torn down: nothing answers on its port.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn the_store_schema_migrates_on_postgresql_once_and_a_newer_one_is_refused() {
    let Some(cluster) = PgCluster::start("postgres_schema") else {
        return;
    };
    let latest = shelfcast::store::latest_version();
    // Three processes' worth of connections open the fresh database at once: one migrates it.
    let url = cluster.url();
    let openers: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let store =
                    shelfcast::store::RunStore::open_postgres(&url).expect("open on PostgreSQL");
                store.schema_version().expect("version")
            })
        })
        .collect();
    for opener in openers {
        assert_eq!(opener.join().expect("opener"), latest);
    }
    assert_eq!(cluster.psql("SELECT count(*) FROM shelfcast_schema"), "1");
    // Every table of the schema is there, with SQLite's 64-bit integers and 8-byte reals.
    let tables = cluster.psql(
        "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    for table in [
        "runs",
        "metric_series",
        "metric_points",
        "model_versions",
        "studies",
        "study_trials",
    ] {
        assert!(tables.split(',').any(|t| t == table), "{table} in {tables}");
    }
    let types = cluster.psql(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'metric_points' \
         ORDER BY ordinal_position",
    );
    assert_eq!(types, "bigint\nbigint\nbigint\ndouble precision");
    assert_eq!(
        cluster.psql("SELECT column_name FROM information_schema.columns WHERE table_name = 'runs' AND column_name LIKE 'launched%' ORDER BY 1"),
        "launched_by\nlaunched_on"
    );
    // Opening again migrates nothing; a database from a newer Shelfcast is refused, untouched.
    let again = shelfcast::store::RunStore::open_postgres(&cluster.url()).expect("reopen");
    assert_eq!(again.schema_version().expect("version"), latest);
    drop(again);
    cluster.psql(&format!(
        "UPDATE shelfcast_schema SET version = {}",
        latest + 1
    ));
    let error = shelfcast::store::RunStore::open_postgres(&cluster.url())
        .err()
        .expect("a newer schema is refused")
        .to_string();
    assert!(error.contains("written by a newer Shelfcast"), "{error}");
    assert!(
        error.contains(&format!("schema version {}", latest + 1)),
        "{error}"
    );
    assert_eq!(
        cluster.psql("SELECT version FROM shelfcast_schema"),
        (latest + 1).to_string()
    );
}
