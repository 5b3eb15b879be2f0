//! `shelfcast bench mlflow`: the MLflow bridge's rates beside MLflow's own client on the same
//! runs, in one run. `benches/mlflow_log_runs.py` logs N runs (three with 25,000-step metrics)
//! into an SQLite store with MLflow's client (`log_batch`); Shelfcast imports that store (and
//! imports it again); then Shelfcast exports the imported runs to one `mlflow server` on loopback
//! while MLflow's client logs the same runs to another. Skips, saying why, without mlflow.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::mlflow::{ExportOptions, ImportOptions, export_mlflow, import_mlflow, open_source};
use crate::project::Project;

/// The interpreter with mlflow: SHELFCAST_MLFLOW_PYTHON, else python3.
fn python() -> String {
    std::env::var("SHELFCAST_MLFLOW_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A `mlflow server` process group on loopback, stopped when dropped.
struct Server {
    child: Child,
    uri: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: kill() on the server's own process group (started as its leader).
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path) -> anyhow::Result<Server> {
    use std::os::unix::process::CommandExt;
    std::fs::create_dir_all(dir)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(python())
        .args([
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .arg("--backend-store-uri")
        .arg(format!("sqlite:///{}", dir.join("mlflow.db").display()))
        .args([
            "--serve-artifacts",
            "--workers",
            "1",
            "--artifacts-destination",
        ])
        .arg(dir.join("artifacts"))
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.join("server.log"))?))
        .process_group(0)
        .spawn()?;
    let server = Server {
        child,
        uri: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            std::thread::sleep(Duration::from_millis(500));
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    anyhow::bail!(
        "mlflow server did not listen within 120 s: {}",
        std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
    )
}

fn log_runs(uri: &str, runs: usize, dir: &Path) -> Result<f64, String> {
    let figures = super::run_python_with(
        &python(),
        &super::benches_dir().join("mlflow_log_runs.py"),
        &[
            uri,
            &runs.to_string(),
            "3",
            &dir.join("expected.json").display().to_string(),
        ],
    )?;
    Ok(super::figure(&figures, "log_seconds"))
}

pub fn bench_mlflow(runs: usize) -> anyhow::Result<()> {
    let dir = super::tempfile_dir()?.join("mlflow");
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("source.db");
    let logged_sqlite = match log_runs(&format!("sqlite:///{}", db.display()), runs, &dir) {
        Ok(seconds) => seconds,
        Err(why) => {
            say!("SKIP the MLflow bridge: {why}");
            return Ok(());
        }
    };
    let project = Project::new(&dir.join("project"));
    std::fs::create_dir_all(&project.root)?;
    let source = open_source(&db.display().to_string())?;
    let started = Instant::now();
    let report = import_mlflow(
        &project,
        source.as_ref(),
        &ImportOptions::default(),
        &mut |_, _| {},
    )?;
    let import_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    import_mlflow(
        &project,
        source.as_ref(),
        &ImportOptions::default(),
        &mut |_, _| {},
    )?;
    let reimport_s = started.elapsed().as_secs_f64();
    let points = report.points as f64;
    let n = report.created as f64;
    say!(
        "import: {} runs and {} points in {:.3} s ({:.0} runs/s, {:.0} points/s); again (nothing \
         changed) {:.3} s; MLflow's client logged them into SQLite with log_batch in {:.2} s \
         ({:.0} runs/s, {:.0} points/s)",
        report.created,
        report.points,
        import_s,
        n / import_s,
        points / import_s,
        reimport_s,
        logged_sqlite,
        n / logged_sqlite,
        points / logged_sqlite
    );
    let ours = start_server(&dir.join("server-a"))?;
    let started = Instant::now();
    let exported = export_mlflow(
        &project,
        &ExportOptions {
            tracking_uri: ours.uri.clone(),
            ..ExportOptions::default()
        },
        &mut |_, _| {},
    )?;
    let export_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    export_mlflow(
        &project,
        &ExportOptions {
            tracking_uri: ours.uri.clone(),
            ..ExportOptions::default()
        },
        &mut |_, _| {},
    )?;
    let reexport_s = started.elapsed().as_secs_f64();
    drop(ours);
    let theirs = start_server(&dir.join("server-b"))?;
    let logged_rest = log_runs(&theirs.uri, runs, &dir).map_err(anyhow::Error::msg)?;
    drop(theirs);
    say!(
        "export: {} runs and {} points to mlflow server in {:.2} s with {} calls ({:.1} runs/s, \
         {:.0} points/s); again (nothing changed) {:.2} s; MLflow's client logged the same runs \
         to the same kind of server with log_batch in {:.2} s ({:.1} runs/s, {:.0} points/s): \
         {:.2}x its time",
        exported.created,
        exported.points,
        export_s,
        exported.calls,
        exported.created as f64 / export_s,
        exported.points as f64 / export_s,
        reexport_s,
        logged_rest,
        n / logged_rest,
        points / logged_rest,
        export_s / logged_rest
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
