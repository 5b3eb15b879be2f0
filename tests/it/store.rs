//! The run store: migrations, reopening, refusing newer files, metric batches, and several
//! processes at once.

use std::process::Command;
use std::time::{Duration, Instant};

use shelfcast::store::{
    MetricPoint, NewArtifact, NewRun, RunFilter, RunStatus, RunStore, StoreError, latest_version,
};

fn new_run(store: &mut RunStore, name: &str) -> i64 {
    store
        .create_run(&NewRun {
            experiment: "promo".into(),
            name: name.into(),
            model_kind: "gbdt".into(),
            task: "regression".into(),
            dataset_id: None,
            parent_run_id: None,
        })
        .expect("create run")
}

fn table_names(store_path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(store_path).expect("open raw");
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare");
    stmt.query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names")
}

#[test]
fn migrates_an_empty_file_to_the_full_schema_with_wal_and_foreign_keys() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    let store = RunStore::open(&path).expect("open");
    assert_eq!(store.schema_version().expect("version"), latest_version());
    drop(store);
    let tables = table_names(&path);
    for table in [
        "artifacts",
        "dataset_profiles",
        "datasets",
        "drift_reports",
        "experiments",
        "forecasts",
        "job_runs",
        "metric_points",
        "metric_series",
        "model_aliases",
        "model_versions",
        "params",
        "predictions",
        "promotion_decisions",
        "runs",
        "schedules",
        "tags",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "missing table {table}: {tables:?}"
        );
    }
    let conn = rusqlite::Connection::open(&path).expect("raw");
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");
}

#[test]
fn a_store_frozen_at_version_1_upgrades_and_keeps_its_metrics() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    {
        // What a Shelfcast of schema version 1 left behind.
        let conn = rusqlite::Connection::open(&path).expect("raw");
        conn.execute_batch(shelfcast::store::MIGRATIONS[0])
            .expect("v1 schema");
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO experiments (id, name, created_at) VALUES (1, 'old', '2026-01-01');
             INSERT INTO runs (id, experiment_id, name, status, model_kind, task, created_at)
                 VALUES (7, 1, 'legacy', 'finished', 'gbdt', 'regression', '2026-01-01');
             INSERT INTO metrics (run_id, key, step, value, timestamp_ms) VALUES
                 (7, 'val_rmse', 0, 3.5, 10), (7, 'val_rmse', 1, 3.25, 20),
                 (7, 'train_loss', 0, 9.0, 10);",
        )
        .expect("v1 data");
    }
    let store = RunStore::open(&path).expect("upgrade");
    assert_eq!(store.schema_version().expect("version"), latest_version());
    let history = store.metric_history(7, "val_rmse").expect("history");
    assert_eq!(
        history
            .iter()
            .map(|p| (p.step, p.value, p.timestamp_ms))
            .collect::<Vec<_>>(),
        vec![(0, 3.5, 10), (1, 3.25, 20)]
    );
    assert_eq!(
        store.metric_keys(7).expect("keys"),
        vec!["train_loss", "val_rmse"]
    );
    assert_eq!(store.get_run(7).expect("run").name, "legacy");
    // Migration 4 summarised the old points.
    let summary = store
        .metric_summaries(7)
        .expect("summaries")
        .into_iter()
        .find(|s| s.key == "val_rmse")
        .expect("val_rmse");
    assert_eq!(
        (summary.last_step, summary.last_value, summary.points),
        (Some(1), Some(3.25), 2)
    );
    assert_eq!(
        (summary.min_value, summary.max_value),
        (Some(3.25), Some(3.5))
    );
    drop(store);
    // The flat `metrics` view still answers for people reading the file with sqlite3.
    let conn = rusqlite::Connection::open(&path).expect("raw");
    let count: i64 = conn
        .query_row("SELECT count(*) FROM metrics WHERE run_id = 7", [], |r| {
            r.get(0)
        })
        .expect("view");
    assert_eq!(count, 3);
}

