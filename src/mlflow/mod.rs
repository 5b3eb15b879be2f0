//! MLflow in and out. `import` reads a team's MLflow tracking store — its SQLite backend
//! (`mlflow.db`, read by `store::MlflowDb`) or a legacy `mlruns/` folder (`mlruns`) — into
//! `runs.db`: experiments, runs with their names, status and times, params, every metric point,
//! tags, and registered models with their versions and aliases. The MLflow run id is kept as the
//! tag `mlflow.run_id`, so importing again changes nothing unless MLflow's run changed. `export`
//! writes runs and the registry to a team's MLflow server over its REST API (`client`).

pub mod client;
pub mod export;
mod export_models;
pub mod import;
pub mod mlruns;

pub use export::{ExportOptions, ExportReport, export_mlflow};
pub use import::{ImportOptions, ImportReport, import_mlflow};

use crate::store::{MlflowAlias, MlflowExperiment, MlflowMetric, MlflowModelVersion, MlflowRun};

#[derive(Debug, thiserror::Error)]
pub enum MlflowError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{path}: {what}")]
    Source { path: String, what: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What an MLflow store holds, whichever way it is kept.
pub trait MlflowSource {
    fn describe(&self) -> String;
    fn experiments(&self) -> Result<Vec<MlflowExperiment>, MlflowError>;
    fn runs(&self) -> Result<Vec<MlflowRun>, MlflowError>;
    fn params(&self, run: &MlflowRun) -> Result<Vec<(String, String)>, MlflowError>;
    fn tags(&self, run: &MlflowRun) -> Result<Vec<(String, String)>, MlflowError>;
    fn metrics(&self, run: &MlflowRun) -> Result<Vec<MlflowMetric>, MlflowError>;
    fn model_versions(&self) -> Result<Vec<MlflowModelVersion>, MlflowError>;
    fn aliases(&self) -> Result<Vec<MlflowAlias>, MlflowError>;
}

impl MlflowSource for crate::store::MlflowDb {
    fn describe(&self) -> String {
        format!(
            "MLflow SQLite store (Alembic revision {}{})",
            self.revision.as_deref().unwrap_or("none"),
            if self.revision_tested() {
                ""
            } else {
                "; not a revision this build was run against, but every table and column it \
                 reads is there"
            }
        )
    }
    fn experiments(&self) -> Result<Vec<MlflowExperiment>, MlflowError> {
        Ok(crate::store::MlflowDb::experiments(self)?)
    }
    fn runs(&self) -> Result<Vec<MlflowRun>, MlflowError> {
        Ok(crate::store::MlflowDb::runs(self)?)
    }
    fn params(&self, run: &MlflowRun) -> Result<Vec<(String, String)>, MlflowError> {
        Ok(crate::store::MlflowDb::params(self, &run.uuid)?)
    }
    fn tags(&self, run: &MlflowRun) -> Result<Vec<(String, String)>, MlflowError> {
        Ok(crate::store::MlflowDb::tags(self, &run.uuid)?)
    }
    fn metrics(&self, run: &MlflowRun) -> Result<Vec<MlflowMetric>, MlflowError> {
        Ok(crate::store::MlflowDb::metrics(self, &run.uuid)?)
    }
    fn model_versions(&self) -> Result<Vec<MlflowModelVersion>, MlflowError> {
        Ok(crate::store::MlflowDb::model_versions(self)?)
    }
    fn aliases(&self) -> Result<Vec<MlflowAlias>, MlflowError> {
        Ok(crate::store::MlflowDb::aliases(self)?)
    }
}

/// Opens `source`: a folder is a legacy `mlruns/` store (or holds one), a file or a
/// `sqlite:///` URI an SQLite store.
pub fn open_source(source: &str) -> Result<Box<dyn MlflowSource>, MlflowError> {
    let path = std::path::PathBuf::from(
        source
            .strip_prefix("sqlite:///")
            .map_or_else(|| source.to_string(), |rest| format!("/{rest}")),
    );
    if path.is_dir() {
        return Ok(Box::new(mlruns::MlrunsFolder::open(&path)?));
    }
    Ok(Box::new(crate::store::MlflowDb::open(&path)?))
}
