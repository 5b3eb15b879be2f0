//! A project folder: where its data, models, run store and config live, and what opening it
//! does. The config (`shelfcast.toml` at the root, optional) is read here and nowhere else.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::data::{self, DataError, ReadOptions, sample};
use crate::jobs::slurm::{Dispatch, SlurmOptions};
use crate::store::{RunId, RunStore, StoreError, StoreLocation};

/// The environment variable that names the run store (a URL), over the config file's.
pub const STORE_ENV: &str = "SHELFCAST_STORE";

/// The project's config file, beside `runs.db`.
pub const CONFIG_FILE: &str = "shelfcast.toml";

#[derive(Clone, Debug)]
pub struct Project {
    pub root: PathBuf,
    /// `--na-values` for this command, over the config file's.
    read_override: Option<ReadOptions>,
    /// `--store` for this command, over `SHELFCAST_STORE` and the config file's.
    store_override: Option<String>,
    /// `--on slurm …` for this command, over what a parent process handed down.
    dispatch_override: Option<Dispatch>,
}

/// `shelfcast.toml`. Sections other issues add (`[store]`, `[daemon]`…) are their own structs.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    #[serde(default)]
    pub data: DataConfig,
    #[serde(default)]
    pub store: StoreConfig,
    /// Defaults of `--on slurm` (partition, time, cpus, mem, account).
    #[serde(default)]
    pub slurm: SlurmOptions,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The run store: `postgres://user@host/database` for one shared by a team, or
    /// `sqlite:PATH` (default: the project's `runs.db`).
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Cell texts read as missing in every file (replaces pandas' default list).
    pub na_values: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Parse { path: PathBuf, reason: String },
    #[error(
        "{}: no such file (looked in the working directory and in the project {})",
        typed.display(),
        root.display()
    )]
    NoSuchFile { typed: PathBuf, root: PathBuf },
}

/// A stored path against the project root: absolute as it is, else under the root.
pub fn resolve_stored(root: &Path, stored: &Path) -> PathBuf {
    if stored.is_absolute() {
        stored.to_path_buf()
    } else {
        root.join(stored)
    }
}

