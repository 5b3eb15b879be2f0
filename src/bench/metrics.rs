//! `shelfcast bench metrics`: how fast step metrics go into runs.db while another process reads
//! the curves (as the TUI does while a worker trains), beside MLflow's `log_batch` into its own
//! SQLite store, run by `benches/mlflow_log_batch.py` in the same run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::store::{MetricPoint, NewRun, RunStore};

use super::{benches_dir, run_python, tempfile_dir};

/// What a gradient-boosting run logs each round.
const KEYS: [&str; 4] = ["train_loss", "val_loss", "val_rmse", "learning_rate"];

fn point(i: usize) -> MetricPoint {
    MetricPoint {
        key: KEYS[i % KEYS.len()].to_string(),
        step: (i / KEYS.len()) as i64,
        value: 1.0 / (i + 1) as f64,
        timestamp_ms: 1_700_000_000_000 + i as i64,
    }
}

/// How the other process reads while the writer logs.
#[derive(Clone, Copy)]
enum Reader {
    None,
    /// Every curve every 100 ms: what the TUI's Run pane does while a run is live.
    LikeTheTui,
    /// Every curve over and over with no pause: a stress test on 2 cores.
    Busy,
}

pub fn bench_metrics(points: usize, batch: usize, mlflow_points: usize) -> anyhow::Result<()> {
    let scratch = tempfile_dir()?;
    say!(
        "bench metrics: {points} points per case in batches of {batch} ({} keys, {} points a step)",
        KEYS.len(),
        KEYS.len()
    );
    let mut tui_rate = 0.0;
    for (i, (label, reader)) in [
        ("no reader", Reader::None),
        (
            "reader process, every curve every 100 ms (the TUI)",
            Reader::LikeTheTui,
        ),
        (
            "reader process, every curve without pause (stress)",
            Reader::Busy,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let db = scratch.join(format!("runs-{i}.db"));
        let (rate, report) = log_into_fresh_store(&db, points, batch, reader)?;
        say!("shelfcast log_metrics, {label}: {rate:.0} points/s{report}");
        if matches!(reader, Reader::LikeTheTui) {
            tui_rate = rate;
        }
    }
    say!("target: >= 500,000 points/s while another process reads curves");
    match mlflow_rate(&scratch.join("mlflow.db"), mlflow_points) {
        Ok(mlflow) => say!(
            "mlflow log_batch (anchor, no reader): {mlflow_points} points = {mlflow:.0} points/s; \
             shelfcast with the TUI-like reader is {:.0}x (target >= 75x)",
            tui_rate / mlflow
        ),
        Err(reason) => say!("mlflow log_batch (anchor): skipped: {reason}"),
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// Logs `points` into a new run of a new store while `reader` reads; the rate and what the
/// reader reported.
fn log_into_fresh_store(
    db: &Path,
    points: usize,
    batch: usize,
    reader: Reader,
) -> anyhow::Result<(f64, String)> {
    let mut store = RunStore::open(db)?;
    let run = store.create_run(&NewRun {
        experiment: "bench".into(),
        name: "metrics".into(),
        model_kind: "bench".into(),
        task: "regression".into(),
        dataset_id: None,
        parent_run_id: None,
    })?;
    // Built before the clock starts: the bench measures the store, not allocation.
    let batches: Vec<Vec<MetricPoint>> = (0..points)
        .step_by(batch)
        .map(|start| (start..(start + batch).min(points)).map(point).collect())
        .collect();
    let every_ms = match reader {
        Reader::None => None,
        Reader::LikeTheTui => Some(100),
        Reader::Busy => Some(0),
    };
    let child = match every_ms {
        None => None,
        Some(every_ms) => {
            let exe = std::env::current_exe().context("finding this executable")?;
            Some(
                Command::new(exe)
                    .args(["bench", "metrics-reader", "--run", &run.to_string()])
                    .arg("--db")
                    .arg(db)
                    .args(["--points", &points.to_string()])
                    .args(["--every-ms", &every_ms.to_string()])
                    .stdout(Stdio::piped())
                    .spawn()
                    .context("starting the reader process")?,
            )
        }
    };
    let start = Instant::now();
    for chunk in &batches {
        store.log_metrics(run, chunk)?;
    }
    let elapsed = start.elapsed();
    let report = match child {
        None => String::new(),
        Some(child) => {
            let output = child.wait_with_output()?;
            anyhow::ensure!(output.status.success(), "the reader process failed");
            format!(
                " (reader: {})",
                String::from_utf8_lossy(&output.stdout).trim()
            )
        }
    };
    let stored: usize = KEYS
        .iter()
        .map(|k| store.metric_history(run, k).map(|h| h.len()).unwrap_or(0))
        .sum();
    anyhow::ensure!(stored == points, "stored {stored} points, logged {points}");
    Ok((points as f64 / elapsed.as_secs_f64(), report))
}

/// The reading side: reads every curve of the run, pausing `every_ms` between rounds, until it
/// has seen all `points`.
pub fn reader(db: &Path, run: i64, points: usize, every_ms: u64) -> anyhow::Result<()> {
    let store = RunStore::open(db)?;
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut reads = 0u64;
    let mut points_read = 0usize;
    loop {
        let seen: usize = KEYS
            .iter()
            .map(|k| store.metric_history(run, k).map(|h| h.len()))
            .sum::<Result<usize, _>>()?;
        reads += KEYS.len() as u64;
        points_read += seen;
        if seen >= points || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(every_ms));
    }
    say!("{reads} curve reads, {points_read} points read, no error");
    Ok(())
}

/// MLflow's points per second, or why it could not be measured.
fn mlflow_rate(db: &Path, points: usize) -> Result<f64, String> {
    let script = benches_dir().join("mlflow_log_batch.py");
    let figures = run_python(
        &script,
        &[
            "--db",
            &db.display().to_string(),
            "--points",
            &points.to_string(),
        ],
    )?;
    figures
        .get("points_per_s")
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("{} printed no rate: {figures:?}", script.display()))
}