#[test]
fn every_migration_applies_on_a_fresh_database() {
    // The migration list itself is valid SQL, in order, on a blank database.
    let conn = rusqlite::Connection::open_in_memory().expect("mem");
    for (i, sql) in shelfcast::store::MIGRATIONS.iter().enumerate() {
        conn.execute_batch(sql)
            .unwrap_or_else(|e| panic!("migration {} fails: {e}", i + 1));
    }
}

#[test]
fn a_reopened_store_keeps_runs_params_metrics_tags_and_artifacts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    let id = {
        let mut store = RunStore::open(&path).expect("open");
        let id = new_run(&mut store, "first");
        store
            .log_params(id, &[("learning_rate", "0.1"), ("rounds", "200")])
            .expect("params");
        store
            .log_metrics(
                id,
                &[
                    MetricPoint::now("val_rmse", 0, 5.0),
                    MetricPoint::now("val_rmse", 1, 4.5),
                ],
            )
            .expect("metrics");
        store.set_tags(id, &[("owner", "ana")]).expect("tags");
        store
            .add_artifact(
                id,
                &NewArtifact {
                    path: "model.json".into(),
                    kind: "model".into(),
                    sha256: "ab".repeat(32),
                    bytes: 1234,
                },
            )
            .expect("artifact");
        store
            .set_status(id, RunStatus::Running, None)
            .expect("running");
        store.set_pid(id, 4242).expect("pid");
        store
            .set_status(id, RunStatus::Failed, Some("worker died"))
            .expect("failed");
        id
    };
    let store = RunStore::open(&path).expect("reopen");
    let run = store.get_run(id).expect("get");
    assert_eq!(run.name, "first");
    assert_eq!(run.experiment, "promo");
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.error.as_deref(), Some("worker died"));
    assert_eq!(run.pid, Some(4242));
    assert!(run.started_at.is_some() && run.ended_at.is_some());
    assert_eq!(
        store.params(id).expect("params"),
        vec![
            ("learning_rate".to_string(), "0.1".to_string()),
            ("rounds".to_string(), "200".to_string())
        ]
    );
    let history = store.metric_history(id, "val_rmse").expect("history");
    assert_eq!(
        history
            .iter()
            .map(|p| (p.step, p.value))
            .collect::<Vec<_>>(),
        vec![(0, 5.0), (1, 4.5)]
    );
    assert_eq!(
        store.tags(id).expect("tags"),
        vec![("owner".into(), "ana".into())]
    );
    let artifacts = store.artifacts(id).expect("artifacts");
    assert_eq!(artifacts.len(), 1);
    assert_eq!(artifacts[0].bytes, 1234);
    let failed = store
        .list_runs(&RunFilter {
            status: Some(RunStatus::Failed),
            ..RunFilter::default()
        })
        .expect("list");
    assert_eq!(failed.len(), 1);
    assert!(matches!(
        store.get_run(id + 100),
        Err(StoreError::RunNotFound(_))
    ));
}

#[test]
fn a_store_from_a_newer_shelfcast_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    drop(RunStore::open(&path).expect("create"));
    let future = latest_version() + 3;
    {
        let conn = rusqlite::Connection::open(&path).expect("raw");
        conn.pragma_update(None, "user_version", future)
            .expect("bump version");
    }
    let error = match RunStore::open(&path) {
        Ok(_) => panic!("a newer store must be refused"),
        Err(e) => e,
    };
    let message = error.to_string();
    assert!(matches!(error, StoreError::TooNew { found, .. } if found == future));
    assert!(
        message.contains(&format!("schema version {future}"))
            && message.contains("never migrated down")
            && message.contains("runs.db"),
        "{message}"
    );
    let conn = rusqlite::Connection::open(&path).expect("raw");
    let still: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(still, future);
}

