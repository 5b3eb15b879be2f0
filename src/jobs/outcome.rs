//! What a finished training leaves in the store and on disk: its final metrics (and the
//! horizon's error per step), the model bundle with an artifact row per file, and the line the
//! worker's log closes with.

use super::launch::JobError;
use super::worker::log_line;
use crate::ml::artifact::save_bundle;
use crate::ml::train::Trained;
use crate::project::Project;
use crate::store::{MetricPoint, NewArtifact, RunId, RunStore};

/// The horizon-aware validation in one line: the recursive and the one-step WAPE, and the skill
/// against seasonal naive on the same rows.
pub(super) fn horizon_line(trained: &Trained) -> Option<String> {
    let horizon = trained.horizon.as_ref()?;
    let wape = |e: &crate::ml::evaluation::Evaluation| match e {
        crate::ml::evaluation::Evaluation::Regression(m) => m.wape,
        crate::ml::evaluation::Evaluation::BinaryClassification(_) => None,
    };
    let text = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}%"));
    let mut line = format!(
        "validation over {} period(s) from the cut-off, predicted recursively: WAPE {} \
         (one step ahead, lags from the actuals: {})",
        horizon.horizon,
        text(wape(&trained.valid_metrics)),
        text(trained.one_step.as_ref().and_then(wape)),
    );
    if let Some(b) = &horizon.baseline {
        line.push_str(&format!(
            "; seasonal naive ({} periods) WAPE {} on the same rows, skill {}",
            b.season,
            text(b.wape),
            b.skill
                .map_or("-".to_string(), |s| format!("{:+.1}%", 100.0 * s))
        ));
    }
    Some(line)
}

/// Final metrics (validation as `rmse`, training as `train_rmse`, at the last step), the model
/// bundle, and an artifact row per saved file.
pub(super) fn save_outcome(
    project: &Project,
    store: &mut RunStore,
    run: RunId,
    trained: &Trained,
) -> Result<(), JobError> {
    let last_step = trained.steps.saturating_sub(1) as i64;
    let mut points = Vec::new();
    for (name, value) in trained.valid_metrics.pairs() {
        points.push(MetricPoint::now(name, last_step, value));
    }
    for (name, value) in trained.train_metrics.pairs() {
        points.push(MetricPoint::now(&format!("train_{name}"), last_step, value));
    }
    if let Some(one_step) = &trained.one_step {
        for (name, value) in one_step.pairs() {
            points.push(MetricPoint::now(
                &format!("one_step_{name}"),
                last_step,
                value,
            ));
        }
    }
    if let Some(horizon) = &trained.horizon {
        // The error per step after the cut-off, as a series over h = 1..H.
        for step in &horizon.by_step {
            let h = step.step as i64;
            points.push(MetricPoint::now("h_step_mae", h, step.mae));
            if let Some(wape) = step.wape {
                points.push(MetricPoint::now("h_step_wape", h, wape));
            }
        }
        points.push(MetricPoint::now(
            "horizon",
            last_step,
            horizon.horizon as f64,
        ));
        if let Some(baseline) = &horizon.baseline {
            if let Some(wape) = baseline.wape {
                points.push(MetricPoint::now("seasonal_naive_wape", last_step, wape));
            }
            if let Some(skill) = baseline.skill {
                points.push(MetricPoint::now(
                    "skill_vs_seasonal_naive",
                    last_step,
                    skill,
                ));
            }
        }
    }
    if super::sysmetrics::enabled()
        && let Some(peak) = super::sysmetrics::peak_rss_mb()
    {
        points.push(MetricPoint::now(
            super::sysmetrics::PEAK_RSS_MB,
            last_step,
            peak,
        ));
    }
    points.retain(|p| p.value.is_finite());
    store.log_metrics(run, &points)?;
    let dir = project.run_model_dir(run);
    let manifest = save_bundle(&dir, trained).map_err(|e| JobError::Run {
        run,
        what: format!("saving the model: {e}"),
    })?;
    let relative = |name: &str| {
        let full = dir.join(name);
        full.strip_prefix(&project.root)
            .unwrap_or(&full)
            .display()
            .to_string()
    };
    for file in &manifest.files {
        store.add_artifact(
            run,
            &NewArtifact {
                path: relative(&file.name),
                kind: file.kind.clone(),
                sha256: file.sha256.clone(),
                bytes: file.bytes,
            },
        )?;
    }
    log_line(&format!("saved the model to {}", dir.display()));
    Ok(())
}
