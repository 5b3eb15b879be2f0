//! Saving a trained model as a folder of plain files, and loading it back only when every file
//! is exactly what was saved.
//!
//! A bundle holds the model (the backend's own format or JSON, never code), the feature pipeline,
//! the signature, the metrics and importances, and `manifest.json` listing every other file with
//! its size and sha256. The folder is written under a temporary name and renamed into place, so
//! a crash never leaves a half-written bundle under the real name. Loading checks every checksum
//! and refuses, naming the file, if one differs.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, ParquetReader, ParquetWriter, SerReader};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::MlError;
use super::features::FeaturePipeline;
use super::history::{HISTORY_FILE, History};
use super::lookup_table::LookupTable;
use super::models::{Model, ModelKind, decode_model};
use super::signature::Signature;
use super::train::{Evaluation, Trained};

pub const BUNDLE_FORMAT: u32 = 1;
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: the checksum does not match the manifest (expected sha256 {expected}, found \
         {actual}); the file was changed or damaged after it was saved, so the model is refused"
    )]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error("{path}: already exists; a saved model is never overwritten")]
    Exists { path: PathBuf },
    #[error(transparent)]
    Ml(#[from] MlError),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub name: String,
    pub kind: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub model_kind: ModelKind,
    pub model_file: String,
    pub files: Vec<ManifestFile>,
}

/// What `metrics.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricsFile {
    pub train: Evaluation,
    pub validation: Evaluation,
    pub importance_kind: String,
    pub importance: Vec<(String, f64)>,
    pub steps: usize,
    pub stopped_early: bool,
    /// The prediction interval (regression models saved since it was added).
    #[serde(default)]
    pub conformal: Option<super::train::Conformal>,
    /// With lags and a time split: the one-step score beside the recursive `validation`.
    #[serde(default)]
    pub one_step: Option<Evaluation>,
    /// With lags and a time split: the horizon, the error per step, the seasonal naive baseline.
    #[serde(default)]
    pub horizon: Option<super::forecast::HorizonReport>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::data::hex(&Sha256::digest(bytes))
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, ArtifactError> {
    serde_json::to_vec_pretty(value).map_err(|e| MlError::Model(format!("saving: {e}")).into())
}

