//! Errors of the run store. Every message names the database file where one is known, so a user
//! who keeps several project folders can tell which `runs.db` is at fault.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} was written by a newer Shelfcast (schema version {found}, this build knows up to \
         {supported}); upgrade Shelfcast to open it — it is never migrated down"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("cannot open the run store {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("migrating {path} to schema version {version} failed: {source}")]
    Migration {
        path: PathBuf,
        version: i64,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "{path} is at schema version {found} and this Shelfcast reads version {supported}; it \
         can only be read once a command that may write (train, register) has migrated it"
    )]
    NeedsMigration {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("no run with id {0}")]
    RunNotFound(i64),
    /// Something asked for by name or number is not in the store (the text says what).
    #[error("{0}")]
    NotFound(String),
    /// A write the store refuses (a name already taken); the text says why.
    #[error("{0}")]
    Refused(String),
    #[error("stored value for {what} is not valid: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("run store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("run store on PostgreSQL: {}", super::pg::detail(.0))]
    Postgres(#[from] postgres::Error),
    #[error("run store JSON: {0}")]
    Json(#[from] serde_json::Error),
}