#[test]
fn a_batch_of_ten_thousand_points_is_one_transaction() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    let mut writer = RunStore::open(&path).expect("writer");
    let observer = RunStore::open(&path).expect("observer");
    let id = new_run(&mut writer, "batch");
    let before = observer.data_version().expect("version");
    let points: Vec<MetricPoint> = (0..10_000)
        .map(|step| MetricPoint::now("train_loss", step, 1.0 / (step + 1) as f64))
        .collect();
    writer.log_metrics(id, &points).expect("log");
    let after = observer.data_version().expect("version");
    let stored = || {
        observer
            .metric_history(id, "train_loss")
            .expect("read")
            .len()
    };
    // data_version moves once per commit by another connection.
    assert_eq!(after, before + 1, "the batch took more than one commit");
    assert_eq!(stored(), 10_000);
    // A batch logged twice (a retried write) is still one set of points.
    writer.log_metrics(id, &points).expect("log again");
    assert_eq!(stored(), 10_000);
}

const CHILD_DB: &str = "SHELFCAST_TEST_CHILD_DB";
const CHILD_RUN: &str = "SHELFCAST_TEST_CHILD_RUN";
const CHILD_BATCHES: i64 = 40;
const CHILD_BATCH: i64 = 250;

/// In a child process (started by the test below with these variables set): writes metric
/// batches into the named run. Run directly, it does the same with two writer threads on their
/// own connections, which SQLite locks exactly as it locks processes.
#[test]
fn concurrent_metric_writer() {
    if let (Ok(db), Ok(run)) = (std::env::var(CHILD_DB), std::env::var(CHILD_RUN)) {
        let run: i64 = run.parse().expect("run id");
        write_batches(std::path::Path::new(&db), run);
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    let mut store = RunStore::open(&path).expect("open");
    let runs = [new_run(&mut store, "a"), new_run(&mut store, "b")];
    std::thread::scope(|scope| {
        for run in runs {
            let path = path.clone();
            scope.spawn(move || write_batches(&path, run));
        }
    });
    for run in runs {
        assert_eq!(
            store.metric_history(run, "loss").expect("read").len() as i64,
            CHILD_BATCHES * CHILD_BATCH
        );
    }
}

fn write_batches(path: &std::path::Path, run: i64) {
    let mut store = RunStore::open(path).expect("child open");
    for batch in 0..CHILD_BATCHES {
        let points: Vec<MetricPoint> = (0..CHILD_BATCH)
            .map(|i| MetricPoint::now("loss", batch * CHILD_BATCH + i, i as f64))
            .collect();
        store
            .log_metrics(run, &points)
            .unwrap_or_else(|e| panic!("writer for run {run} failed: {e}"));
    }
}

#[test]
fn two_processes_write_while_a_third_reads_and_nobody_sees_database_is_locked() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    let mut store = RunStore::open(&path).expect("open");
    let runs = [new_run(&mut store, "p1"), new_run(&mut store, "p2")];
    let this_test_binary = std::env::current_exe().expect("test binary");
    let children: Vec<_> = runs
        .iter()
        .map(|run| {
            Command::new(&this_test_binary)
                .args(["--exact", "store::concurrent_metric_writer", "--nocapture"])
                .env(CHILD_DB, &path)
                .env(CHILD_RUN, run.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn writer process")
        })
        .collect();
    // The reader: this process, reading curves as fast as it can while the writers commit.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut reads = 0;
    loop {
        for run in runs {
            store
                .metric_history(run, "loss")
                .unwrap_or_else(|e| panic!("reader failed: {e}"));
            reads += 1;
        }
        let done = runs.iter().all(|&run| {
            store
                .metric_history(run, "loss")
                .map(|h| h.len() as i64)
                .unwrap_or(0)
                == CHILD_BATCHES * CHILD_BATCH
        });
        if done || Instant::now() > deadline {
            break;
        }
    }
    for child in children {
        let output = child.wait_with_output().expect("wait writer");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "writer failed:\n{stdout}\n{stderr}"
        );
        assert!(
            !stderr.contains("locked") && !stdout.contains("locked"),
            "{stdout}{stderr}"
        );
        assert!(
            stdout.contains("1 passed"),
            "the child ran no writer: {stdout}"
        );
    }
    for run in runs {
        assert_eq!(
            store.metric_history(run, "loss").expect("read").len() as i64,
            CHILD_BATCHES * CHILD_BATCH
        );
    }
    assert!(reads > 2, "the reader never overlapped the writers");
}