/// Writes `trained` as a bundle at `dir` (which must not exist yet). Returns the manifest.
pub fn save_bundle(dir: &Path, trained: &Trained) -> Result<Manifest, ArtifactError> {
    if dir.exists() {
        return Err(ArtifactError::Exists {
            path: dir.to_path_buf(),
        });
    }
    let (model_file, model_bytes) = trained.model.encode()?;
    let metrics = MetricsFile {
        train: trained.train_metrics.clone(),
        validation: trained.valid_metrics.clone(),
        importance_kind: trained.model.importance_kind().to_string(),
        importance: trained.importance.clone(),
        steps: trained.steps,
        stopped_early: trained.stopped,
        conformal: trained.conformal.clone(),
        one_step: trained.one_step.clone(),
        horizon: trained.horizon.clone(),
    };
    let mut files: Vec<(&str, &str, Vec<u8>)> = vec![
        (model_file, "model", model_bytes),
        ("pipeline.json", "pipeline", json(&trained.pipeline)?),
        ("signature.json", "signature", json(&trained.signature)?),
        ("metrics.json", "metrics", json(&metrics)?),
    ];
    for (lookup, table) in &trained.lookups {
        files.push((lookup.file.as_str(), "lookup", parquet_bytes(table)?));
    }
    if let Some(history) = &trained.history {
        files.push((HISTORY_FILE, "history", parquet_bytes(history)?));
    }
    if let Some(validation) = trained
        .residuals
        .as_ref()
        .and_then(super::validation_rows::validation_frame)
    {
        use super::validation_rows::{VALIDATION_FILE, VALIDATION_KIND};
        files.push((
            VALIDATION_FILE,
            VALIDATION_KIND,
            parquet_bytes(&validation)?,
        ));
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".to_string());
    let partial = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if partial.exists() {
        fs::remove_dir_all(&partial).map_err(io_error(&partial))?;
    }
    fs::create_dir_all(&partial).map_err(io_error(&partial))?;
    let written = (|| {
        let mut listed = Vec::new();
        for (file, kind, bytes) in &files {
            write_synced(&partial.join(file), bytes)?;
            listed.push(ManifestFile {
                name: (*file).to_string(),
                kind: (*kind).to_string(),
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
            });
        }
        let manifest = Manifest {
            format: BUNDLE_FORMAT,
            model_kind: trained.model.kind(),
            model_file: model_file.to_string(),
            files: listed,
        };
        write_synced(&partial.join(MANIFEST), &json(&manifest)?)?;
        fs::rename(&partial, dir).map_err(io_error(dir))?;
        Ok(manifest)
    })();
    // A failed save (a full disk) leaves nothing behind: the space goes back at once.
    if written.is_err() {
        let _ = fs::remove_dir_all(&partial);
    }
    written
}

fn parquet_bytes(table: &DataFrame) -> Result<Vec<u8>, ArtifactError> {
    let mut bytes = Vec::new();
    let mut table = table.clone();
    ParquetWriter::new(&mut bytes)
        .finish(&mut table)
        .map_err(|e| MlError::Model(format!("saving a lookup table: {e}")))?;
    Ok(bytes)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ArtifactError> {
    let mut file = fs::File::create(path).map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// A model loaded from a bundle whose every file matched its checksum.
pub struct LoadedModel {
    pub manifest: Manifest,
    pub pipeline: FeaturePipeline,
    pub model: Box<dyn Model>,
    pub signature: Signature,
    pub metrics: MetricsFile,
    /// The signature's lookup tables, read from the bundle (checksums verified).
    pub lookups: Vec<LookupTable>,
    /// A lag model's series tails (bundles saved before they were kept have none).
    pub history: Option<History>,
}

/// Reads the manifest and checks every file it lists against its sha256.
pub fn verify_bundle(dir: &Path) -> Result<Manifest, ArtifactError> {
    let manifest_path = dir.join(MANIFEST);
    let bytes = fs::read(&manifest_path).map_err(io_error(&manifest_path))?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| ArtifactError::Invalid {
            path: manifest_path.clone(),
            what: format!("not a Shelfcast model manifest: {e}"),
        })?;
    if manifest.format != BUNDLE_FORMAT {
        return Err(ArtifactError::Invalid {
            path: manifest_path,
            what: format!(
                "bundle format {} is not one this Shelfcast reads (format {BUNDLE_FORMAT})",
                manifest.format
            ),
        });
    }
    if !manifest.files.iter().any(|f| f.name == manifest.model_file) {
        return Err(ArtifactError::Invalid {
            path: manifest_path,
            what: format!(
                "the model file '{}' is not among the files the manifest checksums",
                manifest.model_file
            ),
        });
    }
    for file in &manifest.files {
        let path = bundle_file(dir, &file.name)?;
        let bytes = fs::read(&path).map_err(io_error(&path))?;
        let actual = sha256_hex(&bytes);
        if actual != file.sha256 {
            return Err(ArtifactError::Checksum {
                path,
                expected: file.sha256.clone(),
                actual,
            });
        }
    }
    Ok(manifest)
}

/// `name` inside the bundle `dir`. A manifest is data from disk: a name that is absolute, holds
/// a separator or `..`, or is empty would reach outside the bundle and is refused.
fn bundle_file(dir: &Path, name: &str) -> Result<PathBuf, ArtifactError> {
    let mut components = Path::new(name).components();
    let single = matches!(
        (components.next(), components.next()),
        (Some(std::path::Component::Normal(_)), None)
    );
    if !single || name.contains('/') || name.contains('\\') {
        return Err(ArtifactError::Invalid {
            path: dir.join(MANIFEST),
            what: format!(
                "the manifest names '{name}', which is not a file inside the bundle; a model \
                 bundle only lists its own files"
            ),
        });
    }
    Ok(dir.join(name))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ArtifactError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    serde_json::from_slice(&bytes).map_err(|e| ArtifactError::Invalid {
        path: path.to_path_buf(),
        what: e.to_string(),
    })
}

/// Loads a bundle, refusing it if any file fails its checksum.
pub fn load_bundle(dir: &Path) -> Result<LoadedModel, ArtifactError> {
    let manifest = verify_bundle(dir)?;
    let pipeline: FeaturePipeline = read_json(&dir.join("pipeline.json"))?;
    let signature: Signature = read_json(&dir.join("signature.json"))?;
    let metrics: MetricsFile = read_json(&dir.join("metrics.json"))?;
    let model_path = bundle_file(dir, &manifest.model_file)?;
    let bytes = fs::read(&model_path).map_err(io_error(&model_path))?;
    let model = decode_model(
        manifest.model_kind,
        &bytes,
        pipeline.feature_names.clone(),
        pipeline.target.task,
    )
    .map_err(|e| ArtifactError::Invalid {
        path: model_path,
        what: e.to_string(),
    })?;
    let mut lookups = Vec::new();
    for lookup in &signature.lookups {
        let path = bundle_file(dir, &lookup.file)?;
        if !manifest.files.iter().any(|f| f.name == lookup.file) {
            return Err(ArtifactError::Invalid {
                path,
                what: "the lookup table is not among the files the manifest checksums".into(),
            });
        }
        let file = fs::File::open(&path).map_err(io_error(&path))?;
        let table = ParquetReader::new(file)
            .finish()
            .map_err(|e| ArtifactError::Invalid {
                path: path.clone(),
                what: format!("the lookup table does not read: {e}"),
            })?;
        lookups.push(LookupTable::new(table));
    }
    let history = match (
        &signature.derived,
        manifest.files.iter().any(|f| f.kind == "history"),
    ) {
        (Some(lags), true) => {
            let path = bundle_file(dir, HISTORY_FILE)?;
            let invalid = |what: String| ArtifactError::Invalid {
                path: path.clone(),
                what,
            };
            let file = fs::File::open(&path).map_err(io_error(&path))?;
            let frame = ParquetReader::new(file)
                .finish()
                .map_err(|e| invalid(format!("the series history does not read: {e}")))?;
            {
                let flags = super::history::event_flags(&signature);
                Some(History::new(frame, lags, &flags).map_err(|e| invalid(e.to_string()))?)
            }
        }
        _ => None,
    };
    Ok(LoadedModel {
        manifest,
        pipeline,
        model,
        signature,
        metrics,
        lookups,
        history,
    })
}
