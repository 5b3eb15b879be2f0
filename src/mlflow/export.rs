//! `shelfcast export mlflow --tracking-uri URI`: runs (all, or those a filter keeps) and, with
//! `--models`, the registry, onto a team's MLflow tracking server over its REST API. Each MLflow
//! run carries the Shelfcast run it came from (`shelfcast.run_id`, `shelfcast.store`), so
//! exporting again finds it: an unchanged run (the same `shelfcast.export_fingerprint`) is left
//! alone, a changed one gets only what it lacks; nothing is duplicated. Batches keep MLflow's
//! limits (1,000 metrics, 100 params, 100 tags, 1,000 entries and 1 MB a `log-batch`).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::MlflowError;
use super::client::MlflowClient;
use crate::project::Project;
use crate::store::{Filter, MetricPoint, Run, RunQuery, RunStatus, RunStore};

pub const RUN_TAG: &str = "shelfcast.run_id";
pub const STORE_TAG: &str = "shelfcast.store";
pub const FINGERPRINT_TAG: &str = "shelfcast.export_fingerprint";

const MAX_METRICS: usize = 1000;
const MAX_PARAMS: usize = 100;
const MAX_TAGS: usize = 100;
const MAX_BYTES: usize = 900 * 1024;

#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    pub tracking_uri: String,
    /// All runs into this experiment (default: each run's own experiment's name).
    pub experiment: Option<String>,
    pub filter: Option<Filter>,
    /// Registered models, versions (with their files uploaded) and aliases too.
    pub models: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub points: usize,
    pub params: usize,
    pub tags: usize,
    pub calls: usize,
    pub versions_created: usize,
    pub versions_present: usize,
    pub aliases_set: usize,
    pub files_uploaded: usize,
    pub notes: Vec<String>,
}

fn mlflow_status(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Finished => "FINISHED",
        RunStatus::Failed => "FAILED",
        RunStatus::Killed => "KILLED",
        RunStatus::Running => "RUNNING",
        RunStatus::Queued => "SCHEDULED",
    }
}

fn ms(text: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.timestamp_millis())
}

pub(super) struct Exporter<'a> {
    pub(super) client: MlflowClient,
    pub(super) store: &'a RunStore,
    store_id: String,
    experiments: HashMap<String, String>,
    /// Per MLflow experiment, its runs from this store, by Shelfcast run id: read once (a page
    /// of 1,000 runs a call), not searched run by run.
    existing: HashMap<String, HashMap<String, Value>>,
    pub(super) report: ExportReport,
}

