//! The registry's half of `export mlflow --models`: each version of the exported runs' models,
//! its bundle uploaded as the MLflow run's `model/` artifacts and the version made from
//! `runs:/ID/model` (tagged with its Shelfcast number, so a re-export finds it), and the
//! champion and challenger aliases, set only where MLflow's differ.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::MlflowError;
use super::export::Exporter;
use crate::project::Project;

const VERSION_TAG: &str = "shelfcast.version";

impl Exporter<'_> {
    /// Every version of the exported runs' models, its bundle uploaded as the run's `model/`
    /// artifacts, and the champion and challenger aliases.
    pub(super) fn models(
        &mut self,
        project: &Project,
        exported: &HashMap<i64, (String, String)>,
    ) -> Result<(), MlflowError> {
        let versions = self.store.model_versions(None)?;
        let mut made_models: HashSet<String> = HashSet::new();
        for version in versions.iter().filter(|v| exported.contains_key(&v.run_id)) {
            let (_, run_id) = &exported[&version.run_id];
            if !project.root.join(&version.artifact_path).is_dir() {
                // A version imported from MLflow: its files are where that MLflow keeps them.
                self.report.notes.push(format!(
                    "{} version {}: its files are not in this project (it was imported from {}), \
                     so it is not exported; its run is",
                    version.model_name, version.version, version.artifact_path
                ));
                continue;
            }
            if made_models.insert(version.model_name.clone()) {
                self.report.calls += 1;
                match self.client.call(
                    "POST",
                    "registered-models/create",
                    &json!({"name": version.model_name}),
                )? {
                    Ok(_) => {}
                    Err(r) if r.code == "RESOURCE_ALREADY_EXISTS" => {}
                    Err(r) => {
                        return Err(MlflowError::Source {
                            path: "POST registered-models/create".into(),
                            what: format!("HTTP {} {}: {}", r.status, r.code, r.message),
                        });
                    }
                }
            }
            let filter = format!("name='{}'", version.model_name.replace('\'', "\\'"));
            let found = self.call(
                "GET",
                "model-versions/search",
                &json!({"filter": filter, "max_results": "10000"}),
            )?;
            let ours = version.version.to_string();
            let present =
                found["model_versions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|v| {
                        v["run_id"] == run_id.as_str()
                            && v["tags"].as_array().into_iter().flatten().any(|t| {
                                t["key"] == VERSION_TAG && t["value"].as_str() == Some(&ours)
                            })
                    })
                    .and_then(|v| v["version"].as_str().map(str::to_string));
            let mlflow_version = match present {
                Some(v) => {
                    self.report.versions_present += 1;
                    v
                }
                None => {
                    self.upload_bundle(project, run_id, &version.artifact_path)?;
                    let source = format!("runs:/{run_id}/model");
                    let made = self.call(
                        "POST",
                        "model-versions/create",
                        &json!({
                            "name": version.model_name,
                            "source": source,
                            "run_id": run_id,
                            "description": version.description.clone().unwrap_or_default(),
                            "tags": [{"key": VERSION_TAG, "value": ours}],
                        }),
                    )?;
                    self.report.versions_created += 1;
                    made["model_version"]["version"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                }
            };
            let model = self.call(
                "GET",
                "registered-models/get",
                &json!({"name": version.model_name}),
            )?;
            let current: HashMap<String, String> = model["registered_model"]["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    Some((
                        a["alias"].as_str()?.to_string(),
                        a["version"].as_str()?.to_string(),
                    ))
                })
                .collect();
            for alias in &version.aliases {
                if current.get(alias) == Some(&mlflow_version) {
                    continue;
                }
                self.call(
                    "POST",
                    "registered-models/alias",
                    &json!({"name": version.model_name, "alias": alias, "version": mlflow_version}),
                )?;
                self.report.aliases_set += 1;
            }
        }
        Ok(())
    }

    /// The version's bundle files as artifacts `model/…` of MLflow run `run_id`.
    fn upload_bundle(
        &mut self,
        project: &Project,
        run_id: &str,
        artifact_path: &str,
    ) -> Result<(), MlflowError> {
        let info = self.call("GET", "runs/get", &json!({"run_id": run_id}))?;
        let uri = info["run"]["info"]["artifact_uri"]
            .as_str()
            .unwrap_or_default();
        let Some(location) = uri.strip_prefix("mlflow-artifacts:/") else {
            self.report.notes.push(format!(
                "MLflow run {run_id}: its artifacts live at {uri}, which this server does not \
                 serve (start it with --serve-artifacts): the model files were not uploaded"
            ));
            return Ok(());
        };
        let folder = project.root.join(artifact_path);
        let files = crate::files::files_under(&folder).map_err(|source| MlflowError::Io {
            path: folder.display().to_string(),
            source,
        })?;
        for (rel, path) in files {
            let bytes = std::fs::read(&path).map_err(|source| MlflowError::Io {
                path: path.display().to_string(),
                source,
            })?;
            let target = format!(
                "{}/model/{}",
                location.trim_start_matches('/').trim_end_matches('/'),
                rel.display()
            );
            self.client.upload_artifact(&target, &bytes)?;
            self.report.files_uploaded += 1;
        }
        Ok(())
    }
}
