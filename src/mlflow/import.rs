//! `shelfcast import mlflow SOURCE`: every run of an MLflow store into `runs.db`, each in one
//! transaction, then its registered models' versions and aliases. A run already imported and
//! unchanged in MLflow is left alone; one that changed (it finished since, or logged more) is
//! rewritten whole. Nothing is half-imported: a run is all there or not at all.

use std::collections::HashMap;
use std::path::Path;

use super::{MlflowError, MlflowSource};
use crate::project::Project;
use crate::store::{ImportOutcome, ImportedRun, MetricPoint, MlflowRun, RunId, RunStatus};

/// The tag naming the MLflow run a Shelfcast run was imported from.
pub const MLFLOW_RUN_TAG: &str = "mlflow.run_id";
/// The tag every imported run carries: where it came from (`source = "mlflow"` in a filter).
pub const SOURCE_TAG: &str = "source";

#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Copy each run's artifacts (local `file:` ones) into its run folder instead of referring to
    /// them by path.
    pub copy_artifacts: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    pub source: String,
    pub experiments: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted_skipped: usize,
    pub params: usize,
    pub tags: usize,
    pub points: usize,
    /// NaN points MLflow kept that runs.db cannot hold.
    pub nan_points: usize,
    pub versions_added: usize,
    pub versions_present: usize,
    pub aliases_moved: usize,
    pub artifacts_copied: usize,
    /// What was left out and why, one line each.
    pub notes: Vec<String>,
}

/// MLflow's status in Shelfcast's words; a run MLflow still shows running is imported as
/// `killed` with the reason (no Shelfcast worker follows it), and updated by a later import.
fn status(run: &MlflowRun) -> (RunStatus, Option<String>) {
    match run.status.as_str() {
        "FINISHED" => (RunStatus::Finished, None),
        "FAILED" => (RunStatus::Failed, Some("failed in MLflow".into())),
        "KILLED" => (RunStatus::Killed, Some("killed in MLflow".into())),
        other => (
            RunStatus::Killed,
            Some(format!(
                "imported from MLflow while {other}: no Shelfcast worker follows it; importing \
                 again after it ends updates it"
            )),
        ),
    }
}

fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// FNV-1a over everything imported of a run: equal exactly when nothing changed.
pub(super) struct Fingerprint(u64);

