//! Faults, each reproduced: a worker killed under `wait`, a full disk, a register killed at
//! every step, two predicts writing one file, a queued run whose launcher died, a store from a
//! newer Shelfcast, a manifest naming a file outside its bundle.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shelfcast::store::{RunStatus, RunStore};

use crate::common::{bin, describe, project, sales_project, sha256_of, shelfcast_in, train_sales};

fn launch(root: &Path, rounds: &str) -> i64 {
    let output = shelfcast_in(
        root,
        &[
            "train",
            "--data",
            "data/sales.csv",
            "--target",
            "units",
            "--split",
            "time:week:4",
            "--param",
            rounds,
            "--param",
            "learning_rate=0.001",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("run id")
}

fn worker_pid(root: &Path, run: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let store = RunStore::open(&root.join("runs.db")).expect("store");
        let record = store.get_run(run).expect("run");
        if record.status == RunStatus::Running
            && let Some(pid) = record.pid
        {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never started: {record:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_worker_killed_under_wait_is_reported_failed_within_two_seconds() {
    let (_tmp, root) = sales_project(3, 3, 40);
    let run = launch(&root, "rounds=100000");
    let pid = worker_pid(&root, run);
    let mut wait = Command::new(bin())
        .arg("--root")
        .arg(&root)
        .args(["wait", &run.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wait");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        wait.try_wait().expect("poll").is_none(),
        "wait ended before the kill"
    );
    let killed = Instant::now();
    // SAFETY: a plain kill(2) of the worker this test started.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    let status = loop {
        if let Some(status) = wait.try_wait().expect("poll") {
            break status;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "wait still hangs after the worker died"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let noticed = killed.elapsed();
    let output = wait.wait_with_output().expect("output");
    assert!(!status.success());
    assert!(
        noticed < Duration::from_secs(2),
        "noticed after {noticed:?}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("the worker (pid {pid}) ended without finishing")),
        "{stdout}"
    );
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    assert_eq!(store.get_run(run).expect("run").status, RunStatus::Failed);
}

#[test]
fn a_queued_run_whose_launcher_died_is_reaped_and_a_queued_run_can_be_cancelled() {
    let (_tmp, root) = project();
    let db = root.join("runs.db");
    let orphan = crate::common::queue_bare_run(&root, "orphan");
    let fresh = crate::common::queue_bare_run(&root, "fresh");
    // The orphan was queued a minute ago and no worker ever took it.
    let sqlite = rusqlite::Connection::open(&db).expect("sqlite");
    sqlite
        .execute(
            "UPDATE runs SET created_at = ?1 WHERE id = ?2",
            rusqlite::params![
                (chrono::Utc::now() - chrono::Duration::seconds(60))
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                orphan
            ],
        )
        .expect("backdate");
    drop(sqlite);
    let mut store = RunStore::open(&db).expect("store");
    let orphan_run = store.get_run(orphan).expect("orphan");
    assert_eq!(orphan_run.status, RunStatus::Failed);
    assert!(
        orphan_run
            .error
            .as_deref()
            .is_some_and(|e| e.contains("no worker started it within 30 s")),
        "{orphan_run:?}"
    );
    // A run queued a moment ago is still waiting for its worker.
    assert_eq!(
        store.get_run(fresh).expect("fresh").status,
        RunStatus::Queued
    );
    assert!(store.reap_dead_runs().expect("reap").is_empty());
    drop(store);
    let output = shelfcast_in(&root, &["cancel", &fresh.to_string()]);
    assert!(output.status.success(), "{}", describe(&output));
    let store = RunStore::open(&db).expect("store");
    let cancelled = store.get_run(fresh).expect("fresh");
    assert_eq!(cancelled.status, RunStatus::Killed, "{cancelled:?}");
}

/// A tmpfs of `kib` KiB mounted at `dir` for the test's life, or `None` (after saying why) where
/// this process may not mount one.
struct TinyDisk {
    dir: std::path::PathBuf,
}

impl TinyDisk {
    fn mount(dir: &Path, kib: u64) -> Option<Self> {
        std::fs::create_dir_all(dir).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(Self {
                dir: dir.to_path_buf(),
            }),
            Ok(output) => {
                println!(
                    "SKIP full-disk test: mounting a tmpfs was refused ({}); it needs root",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
            Err(e) => {
                println!("SKIP full-disk test: no mount command ({e})");
                None
            }
        }
    }

    /// Fills the disk but for `keep_kib`.
    fn fill(&self, keep_kib: u64) {
        let free = Command::new("df")
            .args(["-k", "--output=avail"])
            .arg(&self.dir)
            .output()
            .expect("df");
        let free: u64 = String::from_utf8_lossy(&free.stdout)
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .expect("free space");
        let filler = vec![0u8; (free.saturating_sub(keep_kib) * 1024) as usize];
        std::fs::write(self.dir.join("filler"), filler).expect("fill");
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

#[test]
fn on_a_full_disk_the_worker_cleans_up_records_the_failure_and_reading_still_works() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(disk) = TinyDisk::mount(&tmp.path().join("disk"), 1200) else {
        return;
    };
    let root = disk.dir.join("shop");
    std::fs::create_dir_all(root.join("data")).expect("data");
    std::fs::write(
        root.join("data/sales.csv"),
        crate::common::weekly_sales_csv(2, 2, 30),
    )
    .expect("sales");
    let output = shelfcast_in(&root, &["runs"]);
    assert!(output.status.success(), "{}", describe(&output));
    // Room for the run's rows and points, not for its model.
    disk.fill(120);
    let output = shelfcast_in(
        &root,
        &[
            "train",
            "--data",
            "data/sales.csv",
            "--target",
            "units",
            "--split",
            "time:week:4",
            "--param",
            "rounds=200",
            "--wait",
        ],
    );
    assert!(!output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("failed") && stdout.contains("No space left on device"),
        "{}",
        describe(&output)
    );
    // No partial bundle is left behind.
    let leftovers: Vec<_> = walk(&root.join("models"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Reading works on the full disk.
    disk.fill(0);
    for args in [vec!["runs"], vec!["run", "show", "1"], vec!["models"]] {
        let output = shelfcast_in(&root, &args);
        assert!(output.status.success(), "{args:?}: {}", describe(&output));
    }
    let output = shelfcast_in(&root, &["runs"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("failed"));
    // And in a folder that cannot be written at all (root ignores permission bits, so the
    // disk itself is made read-only).
    let remounted = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&disk.dir)
        .status()
        .is_ok_and(|s| s.success());
    if remounted {
        for args in [vec!["runs"], vec!["run", "show", "1"], vec!["models"]] {
            let output = shelfcast_in(&root, &args);
            assert!(
                output.status.success(),
                "read-only {args:?}: {}",
                describe(&output)
            );
        }
        let output = shelfcast_in(&root, &["runs"]);
        assert!(String::from_utf8_lossy(&output.stdout).contains("failed"));
    } else {
        println!("SKIP the read-only half: the tmpfs could not be remounted read-only");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            out.push(entry.path());
            if entry.path().is_dir() {
                out.extend(walk(&entry.path()));
            }
        }
    }
    out
}

#[test]
fn a_register_killed_at_any_step_leaves_a_version_or_nothing_and_never_wedges_the_name() {
    let (_tmp, root) = sales_project(2, 2, 30);
    train_sales(&root, 4, &["--param", "rounds=20"]);
    let versions = |root: &Path| -> Vec<i64> {
        let output = shelfcast_in(root, &["models", "--json"]);
        assert!(output.status.success(), "{}", describe(&output));
        let models: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        models
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|m| m["versions"].as_array().cloned().unwrap_or_default())
            .filter_map(|v| v["version"].as_i64())
            .collect()
    };
    let mut expected = Vec::new();
    for (point, adopted) in [
        ("register:after-copy", false),
        ("register:after-rename", true),
        ("register:before-commit", true),
    ] {
        let output = Command::new(bin())
            .arg("--root")
            .arg(&root)
            .args(["register", "1", "--model", "crash"])
            .env("SHELFCAST_FAILPOINT", point)
            .output()
            .expect("register");
        assert!(!output.status.success(), "{point}: {}", describe(&output));
        // The next open cleans or adopts, and says so.
        let output = shelfcast_in(&root, &["models"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if adopted {
            expected.push(expected.len() as i64 + 1);
            assert!(
                stderr.contains("adopted models/crash/"),
                "{point}: {stderr}"
            );
        } else {
            assert!(stderr.contains("removed 1 leftover"), "{point}: {stderr}");
        }
        assert_eq!(versions(&root), expected, "{point}");
    }
    // Two registers at once: distinct versions, both complete.
    let start = |_: usize| {
        Command::new(bin())
            .arg("--root")
            .arg(&root)
            .args(["register", "1", "--model", "crash"])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| start(0));
        let b = s.spawn(|| start(1));
        (a.join().expect("a"), b.join().expect("b"))
    });
    for output in [a.expect("a"), b.expect("b")] {
        assert!(output.status.success(), "{}", describe(&output));
    }
    assert_eq!(versions(&root), [1, 2, 3, 4]);
    for version in 1..=4 {
        let output = shelfcast_in(&root, &["check-model", &format!("crash:{version}")]);
        assert!(output.status.success(), "{version}: {}", describe(&output));
    }
}

/// `predict --model sales --input data/sales.csv --output out.csv`.
fn predict_to_out(root: &Path) -> std::process::Output {
    shelfcast_in(
        root,
        &[
            "predict",
            "--model",
            "sales",
            "--input",
            "data/sales.csv",
            "--output",
            "out.csv",
        ],
    )
}

#[test]
fn two_predicts_to_one_output_leave_one_complete_file() {
    let (_tmp, root) = sales_project(3, 3, 40);
    train_sales(&root, 4, &["--param", "rounds=20"]);
    let output = shelfcast_in(&root, &["register", "1", "--model", "sales"]);
    assert!(output.status.success(), "{}", describe(&output));
    let rows = std::fs::read_to_string(root.join("data/sales.csv"))
        .expect("sales")
        .lines()
        .count()
        - 1;
    for _ in 0..3 {
        let outputs = std::thread::scope(|s| {
            let runs: Vec<_> = (0..2).map(|_| s.spawn(|| predict_to_out(&root))).collect();
            runs.into_iter()
                .map(|r| r.join().expect("predict"))
                .collect::<Vec<_>>()
        });
        for output in &outputs {
            assert!(output.status.success(), "{}", describe(output));
        }
        let text = std::fs::read_to_string(root.join("out.csv")).expect("out");
        assert_eq!(text.lines().count(), rows + 1);
        assert!(
            text.lines().all(|l| l.split(',').count() == 11),
            "a mixed file"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&root)
            .expect("root")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    // A leftover of a dead writer is cleaned by the next write beside it.
    std::fs::write(
        root.join(".out.csv.partial-999999999-0000000000000000"),
        "half",
    )
    .expect("x");
    let output = predict_to_out(&root);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        !root
            .join(".out.csv.partial-999999999-0000000000000000")
            .exists()
    );
}

#[test]
fn a_store_from_a_newer_shelfcast_is_refused_with_its_bytes_unchanged() {
    let (_tmp, root) = project();
    let db = root.join("runs.db");
    {
        let conn = rusqlite::Connection::open(&db).expect("sqlite");
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 999;")
            .expect("future");
    }
    let before = sha256_of(&db);
    for args in [vec!["runs"], vec!["models"], vec!["datasets"]] {
        let output = shelfcast_in(&root, &args);
        assert!(!output.status.success(), "{args:?}: {}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("written by a newer Shelfcast (schema version 999"),
            "{stderr}"
        );
        assert_eq!(sha256_of(&db), before, "{args:?} changed the file");
    }
    let names: Vec<String> = std::fs::read_dir(&root)
        .expect("root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("runs.db-")),
        "{names:?}"
    );
}

#[test]
fn a_manifest_naming_a_file_outside_its_bundle_is_refused() {
    let (_tmp, root) = sales_project(2, 2, 30);
    train_sales(&root, 4, &["--param", "rounds=10"]);
    let output = shelfcast_in(&root, &["register", "1", "--model", "sales"]);
    assert!(output.status.success(), "{}", describe(&output));
    let manifest_path = root.join("models/sales/1/manifest.json");
    let original = std::fs::read_to_string(&manifest_path).expect("manifest");
    std::fs::write(root.join("models/sales/secret.json"), "{}").expect("secret");
    for evil in ["../secret.json", "/etc/hostname"] {
        let mut manifest: serde_json::Value = serde_json::from_str(&original).expect("json");
        manifest["files"][1]["name"] = serde_json::Value::from(evil);
        std::fs::write(&manifest_path, manifest.to_string()).expect("write");
        let output = shelfcast_in(&root, &["check-model", "sales:1"]);
        assert!(!output.status.success(), "{evil}: {}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "the manifest names '{evil}', which is not a file inside"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn log1p_of_a_target_at_or_below_minus_one_is_refused_before_any_run_exists() {
    let (_tmp, root) = project();
    let mut csv = crate::common::weekly_sales_csv(2, 2, 20);
    csv.push_str("2022-06-06,S0,I0,Dairy,2.50,0,same,-3\n");
    std::fs::write(root.join("data/sales.csv"), csv).expect("write");
    let output = shelfcast_in(
        &root,
        &[
            "train",
            "--data",
            "data/sales.csv",
            "--target",
            "units",
            "--log1p",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "--log1p needs a target above -1, but 'units' is -3 in data row 81 (line 82)"
        ),
        "{stderr}"
    );
    assert!(
        !root.join("runs.db").exists() || {
            let store = RunStore::open(&root.join("runs.db")).expect("store");
            store
                .list_runs(&Default::default())
                .expect("runs")
                .is_empty()
        }
    );
}
