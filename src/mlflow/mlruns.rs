//! A legacy MLflow file store (`mlruns/`): `<experiment>/meta.yaml`, `<experiment>/<run>/meta.yaml`
//! with `metrics/<key>` ("timestamp value step" lines), `params/<key>` and `tags/<key>` (a key
//! with `/` is a nested path), and the registry under `models/<name>/` (`version-N/meta.yaml`,
//! `aliases/<alias>` holding the version). MLflow writes `meta.yaml` with flat `key: value`
//! lines, which is all that is read here; a line that does not parse names its file and line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{MlflowError, MlflowSource};
use crate::store::{MlflowAlias, MlflowExperiment, MlflowMetric, MlflowModelVersion, MlflowRun};

pub struct MlrunsFolder {
    root: PathBuf,
    /// Run id → its folder.
    folders: std::cell::RefCell<HashMap<String, PathBuf>>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MlflowError + '_ {
    move |source| MlflowError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn bad(path: &Path, what: String) -> MlflowError {
    MlflowError::Source {
        path: path.display().to_string(),
        what,
    }
}

/// The flat `key: value` lines of a `meta.yaml` (nested blocks, such as a model's `aliases:`, are
/// read as `parent.key`).
fn read_meta(path: &Path) -> Result<HashMap<String, String>, MlflowError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let mut map = HashMap::new();
    let mut parent: Option<String> = None;
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let nested = line.starts_with(' ');
        let Some((key, value)) = line.trim().split_once(':') else {
            if line.trim_start().starts_with("- ") {
                continue;
            }
            return Err(bad(
                path,
                format!("line {}: expected 'key: value', found '{line}'", number + 1),
            ));
        };
        let value = unquote(value.trim());
        match (nested, &parent) {
            (true, Some(p)) => {
                map.insert(format!("{p}.{}", key.trim()), value);
            }
            _ => {
                if value.is_empty() {
                    parent = Some(key.trim().to_string());
                } else {
                    parent = None;
                }
                map.insert(key.trim().to_string(), value);
            }
        }
    }
    Ok(map)
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    let v = if v.len() >= 2
        && ((v.starts_with('\'') && v.ends_with('\'')) || (v.starts_with('"') && v.ends_with('"')))
    {
        v[1..v.len() - 1].replace("''", "'")
    } else {
        v.to_string()
    };
    match v.as_str() {
        "null" | "~" => String::new(),
        _ => v,
    }
}

fn number(meta: &HashMap<String, String>, key: &str) -> Option<i64> {
    meta.get(key).and_then(|v| v.parse().ok())
}

/// MLflow's RunStatus numbers in a file store.
fn status_name(code: &str) -> String {
    match code {
        "1" => "RUNNING",
        "2" => "SCHEDULED",
        "3" => "FINISHED",
        "4" => "FAILED",
        "5" => "KILLED",
        other => other,
    }
    .to_string()
}

/// Every file under `dir` as (key relative to `dir`, path); none when there is no `dir`.
fn keyed_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, MlflowError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    Ok(crate::files::files_under(dir)
        .map_err(io(dir))?
        .into_iter()
        .map(|(rel, path)| (rel.to_string_lossy().into_owned(), path))
        .collect())
}

impl MlrunsFolder {
    /// `path` is the `mlruns/` folder, or a folder holding one.
    pub fn open(path: &Path) -> Result<Self, MlflowError> {
        let root = if path.join("mlruns").is_dir() && !path.join("0").is_dir() {
            path.join("mlruns")
        } else {
            path.to_path_buf()
        };
        let has_experiment = std::fs::read_dir(&root)
            .map_err(io(&root))?
            .filter_map(|e| e.ok())
            .any(|e| e.path().join("meta.yaml").is_file());
        if !has_experiment {
            return Err(bad(
                &root,
                "not an MLflow file store: no experiment folder with a meta.yaml".into(),
            ));
        }
        Ok(Self {
            root,
            folders: Default::default(),
        })
    }

    fn experiment_dirs(&self) -> Result<Vec<PathBuf>, MlflowError> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&self.root)
            .map_err(io(&self.root))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.join("meta.yaml").is_file() && p.file_name().is_some_and(|n| n != "models")
            })
            .collect();
        dirs.sort();
        Ok(dirs)
    }

    fn run_dir(&self, run: &MlflowRun) -> PathBuf {
        self.folders
            .borrow()
            .get(&run.uuid)
            .cloned()
            .unwrap_or_else(|| self.root.join(&run.experiment_id).join(&run.uuid))
    }

    fn text_files(&self, dir: &Path) -> Result<Vec<(String, String)>, MlflowError> {
        keyed_files(dir)?
            .into_iter()
            .map(|(key, path)| {
                let value = std::fs::read_to_string(&path).map_err(io(&path))?;
                Ok((key, value))
            })
            .collect()
    }
}

impl MlflowSource for MlrunsFolder {
    fn describe(&self) -> String {
        format!("MLflow file store {}", self.root.display())
    }

