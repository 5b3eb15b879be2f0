//! The store's typed API on both backends: a run's life, metric batches and curves, the model
//! registry and what hangs off it (predictions, drift reports, forecasts and actuals, decisions),
//! datasets and profiles, schedules and job runs, studies and trials, change notices between
//! connections, and concurrent writers on their own connections.

use std::time::{Duration, Instant};

use crate::backends::TestStore;
use shelfcast::store::{
    CachedProfile, Curve, Decision, DriftReportRow, ForecastValue, JobState, LoggedPrediction,
    MetricPoint, MetricSummary, ModelVersion, NewActual, NewArtifact, NewDataset, NewDriftReport,
    NewForecast, NewJobRun, NewModelVersion, NewRun, NewSchedule, QueuedRun, RunFilter, RunId,
    RunStatus, RunStore, ScheduleRow, ScoredPair, StoreError, TrialState,
};

const T0: i64 = 1_700_000_000_000;

fn new_run(experiment: &str, name: &str, parent_run_id: Option<RunId>) -> NewRun {
    NewRun {
        experiment: experiment.into(),
        name: name.into(),
        model_kind: "gbdt".into(),
        task: "regression".into(),
        dataset_id: None,
        parent_run_id,
    }
}

fn run(store: &mut RunStore, name: &str) -> RunId {
    store
        .create_run(&new_run("default", name, None))
        .expect("run")
}

fn point(key: &str, step: i64, value: f64) -> MetricPoint {
    MetricPoint {
        key: key.into(),
        step,
        value,
        timestamp_ms: T0 + step,
    }
}

fn listed(store: &RunStore, filter: RunFilter) -> Vec<RunId> {
    store
        .list_runs(&filter)
        .expect("list")
        .iter()
        .map(|r| r.id)
        .collect()
}

fn summary(store: &RunStore, id: RunId, key: &str) -> MetricSummary {
    store
        .metric_summaries(id)
        .expect("summaries")
        .into_iter()
        .find(|s| s.key == key)
        .expect(key)
}

fn new_version(model: &str, run_id: RunId) -> NewModelVersion<'_> {
    NewModelVersion {
        model_name: model,
        run_id,
        metrics_json: r#"{"wape":0.2}"#,
        signature_json: r#"{"features":["week"]}"#,
        artifact_path: "",
        dataset_id: None,
        description: None,
    }
}

/// The next version of `model`, its files "placed" at `models/<model>/<version>`.
fn register(store: &mut RunStore, model: &str, run_id: RunId) -> ModelVersion {
    store
        .add_next_model_version(&new_version(model, run_id), |version| {
            Ok::<_, StoreError>(format!("models/{model}/{version}"))
        })
        .expect("register")
}

/// `version:aliases` of each version of `model`.
fn aliases_of(store: &RunStore, model: &str) -> Vec<String> {
    store
        .model_versions(Some(model))
        .expect("versions")
        .iter()
        .map(|v| format!("{}:{}", v.version, v.aliases.join(",")))
        .collect()
}

/// Polls `store.data_version()` for up to 5 s until it is not `from`.
fn changes_within_five_seconds(store: &RunStore, from: i64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if store.data_version().expect("data version") != from {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

mod copy;
mod operations;
mod registry;
mod runs;
