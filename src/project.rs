//! A project folder: where its data, models and run store live, and what opening it does.

use std::path::{Path, PathBuf};

use crate::data::{self, DataError, sample};
use crate::store::{RunStore, StoreError};

#[derive(Clone, Debug)]
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    pub fn store_path(&self) -> PathBuf {
        self.root.join("runs.db")
    }

    pub fn open_store(&self) -> Result<RunStore, StoreError> {
        RunStore::open(&self.store_path())
    }

    /// The folder's name, for titles and status lines.
    pub fn display_name(&self) -> String {
        let absolute = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        absolute
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| absolute.to_string_lossy().into_owned())
    }

    /// Generates the sample data when `data/` holds no dataset, so a fresh clone opens on
    /// something real-shaped. Returns the report when it did.
    pub fn ensure_sample_data(&self) -> Result<Option<sample::SampleReport>, DataError> {
        if !data::discover(&self.data_dir())?.is_empty() {
            return Ok(None);
        }
        sample::write_sample(&self.data_dir(), sample::DEFAULT_SEED).map(Some)
    }
}
