//! What can go wrong in the registry, each saying what was expected.

use std::path::PathBuf;

use crate::ml::artifact::ArtifactError;
use crate::store::{RunId, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "model name '{0}' is not allowed: use letters, digits, '-' and '_' (up to 64), not \
         starting with '-' or '.', and not 'runs'"
    )]
    BadName(String),
    #[error("alias '{0}' is not one Shelfcast keeps; expected champion or challenger")]
    BadAlias(String),
    #[error("'{0}': expected NAME, NAME@champion, NAME@challenger or NAME:VERSION")]
    BadReference(String),
    #[error("run {run} cannot be registered: {why}")]
    RunNotReady { run: RunId, why: String },
    #[error("{0}")]
    NotFound(String),
    #[error("model {model} version {version} is archived; {why}")]
    Archived {
        model: String,
        version: i64,
        why: String,
    },
    #[error("model {model} version {version} is {alias}; move the alias to another version first")]
    Aliased {
        model: String,
        version: i64,
        alias: String,
    },
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file with rows the model cannot read; `problems` says each (row, column, why).
    #[error(
        "{count} bad row(s) in {}; nothing written (--skip-invalid drops them and goes on)",
        path.display()
    )]
    BadRows {
        path: PathBuf,
        count: usize,
        problems: Vec<String>,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
