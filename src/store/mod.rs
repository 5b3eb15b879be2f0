//! `RunStore`: the one SQLite file (`runs.db`) behind every face of Shelfcast.
//!
//! Owns the connection settings, the schema and its migrations, and a typed API for runs, params,
//! metrics, tags, artifacts, datasets and cached profiles. It knows nothing of the screen, of clap
//! or of HTTP. Connections are opened here and nowhere else.
//!
//! Concurrency: the TUI, the CLI and detached workers open the same file from different processes.
//! WAL lets readers go on while one writer commits; every write takes the write lock up front
//! (`BEGIN IMMEDIATE`) so two writers queue on the busy timeout instead of failing with
//! "database is locked" when a read transaction tries to upgrade.

mod actuals;
mod copy;
mod curves;
mod datasets;
mod db;
mod decisions;
mod dialect;
mod drift;
mod error;
mod filter;
mod filter_keys;
mod filter_lex;
mod forecasts;
mod forms;
mod imported;
mod launcher;
mod liveness;
mod location;
mod metrics;
mod migrations;
mod mlflow_db;
mod models;
mod pg;
mod pg_value;
mod retention;
mod run_launch;
mod run_query;
mod runs;
mod schedules;
mod studies;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use db::Db;

pub use actuals::{AddedActuals, NewActual, ScoredPair};
pub use copy::{COPY_ORDER, CopyProgress, CopyReport};
pub use curves::{Curve, lttb_indices};
pub use datasets::{CachedProfile, DatasetRecord, NewDataset};
pub use decisions::Decision;
pub use drift::{DriftReportRow, NewDriftReport};
pub use error::StoreError;
pub use filter::{Filter, FilterError, parse_filter};
pub use filter_keys::UnknownKey;
pub use forecasts::{ForecastRecord, ForecastValue, NewForecast};
pub use forms::SavedForm;
pub use imported::{FINGERPRINT_TAG, ImportOutcome, ImportedRun};
pub use launcher::Launcher;
pub use liveness::{HEARTBEAT_EVERY, HEARTBEAT_STALE, QUEUED_GRACE, is_shelfcast_alive};
pub use location::StoreLocation;
pub use metrics::MetricPoint;
pub use migrations::{MIGRATIONS, latest_version};
pub use mlflow_db::{
    MlflowAlias, MlflowDb, MlflowExperiment, MlflowMetric, MlflowModelVersion, MlflowRun,
    TESTED_MLFLOW_REVISIONS,
};
pub use models::{AdoptedVersion, AliasMove, LoggedPrediction, ModelVersion, NewModelVersion};
pub use pg::database_beside;
pub use retention::{Retention, RetentionError, parse_retention};
pub use run_launch::QueuedRun;
pub use run_query::{
    MetricSummary, MetricValue, RunQuery, RunRow, RunSort, SortKey, higher_is_better,
};
pub use runs::{Artifact, NewArtifact, NewRun, Run, RunFilter, RunId, RunStatus};
pub use schedules::{JobRunRow, JobState, NewJobRun, NewSchedule, ScheduleRow};
pub use studies::{StudyRow, TrialRow, TrialState};

/// How long a writer waits for another process's write to finish before giving up. Metric
/// batches are short (milliseconds), so this is only reached when something is badly stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

pub struct RunStore {
    db: Db,
    /// The SQLite file, or the PostgreSQL URL without its password (for messages).
    path: PathBuf,
    /// Where another connection to the same store is opened (the TUI's background jobs).
    location: StoreLocation,
    /// Opened by `open_read_only`: nothing is reaped or migrated.
    read_only: bool,
}

