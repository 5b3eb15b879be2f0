//! `shelfcast bench charts`: the run view's metrics grid on a long live run — 25,000 steps of 20
//! series (14 per-step series, the losses among them, and the 6 system series, each with a point
//! a step) — drawn as the TUI draws it: the frame time of each way of showing it, and of a live
//! update (the next 25 steps logged, read and drawn). The target is a frame under 20 ms.

use crate::jobs::sysmetrics::CHART_ORDER;
use crate::jobs::worker::{TRAIN_LOSS, VALID_LOSS};
use crate::project::Project;
use crate::store::{MetricPoint, NewRun, RunStatus};

/// Steps a live frame adds, as a worker logging fast would between two redraws.
const LIVE_STEPS: i64 = 25;
const REDRAWS: usize = 40;

/// The 20 series: the losses, 12 other per-step metrics, the 6 system series.
fn series_keys() -> Vec<String> {
    let mut keys = vec![TRAIN_LOSS.to_string(), VALID_LOSS.to_string()];
    keys.extend((1..=12).map(|i| format!("metric_{i:02}")));
    keys.extend(CHART_ORDER.iter().map(|k| k.to_string()));
    keys
}

/// A loss-like curve with noise: 23,000 falling to 2,500, as the run did.
fn value(key_index: usize, step: i64) -> f64 {
    let t = step as f64;
    let noise = ((t * 12.9898 + key_index as f64 * 78.233).sin() * 43_758.547).fract();
    2_500.0 + 20_500.0 * (-t / 1_500.0).exp() * (1.0 + 0.05 * noise) + key_index as f64
}

fn points(keys: &[String], from: i64, to: i64) -> Vec<MetricPoint> {
    let mut points = Vec::with_capacity(keys.len() * (to - from) as usize);
    for step in from..to {
        for (i, key) in keys.iter().enumerate() {
            points.push(MetricPoint {
                key: key.clone(),
                step,
                value: value(i, step),
                timestamp_ms: 1_700_000_000_000 + step * 40,
            });
        }
    }
    points
}

pub fn bench_charts(steps: usize, faces: &super::Faces) -> anyhow::Result<()> {
    let dir = super::tempfile_dir()?;
    let project = Project::new(&dir);
    let mut store = project.open_store()?;
    let run = store.create_run(&NewRun {
        experiment: "bench".into(),
        name: "long live run".into(),
        model_kind: "gbdt".into(),
        task: "regression".into(),
        dataset_id: None,
        parent_run_id: None,
    })?;
    store.set_status(run, RunStatus::Running, None)?;
    let keys = series_keys();
    let steps = steps as i64;
    for from in (0..steps).step_by(1_000) {
        store.log_metrics(run, &points(&keys, from, (from + 1_000).min(steps)))?;
    }
    say!(
        "a live run of {steps} steps × {} series ({} points) in runs.db; the run view at 160x45",
        keys.len(),
        steps * keys.len() as i64
    );
    let mut next = steps;
    let (opened, charts_on_screen, modes) =
        (faces.run_view_frames)(&project, run, REDRAWS, &mut || {
            store.log_metrics(run, &points(&keys, next, next + LIVE_STEPS))?;
            next += LIVE_STEPS;
            Ok(())
        })?;
    say!("opened and first frame: {}", super::ms(opened));
    let mut worst = std::time::Duration::ZERO;
    for (mode, times) in &modes {
        let median = times[times.len() / 2];
        let slowest = times[times.len() - 1];
        worst = worst.max(median);
        say!(
            "{mode}: median {} · slowest {} of {REDRAWS}",
            super::ms(median),
            super::ms(slowest)
        );
    }
    say!(
        "grid frames: the 4 × 4 grid draws {} charts; the slowest median {} against the target \
         of 20 ms: {}",
        charts_on_screen,
        super::ms(worst),
        if worst.as_secs_f64() < 0.020 {
            "met"
        } else {
            "NOT met"
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