impl Project {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            read_override: None,
            store_override: None,
            dispatch_override: None,
        }
    }

    /// The same project, its workers dispatched by `dispatch` (`--on`).
    pub fn with_dispatch(mut self, dispatch: Dispatch) -> Self {
        self.dispatch_override = Some(dispatch);
        self
    }

    /// Where this command's workers run: `--on`, else what the parent process handed down
    /// (`SHELFCAST_SLURM`), else here.
    pub fn dispatch(&self) -> Result<Dispatch, ConfigError> {
        if let Some(dispatch) = &self.dispatch_override {
            return Ok(dispatch.clone());
        }
        Dispatch::from_env()
            .map(Option::unwrap_or_default)
            .map_err(|reason| ConfigError::Parse {
                path: PathBuf::from(crate::jobs::slurm::SLURM_ENV),
                reason,
            })
    }

    /// The same project, its runs kept in the store at `url` (`--store`).
    pub fn with_store(mut self, url: &str) -> Self {
        self.store_override = Some(url.to_string());
        self
    }

    /// The same project, reading files with `options` instead of its config's.
    pub fn with_read_options(mut self, options: ReadOptions) -> Self {
        self.read_override = Some(options);
        self
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// The folder of a run's own files: the worker log and the saved model.
    pub fn run_dir(&self, run: RunId) -> PathBuf {
        self.models_dir().join("runs").join(run.to_string())
    }

    pub fn worker_log_path(&self, run: RunId) -> PathBuf {
        self.run_dir(run).join("worker.log")
    }

    /// The bundle of a run's fitted model (see `ml::artifact`).
    pub fn run_model_dir(&self, run: RunId) -> PathBuf {
        self.run_dir(run).join("model")
    }

    /// Where drift reports and Compare exports are written.
    pub fn reports_dir(&self) -> PathBuf {
        self.root.join("reports")
    }

    /// A path the project keeps (in a run's spec, a dataset record), made usable.
    pub fn resolve(&self, stored: &Path) -> PathBuf {
        resolve_stored(&self.root, stored)
    }

    /// A path a user typed (a flag, a form field): absolute as it is; relative to the working
    /// directory when it names something there, else to the project folder. The one rule for
    /// `train --data`, `--lookup`, drift's sides and every other typed file.
    pub fn locate(&self, typed: &Path) -> PathBuf {
        if typed.is_absolute() || typed.exists() {
            typed.to_path_buf()
        } else {
            self.root.join(typed)
        }
    }

    /// A typed path as a spec keeps it: `locate`d, required to exist, and relative to the
    /// project folder when inside it, so the folder can move.
    pub fn spec_path(&self, typed: &Path) -> Result<PathBuf, ConfigError> {
        let located = self.locate(typed);
        let absolute = std::fs::canonicalize(&located).map_err(|_| ConfigError::NoSuchFile {
            typed: typed.to_path_buf(),
            root: self.root.clone(),
        })?;
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        Ok(absolute
            .strip_prefix(&root)
            .map(Path::to_path_buf)
            .unwrap_or(absolute))
    }

    /// The project's own SQLite file (the store unless another is named).
    pub fn store_path(&self) -> PathBuf {
        self.root.join("runs.db")
    }

    /// The `--store` a child process must be handed (in `SHELFCAST_STORE`, which keeps a
    /// password out of `ps`); `None` when the child finds the store as this process did.
    pub fn store_override(&self) -> Option<&str> {
        self.store_override.as_deref()
    }

    /// Where the run store is: `--store`, else `$SHELFCAST_STORE`, else the config's
    /// `[store] url`, else the project's `runs.db`. The one rule for every face and for the
    /// workers they start (which are handed the same URL).
    pub fn store_location(&self) -> Result<StoreLocation, StoreError> {
        let from_env = std::env::var(STORE_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let (named, from) = match (&self.store_override, from_env) {
            (Some(url), _) => (Some(url.clone()), "--store".to_string()),
            (None, Some(url)) => (Some(url), STORE_ENV.to_string()),
            (None, None) => (
                self.config()
                    .map_err(|e| StoreError::Refused(e.to_string()))?
                    .store
                    .url,
                format!("{} [store] url", self.config_path().display()),
            ),
        };
        match named {
            Some(url) => StoreLocation::parse(&url, &self.root)
                .map_err(|e| StoreError::Refused(format!("{from}: {e}"))),
            None => Ok(StoreLocation::Sqlite(self.store_path())),
        }
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    pub fn open_store(&self) -> Result<RunStore, StoreError> {
        self.store_location()?.open()
    }

    /// The store for commands and views that only read. Opened for writing when it can be (a
    /// dead run is then reaped as anywhere), else read-only, so browsing works on a full disk
    /// and in a folder the user may not write. A store from a newer Shelfcast stays refused.
    pub fn open_store_for_reading(&self) -> Result<(RunStore, Option<String>), StoreError> {
        let location = self.store_location()?;
        match location.open() {
            Ok(store) => Ok((store, None)),
            Err(
                error @ (StoreError::TooNew { .. }
                | StoreError::NotFound(_)
                | StoreError::Refused(_)),
            ) => Err(error),
            Err(error) => {
                let store = location.open_read_only()?;
                Ok((store, Some(format!("read-only: {error}"))))
            }
        }
    }

    /// The config file, or the defaults when there is none.
    pub fn config(&self) -> Result<ProjectConfig, ConfigError> {
        let path = self.config_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ProjectConfig::default());
            }
            Err(error) => return Err(ConfigError::Io { path, error }),
        };
        toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path,
            // toml's message carries a caret under the mistake: its lines are kept.
            reason: error.to_string().trim_end().to_string(),
        })
    }

    /// How this project reads its files: `--na-values`, else `[data] na_values`, else pandas'
    /// default tokens. The empty cell is always missing.
    pub fn read_options(&self) -> Result<ReadOptions, ConfigError> {
        if let Some(options) = &self.read_override {
            return Ok(options.clone());
        }
        Ok(match self.config()?.data.na_values {
            Some(tokens) => ReadOptions::from_tokens(tokens),
            None => ReadOptions::default(),
        })
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
