//! The model registry: a finished run's saved model becomes version N of a named model, with its
//! files copied under `models/<model>/<N>/` (checksummed: a changed byte is refused on load,
//! naming the file), its metrics, signature and lineage (run, dataset) in the store, and the
//! aliases `champion` and `challenger` moved between versions — that is promotion and rollback —
//! with every move kept with its time and reason. Core: the CLI, the TUI and the HTTP server
//! call these functions.

mod error;
pub mod forecast_file;
pub mod predict_file;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use error::RegistryError;

use crate::ml::artifact::{LoadedModel, load_bundle, verify_bundle};
use crate::project::Project;
use crate::store::{
    AdoptedVersion, ModelVersion, NewModelVersion, RunId, RunStatus, RunStore, StoreError,
};

/// The aliases a model can have; each points at one version.
pub const ALIASES: [&str; 2] = ["champion", "challenger"];

/// A model as named on the command line: `promo`, `promo@champion`, `promo:3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelRef {
    /// The newest active version.
    Latest(String),
    Alias(String, String),
    Version(String, i64),
}

impl ModelRef {
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        let text = text.trim();
        let bad = || RegistryError::BadReference(text.to_string());
        if let Some((name, alias)) = text.split_once('@') {
            check_name(name)?;
            check_alias(alias)?;
            return Ok(ModelRef::Alias(name.to_string(), alias.to_string()));
        }
        if let Some((name, version)) = text.split_once(':') {
            check_name(name)?;
            let version = version
                .parse::<i64>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(bad)?;
            return Ok(ModelRef::Version(name.to_string(), version));
        }
        check_name(text)?;
        Ok(ModelRef::Latest(text.to_string()))
    }

    pub fn model(&self) -> &str {
        match self {
            ModelRef::Latest(m) | ModelRef::Alias(m, _) | ModelRef::Version(m, _) => m,
        }
    }
}

impl std::fmt::Display for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelRef::Latest(m) => write!(f, "{m}"),
            ModelRef::Alias(m, a) => write!(f, "{m}@{a}"),
            ModelRef::Version(m, v) => write!(f, "{m}:{v}"),
        }
    }
}

pub fn check_name(name: &str) -> Result<(), RegistryError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name != "runs"
        && !name.starts_with(['-', '.'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(RegistryError::BadName(name.to_string()))
    }
}

pub fn check_alias(alias: &str) -> Result<(), RegistryError> {
    if ALIASES.contains(&alias) {
        Ok(())
    } else {
        Err(RegistryError::BadAlias(alias.to_string()))
    }
}

/// The folder of a version's files.
pub fn version_dir(project: &Project, model: &str, version: i64) -> PathBuf {
    project.models_dir().join(model).join(version.to_string())
}

/// The lineage file of a version folder.
const LINEAGE: &str = "lineage.json";

/// Where a version came from, written beside its files for anyone reading the folder.
#[derive(Serialize)]
struct Lineage<'a> {
    model: &'a str,
    version: i64,
    run_id: RunId,
    run_name: &'a str,
    experiment: &'a str,
    dataset_id: Option<i64>,
    dataset_path: Option<String>,
    dataset_sha256: Option<String>,
}

/// What recovery reads back of a lineage file.
#[derive(serde::Deserialize)]
struct LineageOnDisk {
    model: String,
    version: i64,
    run_id: RunId,
    dataset_id: Option<i64>,
}