impl Fingerprint {
    pub(super) fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    pub(super) fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
    pub(super) fn add(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
}

/// Imports `source` into `project`'s store; `progress` hears (runs done, runs in all).
pub fn import_mlflow(
    project: &Project,
    source: &dyn MlflowSource,
    options: &ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, MlflowError> {
    let mut store = project.open_store()?;
    let mut report = ImportReport {
        source: source.describe(),
        ..ImportReport::default()
    };
    let experiments: HashMap<String, String> = source
        .experiments()?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    report.experiments = experiments.len();
    let runs = source.runs()?;
    let mut known = store.runs_by_tag(MLFLOW_RUN_TAG)?;
    let total = runs.len();
    for (done, run) in runs.iter().enumerate() {
        progress(done, total);
        if run.deleted {
            report.deleted_skipped += 1;
            continue;
        }
        let outcome = import_one(&mut store, source, run, &experiments, &known, &mut report)?;
        known.insert(run.uuid.clone(), outcome.run());
        match outcome {
            ImportOutcome::Created(_) => report.created += 1,
            ImportOutcome::Updated(_) => report.updated += 1,
            ImportOutcome::Unchanged(_) => report.unchanged += 1,
        }
        if options.copy_artifacts && !matches!(outcome, ImportOutcome::Unchanged(_)) {
            report.artifacts_copied += copy_artifacts(project, run, outcome.run(), &mut report)?;
        }
    }
    progress(total, total);
    import_registry(&mut store, source, &known, &mut report)?;
    Ok(report)
}

fn import_one(
    store: &mut crate::store::RunStore,
    source: &dyn MlflowSource,
    run: &MlflowRun,
    experiments: &HashMap<String, String>,
    known: &HashMap<String, RunId>,
    report: &mut ImportReport,
) -> Result<ImportOutcome, MlflowError> {
    let params = source.params(run)?;
    let mut tags = source.tags(run)?;
    let mut points = Vec::new();
    let mut fingerprint = Fingerprint::new();
    fingerprint.add(run.status.as_bytes());
    fingerprint.add(&run.end_time_ms.unwrap_or(-1).to_le_bytes());
    fingerprint.add(run.name.as_deref().unwrap_or("").as_bytes());
    for metric in source.metrics(run)? {
        fingerprint.add(metric.key.as_bytes());
        fingerprint.add(&metric.step.to_le_bytes());
        fingerprint.add(&metric.timestamp_ms.to_le_bytes());
        fingerprint.add(&metric.value.to_bits().to_le_bytes());
        if metric.value.is_nan() {
            report.nan_points += 1;
            continue;
        }
        points.push(MetricPoint {
            key: metric.key,
            step: metric.step,
            value: metric.value,
            timestamp_ms: metric.timestamp_ms,
        });
    }
    for (k, v) in params.iter().chain(&tags) {
        fingerprint.add(k.as_bytes());
        fingerprint.add(v.as_bytes());
    }
    let experiment = experiments
        .get(&run.experiment_id)
        .cloned()
        .unwrap_or_else(|| format!("mlflow-{}", run.experiment_id));
    tags.push((SOURCE_TAG.into(), "mlflow".into()));
    tags.push(("mlflow.experiment_id".into(), run.experiment_id.clone()));
    if let Some(uri) = &run.artifact_uri {
        tags.push(("mlflow.artifact_uri".into(), uri.clone()));
    }
    if let Some(user) = run.user.as_ref().filter(|u| !u.is_empty()) {
        tags.push(("mlflow.user_id".into(), user.clone()));
    }
    report.params += params.len();
    report.tags += tags.len();
    report.points += points.len();
    let (status, error) = status(run);
    let created = time_text(run.start_time_ms.unwrap_or(0));
    let ended = run.end_time_ms.map(time_text);
    let name = run
        .name
        .clone()
        .or_else(|| {
            tags.iter()
                .find(|(k, _)| k == "mlflow.runName")
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_else(|| run.uuid.chars().take(8).collect());
    let fingerprint = fingerprint.hex();
    Ok(store.import_run(
        &ImportedRun {
            id_tag: MLFLOW_RUN_TAG,
            source_id: &run.uuid,
            fingerprint: &fingerprint,
            experiment: &experiment,
            name: &name,
            model_kind: "mlflow",
            status,
            error: error.as_deref(),
            created_at: &created,
            started_at: Some(&created),
            ended_at: ended.as_deref(),
            params: &params,
            tags: &tags,
            metrics: &points,
        },
        known.get(&run.uuid).copied(),
    )?)
}

/// Versions whose run was imported, with MLflow's numbers; champion and challenger become
/// Shelfcast's aliases, any other alias a tag on the version's run (`mlflow.alias.NAME`).
fn import_registry(
    store: &mut crate::store::RunStore,
    source: &dyn MlflowSource,
    known: &HashMap<String, RunId>,
    report: &mut ImportReport,
) -> Result<(), MlflowError> {
    let versions = source.model_versions()?;
    let mut run_of: HashMap<(String, i64), RunId> = HashMap::new();
    for version in &versions {
        let Some(run) = version.run_uuid.as_ref().and_then(|u| known.get(u)) else {
            report.notes.push(format!(
                "{} version {}: its run ({}) is not in the store, so the version is not imported",
                version.name,
                version.version,
                version.run_uuid.as_deref().unwrap_or("none")
            ));
            continue;
        };
        let artifact = version.source.clone().unwrap_or_default();
        let created = time_text(version.creation_time_ms.unwrap_or(0));
        match store.import_model_version(
            &version.name,
            version.version,
            *run,
            &artifact,
            &created,
            version.description.as_deref(),
        ) {
            Ok(true) => report.versions_added += 1,
            Ok(false) => report.versions_present += 1,
            Err(crate::store::StoreError::Refused(why)) => {
                report.notes.push(why);
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        run_of.insert((version.name.clone(), version.version), *run);
        let tag = format!("mlflow.model.{}", version.name);
        let value = format!("v{}", version.version);
        store.set_tags(*run, &[(&tag, &value)])?;
    }
    for alias in source.aliases()? {
        let Some(run) = run_of.get(&(alias.model.clone(), alias.version)) else {
            continue;
        };
        if matches!(alias.alias.as_str(), "champion" | "challenger") {
            let current = store
                .model_version_by_alias(&alias.model, &alias.alias)?
                .map(|v| v.version);
            if current != Some(alias.version) {
                store.move_alias(
                    &alias.model,
                    &alias.alias,
                    Some(alias.version),
                    "imported from MLflow",
                )?;
                report.aliases_moved += 1;
            }
        } else {
            let tag = format!("mlflow.alias.{}", alias.alias);
            let value = format!("{} v{}", alias.model, alias.version);
            store.set_tags(*run, &[(&tag, &value)])?;
        }
    }
    Ok(())
}

/// Copies a run's local artifacts (`file:` or a plain path) into `models/runs/ID/mlflow/`; a
/// remote store's (s3:, gs:, …) are kept by reference and said.
fn copy_artifacts(
    project: &Project,
    run: &MlflowRun,
    id: RunId,
    report: &mut ImportReport,
) -> Result<usize, MlflowError> {
    let Some(uri) = run.artifact_uri.as_deref() else {
        return Ok(0);
    };
    let local = match uri.strip_prefix("file://") {
        Some(path) => path.to_string(),
        None if !uri.contains("://") => uri.to_string(),
        None => {
            report.notes.push(format!(
                "run {}: artifacts at {uri} are remote; kept by reference",
                run.uuid
            ));
            return Ok(0);
        }
    };
    let from = Path::new(&local);
    if !from.is_dir() {
        return Ok(0);
    }
    let to = project.run_dir(id).join("mlflow");
    let files = crate::files::files_under(from).map_err(|source| MlflowError::Io {
        path: from.display().to_string(),
        source,
    })?;
    let copied = files.len();
    for (rel, path) in files {
        let target = to.join(rel);
        let io = |source| MlflowError::Io {
            path: target.display().to_string(),
            source,
        };
        let bytes = std::fs::read(&path).map_err(io)?;
        crate::files::write_bytes_atomically(&target, &bytes).map_err(io)?;
    }
    Ok(copied)
}
