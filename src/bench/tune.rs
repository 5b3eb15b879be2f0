//! `shelfcast bench tune`: a study's bookkeeping per trial — 1,000 trials of a trivial objective
//! ((x − 2)² + (y + 1)² over x, y in [−10, 10]) proposed by TPE and recorded in `runs.db` as the
//! study runner records them (the trial started with its params, then ended with its value) —
//! beside Optuna's TPE with SQLite storage and in memory on the same objective.

use std::time::Instant;

use crate::project::Project;
use crate::store::{NewRun, TrialState};
use crate::tune::rng::Rng;
use crate::tune::sampler::Sampler;
use crate::tune::space::{Space, Value};
use crate::tune::study::{Direction, StudyConfig};
use crate::tune::tpe::{Observation, Observed, internal};

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(x) => *x,
        Value::Choice(_) => f64::NAN,
    }
}

pub fn bench_tune(trials: usize, faces: &super::Faces) -> anyhow::Result<()> {
    let dir = super::tempfile_dir()?;
    let project = Project::new(&dir);
    let mut store = project.open_store()?;
    let run = store.create_run(&NewRun {
        experiment: "bench".into(),
        name: "study bench".into(),
        model_kind: "none".into(),
        task: "study".into(),
        dataset_id: None,
        parent_run_id: None,
    })?;
    let space = Space::parse("x=-10..10,y=-10..10")?;
    // Settings as a study's, so the study view can draw its charts.
    let config = StudyConfig {
        space: space.clone(),
        trials,
        timeout_s: None,
        parallel: 1,
        sampler: Sampler::Tpe,
        pruner: crate::tune::pruner::Pruner::None,
        seed: 1,
        metric: "value".into(),
        direction: Direction::Minimize,
        experiment: "bench".into(),
        spec: crate::ml::train::TrainSpec {
            data: "objective".into(),
            lookups: Vec::new(),
            read: Default::default(),
            target: "value".into(),
            task: None,
            features: Vec::new(),
            lags: None,
            log1p: false,
            model: crate::ml::models::ModelKind::Gbdt,
            params: Vec::new(),
            split: "random:0.2".into(),
            seed: 1,
            until: None,
            backtest: None,
        },
    };
    let study = store.create_study(
        "bench",
        run,
        &serde_json::to_string(&config)?,
        "minimize",
        "value",
    )?;
    let mut observed: Vec<Observed> = Vec::with_capacity(trials);
    let mut best = f64::INFINITY;
    let started = Instant::now();
    for number_ in 0..trials {
        let mut rng = Rng::new(1 + number_ as u64 * 7_919);
        let values = Sampler::Tpe
            .propose(&space, &observed, number_, &mut rng)
            .ok_or_else(|| anyhow::anyhow!("no proposal"))?;
        let params_json = serde_json::to_string(&values)?;
        store.start_trial(study, number_ as i64, None, &params_json)?;
        let y = (number(&values[0]) - 2.0).powi(2) + (number(&values[1]) + 1.0).powi(2);
        store.end_trial(study, number_ as i64, TrialState::Complete, Some(y), None)?;
        best = best.min(y);
        observed.push(Observed {
            number: number_,
            params: values
                .iter()
                .zip(&space.dimensions)
                .map(|(v, d)| internal(&d.range, v))
                .collect(),
            state: Observation::Complete(y),
        });
    }
    let ours = started.elapsed().as_secs_f64() * 1000.0 / trials as f64;
    say!(
        "Shelfcast: {trials} trials of a trivial objective by TPE, each recorded in runs.db: \
         {ours:.3} ms per trial (best {best:.4})"
    );
    let (opened, charts) = (faces.study_view_frames)(&project, run, 20)?;
    let names = ["best so far", "parallel coordinates", "slice x", "slice y"];
    say!(
        "the study view at {trials} trials (160x45): opened and drawn in {}; each redraw, median \
         of 20: {}",
        super::ms(opened),
        charts
            .iter()
            .zip(names)
            .map(|(d, name)| format!("{name} {}", super::ms(*d)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let sqlite = dir.join("optuna.db");
    match super::run_python(
        &super::benches_dir().join("optuna_tpe.py"),
        &[&trials.to_string(), &sqlite.display().to_string()],
    ) {
        Ok(figures) => {
            let f = |k: &str| super::figure(&figures, k);
            say!(
                "Optuna {} TPE (its defaults): {:.3} ms per trial in memory (best {}), {:.3} ms per \
                 trial with SQLite storage (best {})",
                figures.get("optuna_version").map_or("", String::as_str),
                f("memory_ms_per_trial"),
                figures.get("memory_best").map_or("-", String::as_str),
                f("sqlite_ms_per_trial"),
                figures.get("sqlite_best").map_or("-", String::as_str)
            );
            say!(
                "per trial: Shelfcast {ours:.3} ms against Optuna's {:.3} ms (SQLite, {:.1}x) and \
                 {:.3} ms (memory, {:.1}x)",
                f("sqlite_ms_per_trial"),
                f("sqlite_ms_per_trial") / ours,
                f("memory_ms_per_trial"),
                f("memory_ms_per_trial") / ours
            );
        }
        Err(why) => say!("SKIP Optuna: {why}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