/// Brings `models/<model>/` and the store back into agreement after a crash: temporaries of
/// dead registers are removed; a numbered folder the store does not know, whose files all match
/// their checksums and whose lineage names this model and number, is adopted as the version it
/// was about to become; any other unknown folder is moved aside as `.orphan-N-TIME`. Returns
/// what it did, one line each, for the caller to say.
pub fn recover_model_folders(
    project: &Project,
    store: &mut RunStore,
    model: &str,
) -> Result<Vec<String>, RegistryError> {
    let root = project.models_dir().join(model);
    let mut said = Vec::new();
    if !root.is_dir() {
        return Ok(said);
    }
    let cleaned = crate::files::clean_stale_partials(&root);
    if cleaned > 0 {
        said.push(format!(
            "{}: removed {cleaned} leftover(s) of an interrupted register",
            root.display()
        ));
    }
    // Decided under the store's write lock: a folder a live register is committing now has
    // its row by the time the lock is ours, and is left alone.
    store.reconcile_model_versions(model, |known| {
        let entries = fs::read_dir(&root).map_err(|source| RegistryError::Io {
            path: root.clone(),
            source,
        })?;
        let mut unknown: Vec<(i64, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let version: i64 = e.file_name().to_str()?.parse().ok()?;
                (e.path().is_dir() && !known.contains(&version)).then(|| (version, e.path()))
            })
            .collect();
        unknown.sort();
        let mut next = known.iter().copied().max().unwrap_or(0) + 1;
        let mut adopt = Vec::new();
        for (version, dir) in unknown {
            let lineage = fs::read(dir.join(LINEAGE))
                .ok()
                .and_then(|b| serde_json::from_slice::<LineageOnDisk>(&b).ok());
            let adoptable = lineage
                .filter(|l| l.model == model && l.version == version && version == next)
                .filter(|_| verify_bundle(&dir).is_ok());
            if let Some(lineage) = adoptable {
                let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_default();
                let relative = dir
                    .strip_prefix(&project.root)
                    .unwrap_or(&dir)
                    .display()
                    .to_string();
                said.push(format!(
                    "adopted {relative} as {model} version {version}: a register of run {} \
                     was interrupted after its files were in place",
                    lineage.run_id
                ));
                adopt.push(AdoptedVersion {
                    version,
                    run_id: lineage.run_id,
                    metrics_json: read("metrics.json"),
                    signature_json: read("signature.json"),
                    artifact_path: relative,
                    dataset_id: lineage.dataset_id,
                });
                next += 1;
            } else {
                let aside = root.join(format!(
                    ".orphan-{version}-{}",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%3f")
                ));
                fs::rename(&dir, &aside).map_err(|source| RegistryError::Io {
                    path: dir.clone(),
                    source,
                })?;
                said.push(format!(
                    "moved {} aside to {}: the store has no such version and its files do not \
                     check out",
                    dir.display(),
                    aside.display()
                ));
            }
        }
        Ok::<_, RegistryError>(adopt)
    })?;
    Ok(said)
}

/// `recover_model_folders` for every model folder under `models/` (but the runs' own).
pub fn recover_all(project: &Project, store: &mut RunStore) -> Result<Vec<String>, RegistryError> {
    let mut said = Vec::new();
    let Ok(entries) = fs::read_dir(project.models_dir()) else {
        return Ok(said);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && name != "runs" && check_name(&name).is_ok() {
            said.extend(recover_model_folders(project, store, &name)?);
        }
    }
    Ok(said)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), RegistryError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RegistryError::Io { path, source }
    };
    fs::create_dir_all(to).map_err(io(to))?;
    for entry in fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let target = to.join(entry.file_name());
        fs::copy(entry.path(), &target).map_err(io(&target))?;
    }
    Ok(())
}

/// Registers run `run`'s saved model as the next version of `model`, optionally giving it an
/// alias. The run must have ended with a model (finished, or cancelled after saving one), and
/// every file of it must match its checksum.
pub fn register_run(
    project: &Project,
    store: &mut RunStore,
    run: RunId,
    model: &str,
    alias: Option<&str>,
    description: Option<&str>,
) -> Result<ModelVersion, RegistryError> {
    check_name(model)?;
    if let Some(alias) = alias {
        check_alias(alias)?;
    }
    let record = store.get_run(run)?;
    if !matches!(record.status, RunStatus::Finished | RunStatus::Killed) {
        return Err(RegistryError::RunNotReady {
            run,
            why: format!(
                "it is {}; only a run that saved its model can be",
                record.status.as_str()
            ),
        });
    }
    let source = project.run_model_dir(run);
    if !source.join(crate::ml::artifact::MANIFEST).exists() {
        return Err(RegistryError::RunNotReady {
            run,
            why: format!("it saved no model ({} is missing)", source.display()),
        });
    }
    verify_bundle(&source)?;
    let read = |name: &str| -> Result<String, RegistryError> {
        let path = source.join(name);
        fs::read_to_string(&path).map_err(|source| RegistryError::Io { path, source })
    };
    let metrics_json = read("metrics.json")?;
    let signature_json = read("signature.json")?;
    recover_model_folders(project, store, model)?;
    let model_root = project.models_dir().join(model);
    fs::create_dir_all(&model_root).map_err(|source| RegistryError::Io {
        path: model_root.clone(),
        source,
    })?;
    // The copy is made outside the lock, under a name no other register uses.
    let partial = crate::files::temporary_beside(&model_root.join("register"));
    copy_dir(&source, &partial)?;
    crate::files::failpoint("register:after-copy");
    let dataset = match record.dataset_id {
        Some(id) => store.dataset(id)?,
        None => None,
    };
    let new = NewModelVersion {
        model_name: model,
        run_id: run,
        metrics_json: &metrics_json,
        signature_json: &signature_json,
        artifact_path: "",
        dataset_id: record.dataset_id,
        description,
    };
    // Numbered, renamed into place and recorded under the store's write lock: a concurrent
    // register waits, and a crash leaves either a recorded version or an unrecorded folder
    // that `recover_model_folders` adopts.
    let placed = store.add_next_model_version(&new, |version| {
        let target = version_dir(project, model, version);
        if target.exists() {
            return Err(RegistryError::Io {
                path: target.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a folder for this version is already there; the store and models/ disagree",
                ),
            });
        }
        let lineage = Lineage {
            model,
            version,
            run_id: run,
            run_name: &record.name,
            experiment: &record.experiment,
            dataset_id: record.dataset_id,
            dataset_path: dataset.as_ref().map(|d| d.path.clone()),
            dataset_sha256: dataset.as_ref().map(|d| d.sha256.clone()),
        };
        let lineage_path = partial.join(LINEAGE);
        fs::write(
            &lineage_path,
            serde_json::to_vec_pretty(&lineage).map_err(StoreError::from)?,
        )
        .map_err(|source| RegistryError::Io {
            path: lineage_path.clone(),
            source,
        })?;
        fs::rename(&partial, &target).map_err(|source| RegistryError::Io {
            path: target.clone(),
            source,
        })?;
        crate::files::failpoint("register:after-rename");
        Ok(target
            .strip_prefix(&project.root)
            .unwrap_or(&target)
            .display()
            .to_string())
    });
    let added = match placed {
        Ok(added) => added,
        Err(error) => {
            // Nothing was recorded: take the files back so models/ and the store agree.
            let _ = fs::remove_dir_all(&partial);
            if let Ok(version) = store.next_model_version(model) {
                let target = version_dir(project, model, version);
                if fs::read(target.join(LINEAGE))
                    .ok()
                    .and_then(|b| serde_json::from_slice::<LineageOnDisk>(&b).ok())
                    .is_some_and(|l| l.run_id == run && l.version == version)
                    && !matches!(error, RegistryError::Io { ref path, .. } if path == &target)
                {
                    let _ = fs::remove_dir_all(&target);
                }
            }
            return Err(error);
        }
    };
    let version = added.version;
    if let Some(alias) = alias {
        store.move_alias(
            model,
            alias,
            Some(version),
            &format!("registered from run {run}"),
        )?;
        return Ok(store.model_version(model, version)?.unwrap_or(added));
    }
    Ok(added)
}