pub fn export_mlflow(
    project: &Project,
    options: &ExportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ExportReport, MlflowError> {
    let store = project.open_store()?;
    let rows = store.query_runs(&RunQuery {
        filter: options.filter.clone(),
        ..RunQuery::default()
    })?;
    let root = std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
    let mut exporter = Exporter {
        client: MlflowClient::new(&options.tracking_uri)?,
        store: &store,
        store_id: root.display().to_string(),
        experiments: HashMap::new(),
        existing: HashMap::new(),
        report: ExportReport::default(),
    };
    let mut exported: HashMap<i64, (String, String)> = HashMap::new();
    let total = rows.len();
    // Oldest first, so a re-export meets runs in the order they were made.
    let mut runs: Vec<&Run> = rows.iter().map(|r| &r.run).collect();
    runs.sort_by_key(|r| r.id);
    for (done, run) in runs.into_iter().enumerate() {
        progress(done, total);
        if !run.status.is_terminal() {
            exporter.report.notes.push(format!(
                "run {} is {}: left for a later export",
                run.id,
                run.status.as_str()
            ));
            continue;
        }
        let experiment = options.experiment.as_deref().unwrap_or(&run.experiment);
        let ids = exporter
            .run(run, experiment)
            .map_err(|e| name_run(run.id, e))?;
        exported.insert(run.id, ids);
    }
    progress(total, total);
    if options.models {
        exporter.models(project, &exported)?;
    }
    Ok(exporter.report)
}

fn name_run(run: i64, error: MlflowError) -> MlflowError {
    match error {
        MlflowError::Source { path, what } => MlflowError::Source {
            path: format!("exporting run {run}: {path}"),
            what,
        },
        other => other,
    }
}

impl Exporter<'_> {
    pub(super) fn call(
        &mut self,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Result<Value, MlflowError> {
        self.report.calls += 1;
        self.client.ok(method, path, body)
    }

    fn experiment_id(&mut self, name: &str) -> Result<String, MlflowError> {
        if let Some(id) = self.experiments.get(name) {
            return Ok(id.clone());
        }
        self.report.calls += 1;
        let id = match self.client.call(
            "GET",
            "experiments/get-by-name",
            &json!({"experiment_name": name}),
        )? {
            Ok(found) => found["experiment"]["experiment_id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            Err(r) if r.code == "RESOURCE_DOES_NOT_EXIST" || r.status == 404 => {
                let made = self.call("POST", "experiments/create", &json!({"name": name}))?;
                made["experiment_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            }
            Err(r) => {
                return Err(MlflowError::Source {
                    path: "GET experiments/get-by-name".into(),
                    what: format!("HTTP {} {}: {}", r.status, r.code, r.message),
                });
            }
        };
        self.experiments.insert(name.to_string(), id.clone());
        Ok(id)
    }

    /// The runs of MLflow experiment `experiment_id` exported from this store, by Shelfcast id.
    fn exported_runs(
        &mut self,
        experiment_id: &str,
    ) -> Result<&HashMap<String, Value>, MlflowError> {
        if !self.existing.contains_key(experiment_id) {
            let filter = format!(
                "tags.`{STORE_TAG}` = '{}'",
                self.store_id.replace('\'', "\\'")
            );
            let mut runs = HashMap::new();
            let mut token: Option<String> = None;
            loop {
                let mut body = json!({"experiment_ids": [experiment_id], "filter": filter,
                                      "max_results": 1000});
                if let Some(t) = &token {
                    body["page_token"] = json!(t);
                }
                let page = self.call("POST", "runs/search", &body)?;
                for run in page["runs"].as_array().into_iter().flatten() {
                    let id = run["data"]["tags"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|t| t["key"] == RUN_TAG)
                        .and_then(|t| t["value"].as_str());
                    if let Some(id) = id {
                        runs.insert(id.to_string(), run.clone());
                    }
                }
                token = page["next_page_token"].as_str().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
            self.existing.insert(experiment_id.to_string(), runs);
        }
        Ok(&self.existing[experiment_id])
    }

    /// Exports one run; its MLflow (experiment id, run id).
    fn run(&mut self, run: &Run, experiment: &str) -> Result<(String, String), MlflowError> {
        let experiment_id = self.experiment_id(experiment)?;
        let params = self.store.params(run.id)?;
        let mut tags = self.store.tags(run.id)?;
        let mut points: Vec<MetricPoint> = Vec::new();
        for key in self.store.metric_keys(run.id)? {
            points.extend(self.store.metric_history(run.id, &key)?);
        }
        let mut fingerprint = super::import::Fingerprint::new();
        fingerprint.add(run.status.as_str().as_bytes());
        fingerprint.add(run.ended_at.as_deref().unwrap_or("").as_bytes());
        fingerprint.add(run.name.as_bytes());
        for p in &points {
            fingerprint.add(p.key.as_bytes());
            fingerprint.add(&p.step.to_le_bytes());
            fingerprint.add(&p.timestamp_ms.to_le_bytes());
            fingerprint.add(&p.value.to_bits().to_le_bytes());
        }
        for (k, v) in params.iter().chain(&tags) {
            fingerprint.add(k.as_bytes());
            fingerprint.add(v.as_bytes());
        }
        let fingerprint = fingerprint.hex();
        tags.retain(|(k, _)| !k.starts_with("shelfcast.") && k != "mlflow.runName");
        tags.push((RUN_TAG.into(), run.id.to_string()));
        tags.push((STORE_TAG.into(), self.store_id.clone()));
        tags.push(("shelfcast.model_kind".into(), run.model_kind.clone()));
        tags.push((FINGERPRINT_TAG.into(), fingerprint.clone()));
        if let Some(parent) = run.parent_run_id {
            tags.push(("shelfcast.parent_run_id".into(), parent.to_string()));
        }
        let existing = self
            .exported_runs(&experiment_id)?
            .get(&run.id.to_string())
            .cloned();
        let (run_id, have_params, have_points) = match existing {
            Some(mlflow_run) => {
                let run_id = mlflow_run["info"]["run_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let stored = mlflow_run["data"]["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|t| t["key"] == FINGERPRINT_TAG)
                    .and_then(|t| t["value"].as_str())
                    .map(str::to_string);
                // `runs/update` comes last: a run whose status and end are not yet ours was cut
                // off midway, whatever its fingerprint says.
                let finished = mlflow_run["info"]["status"] == mlflow_status(run.status)
                    && mlflow_run["info"]["end_time"].as_i64() == ms(run.ended_at.as_deref());
                if finished && stored.as_deref() == Some(fingerprint.as_str()) {
                    self.report.unchanged += 1;
                    return Ok((experiment_id, run_id));
                }
                let have_params: HashMap<String, String> = mlflow_run["data"]["params"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        Some((
                            p["key"].as_str()?.to_string(),
                            p["value"].as_str()?.to_string(),
                        ))
                    })
                    .collect();
                let mut have_points = HashSet::new();
                let keys: HashSet<&str> = points.iter().map(|p| p.key.as_str()).collect();
                for key in keys {
                    let history = self.call(
                        "GET",
                        "metrics/get-history",
                        &json!({"run_id": run_id, "metric_key": key, "max_results": "1000000"}),
                    )?;
                    for m in history["metrics"].as_array().into_iter().flatten() {
                        have_points.insert((
                            key.to_string(),
                            m["step"].as_i64().unwrap_or(0),
                            m["timestamp"].as_i64().unwrap_or(0),
                            m["value"].as_f64().unwrap_or(f64::NAN).to_bits(),
                        ));
                    }
                }
                self.report.updated += 1;
                (run_id, have_params, have_points)
            }
            None => {
                let made = self.call(
                    "POST",
                    "runs/create",
                    &json!({
                        "experiment_id": experiment_id,
                        "run_name": run.name,
                        "start_time": ms(run.started_at.as_deref()).or(ms(Some(&run.created_at))),
                        "tags": [{"key": RUN_TAG, "value": run.id.to_string()},
                                 {"key": STORE_TAG, "value": self.store_id}],
                    }),
                )?;
                self.report.created += 1;
                let run_id = made["run"]["info"]["run_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                (run_id, HashMap::new(), HashSet::new())
            }
        };
        let mut new_params = Vec::new();
        for (k, v) in &params {
            match have_params.get(k) {
                Some(old) if old == v => {}
                Some(old) => self.report.notes.push(format!(
                    "run {}: param {k} is '{v}' here and '{old}' in MLflow, which never changes a \
                     param; MLflow keeps '{old}'",
                    run.id
                )),
                None => new_params.push(json!({"key": k, "value": v})),
            }
        }
        let new_points: Vec<Value> = points
            .iter()
            .filter(|p| {
                !have_points.contains(&(p.key.clone(), p.step, p.timestamp_ms, p.value.to_bits()))
            })
            .map(|p| json!({"key": p.key, "value": p.value, "timestamp": p.timestamp_ms, "step": p.step}))
            .collect();
        let tag_values: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        self.report.params += new_params.len();
        self.report.points += new_points.len();
        self.report.tags += tag_values.len();
        self.log_batches(&run_id, new_params, tag_values, new_points)?;
        self.call(
            "POST",
            "runs/update",
            &json!({
                "run_id": run_id,
                "status": mlflow_status(run.status),
                "end_time": ms(run.ended_at.as_deref()),
                "run_name": run.name,
            }),
        )?;
        Ok((experiment_id, run_id))
    }

    /// `log-batch` calls within MLflow's limits: params and tags first, then the points.
    fn log_batches(
        &mut self,
        run_id: &str,
        params: Vec<Value>,
        tags: Vec<Value>,
        points: Vec<Value>,
    ) -> Result<(), MlflowError> {
        let mut params = params.into_iter().peekable();
        let mut tags = tags.into_iter().peekable();
        let mut points = points.into_iter().peekable();
        while params.peek().is_some() || tags.peek().is_some() || points.peek().is_some() {
            let p: Vec<Value> = params.by_ref().take(MAX_PARAMS).collect();
            let t: Vec<Value> = tags.by_ref().take(MAX_TAGS).collect();
            let mut m = Vec::new();
            let mut bytes = 0;
            let room = MAX_METRICS.saturating_sub(p.len() + t.len());
            while m.len() < room && bytes < MAX_BYTES {
                let Some(point) = points.next() else { break };
                bytes += point.to_string().len();
                m.push(point);
            }
            self.call(
                "POST",
                "runs/log-batch",
                &json!({"run_id": run_id, "params": p, "tags": t, "metrics": m}),
            )?;
        }
        Ok(())
    }
}