    fn experiments(&self) -> Result<Vec<MlflowExperiment>, MlflowError> {
        self.experiment_dirs()?
            .iter()
            .map(|dir| {
                let path = dir.join("meta.yaml");
                let meta = read_meta(&path)?;
                Ok(MlflowExperiment {
                    id: meta.get("experiment_id").cloned().unwrap_or_default(),
                    name: meta
                        .get("name")
                        .cloned()
                        .ok_or_else(|| bad(&path, "no 'name'".into()))?,
                    artifact_location: meta.get("artifact_location").cloned(),
                    deleted: meta.get("lifecycle_stage").map(String::as_str) == Some("deleted"),
                })
            })
            .collect()
    }

    fn runs(&self) -> Result<Vec<MlflowRun>, MlflowError> {
        let mut runs = Vec::new();
        for dir in self.experiment_dirs()? {
            for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
                let run_dir = entry.map_err(io(&dir))?.path();
                let path = run_dir.join("meta.yaml");
                if !path.is_file() {
                    continue;
                }
                let meta = read_meta(&path)?;
                let uuid = meta
                    .get("run_uuid")
                    .or_else(|| meta.get("run_id"))
                    .cloned()
                    .ok_or_else(|| bad(&path, "no 'run_id'".into()))?;
                self.folders
                    .borrow_mut()
                    .insert(uuid.clone(), run_dir.clone());
                runs.push(MlflowRun {
                    uuid,
                    name: meta.get("run_name").cloned().filter(|n| !n.is_empty()),
                    experiment_id: meta.get("experiment_id").cloned().unwrap_or_default(),
                    status: status_name(meta.get("status").map_or("", String::as_str)),
                    start_time_ms: number(&meta, "start_time"),
                    end_time_ms: number(&meta, "end_time"),
                    deleted: meta.get("lifecycle_stage").map(String::as_str) == Some("deleted"),
                    artifact_uri: meta.get("artifact_uri").cloned(),
                    user: meta.get("user_id").cloned(),
                });
            }
        }
        runs.sort_by(|a, b| (a.start_time_ms, &a.uuid).cmp(&(b.start_time_ms, &b.uuid)));
        Ok(runs)
    }

    fn params(&self, run: &MlflowRun) -> Result<Vec<(String, String)>, MlflowError> {
        self.text_files(&self.run_dir(run).join("params"))
    }

    fn tags(&self, run: &MlflowRun) -> Result<Vec<(String, String)>, MlflowError> {
        self.text_files(&self.run_dir(run).join("tags"))
    }

    fn metrics(&self, run: &MlflowRun) -> Result<Vec<MlflowMetric>, MlflowError> {
        let mut points = Vec::new();
        for (key, path) in keyed_files(&self.run_dir(run).join("metrics"))? {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            for (number, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let fields: Vec<&str> = line.split_whitespace().collect();
                let parsed = match fields.as_slice() {
                    [ts, value, step] => ts
                        .parse()
                        .ok()
                        .zip(value.parse().ok())
                        .zip(step.parse().ok()),
                    [ts, value] => ts.parse().ok().zip(value.parse().ok()).map(|p| (p, 0)),
                    _ => None,
                };
                let Some(((timestamp_ms, value), step)) = parsed else {
                    return Err(bad(
                        &path,
                        format!(
                            "line {}: expected 'timestamp value step', found '{line}'",
                            number + 1
                        ),
                    ));
                };
                points.push(MlflowMetric {
                    key: key.clone(),
                    value,
                    timestamp_ms,
                    step,
                });
            }
        }
        Ok(points)
    }

    fn model_versions(&self) -> Result<Vec<MlflowModelVersion>, MlflowError> {
        let models = self.root.join("models");
        let mut out = Vec::new();
        if !models.is_dir() {
            return Ok(out);
        }
        for (key, path) in keyed_files(&models)? {
            if !key.ends_with("meta.yaml") || !key.contains("/version-") {
                continue;
            }
            let meta = read_meta(&path)?;
            out.push(MlflowModelVersion {
                name: meta.get("name").cloned().unwrap_or_default(),
                version: number(&meta, "version")
                    .ok_or_else(|| bad(&path, "no 'version'".into()))?,
                creation_time_ms: number(&meta, "creation_timestamp"),
                source: meta.get("source").cloned(),
                run_uuid: meta.get("run_id").cloned().filter(|r| !r.is_empty()),
                description: meta.get("description").cloned().filter(|d| !d.is_empty()),
            });
        }
        out.sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
        Ok(out)
    }

    fn aliases(&self) -> Result<Vec<MlflowAlias>, MlflowError> {
        let models = self.root.join("models");
        let mut out = Vec::new();
        for (key, path) in keyed_files(&models)? {
            let Some((model, alias)) = key.split_once("/aliases/") else {
                continue;
            };
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let version = unquote(text.trim())
                .parse()
                .map_err(|_| bad(&path, format!("expected a version number, found '{text}'")))?;
            out.push(MlflowAlias {
                model: model.to_string(),
                alias: alias.to_string(),
                version,
            });
        }
        out.sort_by(|a, b| (&a.model, &a.alias).cmp(&(&b.model, &b.alias)));
        Ok(out)
    }
}