/// The version a reference names.
pub fn resolve(store: &RunStore, reference: &ModelRef) -> Result<ModelVersion, RegistryError> {
    let found = match reference {
        ModelRef::Version(model, version) => store.model_version(model, *version)?,
        ModelRef::Alias(model, alias) => store.model_version_by_alias(model, alias)?,
        ModelRef::Latest(model) => store
            .model_versions(Some(model))?
            .into_iter()
            .rev()
            .find(|v| v.status == "active"),
    };
    if found.is_none() && store.model_versions(Some(reference.model()))?.is_empty() {
        return Err(RegistryError::NotFound(format!(
            "no registered model '{}' (shelfcast models lists them; shelfcast register RUN \
             --model NAME makes one)",
            reference.model()
        )));
    }
    found.ok_or_else(|| {
        RegistryError::NotFound(match reference {
            ModelRef::Alias(model, alias) => format!("model {model} has no {alias}"),
            ModelRef::Version(model, version) => format!("model {model} has no version {version}"),
            ModelRef::Latest(model) => format!("no active version of model {model}"),
        })
    })
}

/// Loads the version a reference names, refusing it if any of its files fails its checksum.
pub fn load_version(
    project: &Project,
    store: &RunStore,
    reference: &ModelRef,
) -> Result<(ModelVersion, LoadedModel), RegistryError> {
    let version = resolve(store, reference)?;
    let loaded = load_bundle(&project.root.join(&version.artifact_path))?;
    Ok((version, loaded))
}

/// Moves `alias` of `model` to `version` (promotion or rollback), keeping `reason`. An
/// archived version cannot take an alias.
pub fn set_alias(
    store: &mut RunStore,
    model: &str,
    alias: &str,
    version: i64,
    reason: &str,
) -> Result<Option<i64>, RegistryError> {
    check_alias(alias)?;
    let target = store.model_version(model, version)?.ok_or_else(|| {
        RegistryError::NotFound(format!("model {model} has no version {version}"))
    })?;
    if target.status == "archived" {
        return Err(RegistryError::Archived {
            model: model.to_string(),
            version,
            why: "restore it before giving it an alias".to_string(),
        });
    }
    Ok(store.move_alias(model, alias, Some(version), reason)?)
}

/// Archives a version: it stays, listed, but takes no alias. A version that holds an alias is
/// refused (move the alias first: the server would lose its model).
pub fn archive(store: &mut RunStore, model: &str, version: i64) -> Result<(), RegistryError> {
    let target = store.model_version(model, version)?.ok_or_else(|| {
        RegistryError::NotFound(format!("model {model} has no version {version}"))
    })?;
    if let Some(alias) = target.aliases.first() {
        return Err(RegistryError::Aliased {
            model: model.to_string(),
            version,
            alias: alias.clone(),
        });
    }
    store.set_version_status(model, version, true)?;
    Ok(())
}