impl RunStore {
    /// Opens (creating if needed) the store at `path` and migrates it to the latest schema.
    /// A store written by a newer Shelfcast is refused, never migrated down, and refused before
    /// anything is written to it: its version is read before any pragma changes the file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_connection(conn, path.to_path_buf())
    }

    /// Opens the store for reading only, for the commands and views that only read (`runs`,
    /// `run show`, `compare`, `models`): they work on a full disk and in a folder the user may
    /// not write. Nothing is migrated and no dead run is reaped. When SQLite cannot even make
    /// its shared-memory file beside a WAL store (a read-only folder), the file is read as
    /// immutable: the last checkpointed state.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        if !path.is_file() {
            return Err(StoreError::NotFound(format!(
                "{}: no run store here yet (it is created by the first command that records \
                 something)",
                path.display()
            )));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let attempt = |uri: &str| -> Result<(Connection, i64), rusqlite::Error> {
            let conn = Connection::open_with_flags(uri, flags)?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
            Ok((conn, version))
        };
        let plain = path.to_string_lossy().into_owned();
        let (conn, version) = match attempt(&plain) {
            Ok(opened) => opened,
            Err(_) => attempt(&format!("file:{}?immutable=1", uri_path(path))).map_err(open_err)?,
        };
        check_version(path, version)?;
        if version < latest_version() {
            return Err(StoreError::NeedsMigration {
                path: path.to_path_buf(),
                found: version,
                supported: latest_version(),
            });
        }
        conn.pragma_update(None, "query_only", "ON")
            .map_err(open_err)?;
        Ok(Self {
            db: Db::sqlite(conn),
            location: StoreLocation::Sqlite(path.to_path_buf()),
            path: path.to_path_buf(),
            read_only: true,
        })
    }

    /// An in-memory store, for tests and throw-away benchmark runs.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        Self::from_connection(conn, PathBuf::from(":memory:"))
    }

    fn from_connection(mut conn: Connection, path: PathBuf) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // Before any pragma that writes (journal_mode does): a newer store stays untouched.
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(open_err)?;
        check_version(&path, version)?;
        // Pragmas are per connection and must be set outside any transaction: journal_mode
        // cannot change inside one.
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        if path.as_os_str() != ":memory:" {
            let mode: String = conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
                .map_err(open_err)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Corrupt {
                    what: format!("journal mode of {}", path.display()),
                    detail: format!("asked for WAL, SQLite kept '{mode}'"),
                });
            }
        }
        // NORMAL is durable across application crashes in WAL mode; only a power loss can drop
        // the last commits, never corrupt the file.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        // 32 MB of page cache (negative means KiB): a run's metric B-tree stays in memory while
        // it grows, instead of pages being evicted and re-read every batch. Taken only as used.
        conn.pragma_update(None, "cache_size", -32_000)
            .map_err(open_err)?;
        migrate(&mut conn, &path)?;
        let mut store = Self {
            db: Db::sqlite(conn),
            location: StoreLocation::Sqlite(path.clone()),
            path,
            read_only: false,
        };
        // A run whose worker died never stays "running": whoever opens the store next says so.
        store.reap_dead_runs()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where this store is, to open another connection to it.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        match self.db.sqlite_connection() {
            Some(conn) => Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?),
            None => pg::schema_version(&self.db),
        }
    }

    /// A counter that changes whenever another connection commits to the store. Cheap: the TUI
    /// polls it on its tick to know when to reload, instead of re-querying everything.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.db.data_version()
    }

    /// Runs `f` in a write transaction that holds the write lock from its first statement.
    fn write<T>(&mut self, f: impl FnOnce(&Db) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.db.write(f)
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let latest = latest_version();
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > latest {
        return Err(too_new(path, current));
    }
    if current == latest {
        return Ok(());
    }
    // Two processes may open a fresh file at once: take the write lock, then read the version
    // again, so exactly one of them migrates.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > latest {
        return Err(too_new(path, current));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", version))
            .map_err(|source| StoreError::Migration {
                path: path.to_path_buf(),
                version,
                source,
            })?;
    }
    tx.commit()?;
    Ok(())
}

fn check_version(path: &Path, found: i64) -> Result<(), StoreError> {
    if found > latest_version() {
        return Err(too_new(path, found));
    }
    Ok(())
}

/// `path` for a `file:` URI: percent-escapes what a URI reserves.
fn uri_path(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for c in absolute.to_string_lossy().chars() {
        match c {
            '?' | '#' | '%' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn too_new(path: &Path, found: i64) -> StoreError {
    StoreError::TooNew {
        path: path.to_path_buf(),
        found,
        supported: latest_version(),
    }
}

/// Timestamps are stored as RFC 3339 UTC text with milliseconds: sortable and readable in `sqlite3`.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