/// A real, long-lived Shelfcast process to stand in for a worker: the bench's curve reader,
/// polling a store every 200 ms until it is killed.
fn spawn_shelfcast_process(db: &std::path::Path) -> std::process::Child {
    Command::new(crate::common::bin())
        .args(["--root"])
        .arg(db.parent().expect("db folder"))
        .args([
            "bench",
            "metrics-reader",
            "--run",
            "1",
            "--points",
            "999999999",
        ])
        .args(["--every-ms", "200", "--db"])
        .arg(db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn shelfcast")
}

fn running_run_with_pid(store: &mut RunStore, pid: u32) -> i64 {
    let id = new_run(store, "worker");
    store
        .set_status(id, RunStatus::Running, None)
        .expect("running");
    store.set_pid(id, pid).expect("pid");
    let points: Vec<MetricPoint> = (0..10)
        .map(|s| MetricPoint::now("val_rmse", s, 1.0))
        .collect();
    store.log_metrics(id, &points).expect("points");
    id
}

#[test]
fn a_killed_worker_is_marked_failed_on_next_open_and_its_points_stay() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    let mut store = RunStore::open(&path).expect("open");
    let mut worker = spawn_shelfcast_process(&path);
    let id = running_run_with_pid(&mut store, worker.id());
    drop(store);

    // Alive: opening the store leaves the run alone.
    let store = RunStore::open(&path).expect("reopen");
    assert_eq!(store.get_run(id).expect("run").status, RunStatus::Running);
    drop(store);

    // kill -9, and not yet waited for: a zombie is dead too.
    worker.kill().expect("kill -9");
    // The signal lands asynchronously: wait (bounded) until the kernel shows the process dead.
    let deadline = Instant::now() + Duration::from_secs(10);
    while shelfcast::store::is_shelfcast_alive(i64::from(worker.id())) {
        assert!(Instant::now() < deadline, "the killed worker never died");
        std::thread::sleep(Duration::from_millis(10));
    }
    let store = RunStore::open(&path).expect("reopen after kill");
    let run = store.get_run(id).expect("run");
    assert_eq!(run.status, RunStatus::Failed);
    let reason = run.error.unwrap_or_default();
    assert!(
        reason.contains(&format!("pid {}", worker.id())) && reason.contains("up to step 9"),
        "{reason}"
    );
    assert!(run.ended_at.is_some());
    assert_eq!(
        store.metric_history(id, "val_rmse").expect("points").len(),
        10
    );
    let _ = worker.wait();
}

#[test]
fn a_cancelled_run_whose_worker_stopped_is_killed_and_a_recycled_pid_does_not_keep_it_alive() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("runs.db");
    let mut store = RunStore::open(&path).expect("open");
    // A live process that is not Shelfcast: its pid says nothing about our worker.
    let mut stranger = Command::new("sleep").arg("30").spawn().expect("sleep");
    let recycled = running_run_with_pid(&mut store, stranger.id());
    let cancelled = running_run_with_pid(&mut store, stranger.id());
    store.request_cancel(cancelled).expect("cancel");
    let reaped = store.reap_dead_runs().expect("reap");
    assert_eq!(reaped.len(), 2);
    let run = store.get_run(recycled).expect("run");
    assert_eq!(run.status, RunStatus::Failed, "{:?}", run.error);
    let run = store.get_run(cancelled).expect("run");
    assert_eq!(run.status, RunStatus::Killed);
    assert!(run.error.unwrap_or_default().starts_with("cancelled"));
    // Finished runs are never touched again.
    assert!(store.reap_dead_runs().expect("reap again").is_empty());
    let _ = stranger.kill();
    let _ = stranger.wait();
}
