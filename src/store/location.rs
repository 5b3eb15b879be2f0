//! Where a run store lives, as the user names it: a SQLite file (`runs.db`, `sqlite:runs.db`,
//! `sqlite:///abs/runs.db`) or a PostgreSQL database (`postgres://user@host/db`,
//! `postgresql://…`). The one parser of store URLs, for `--store`, `SHELFCAST_STORE`, the
//! project config's `[store] url` and `store copy`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{RunStore, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    /// The full URL, password included (never shown: see `Display`).
    Postgres(String),
}

impl StoreLocation {
    /// Reads `text`; a relative SQLite path is taken from `base` (the project folder).
    pub fn parse(text: &str, base: &Path) -> Result<Self, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::Refused(
                "an empty store URL; expected postgres://user@host/database or sqlite:PATH".into(),
            ));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            if text.parse::<postgres::Config>().is_err() {
                return Err(StoreError::Refused(format!(
                    "{}: not a PostgreSQL URL this build reads (expected \
                     postgres://user[:password]@host[:port]/database)",
                    super::pg::without_password(text)
                )));
            }
            return Ok(StoreLocation::Postgres(text.to_string()));
        }
        let path = match text.strip_prefix("sqlite:") {
            Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
            None if text.contains("://") => {
                return Err(StoreError::Refused(format!(
                    "{text}: unknown kind of store; expected postgres://user@host/database or \
                     sqlite:PATH"
                )));
            }
            None => text,
        };
        if path.is_empty() {
            return Err(StoreError::Refused(
                "sqlite: with no path; expected sqlite:PATH (sqlite:runs.db)".into(),
            ));
        }
        let path = Path::new(path);
        Ok(StoreLocation::Sqlite(if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.join(path)
        }))
    }

    /// Opens (creating and migrating as needed) the store here.
    pub fn open(&self) -> Result<RunStore, StoreError> {
        match self {
            StoreLocation::Sqlite(path) => RunStore::open(path),
            StoreLocation::Postgres(url) => RunStore::open_postgres(url),
        }
    }

    /// Opens the store for reading only (nothing migrated or reaped).
    pub fn open_read_only(&self) -> Result<RunStore, StoreError> {
        match self {
            StoreLocation::Sqlite(path) => RunStore::open_read_only(path),
            StoreLocation::Postgres(url) => RunStore::open_postgres_read_only(url),
        }
    }

    /// The text to hand a child process (`--store`), password included.
    pub fn url(&self) -> String {
        match self {
            StoreLocation::Sqlite(path) => format!("sqlite:{}", path.display()),
            StoreLocation::Postgres(url) => url.clone(),
        }
    }
}

/// Shown without a password.
impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&super::pg::without_password(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_name_a_file_or_a_database() {
        let base = Path::new("/p");
        assert_eq!(
            StoreLocation::parse("runs.db", base).ok(),
            Some(StoreLocation::Sqlite("/p/runs.db".into()))
        );
        assert_eq!(
            StoreLocation::parse("sqlite:other.db", base).ok(),
            Some(StoreLocation::Sqlite("/p/other.db".into()))
        );
        assert_eq!(
            StoreLocation::parse("sqlite:///tmp/x.db", base).ok(),
            Some(StoreLocation::Sqlite("/tmp/x.db".into()))
        );
        let pg = StoreLocation::parse("postgres://ana:pw@db:5432/runs", base);
        assert_eq!(
            pg.as_ref().map(ToString::to_string).ok(),
            Some("postgres://ana@db:5432/runs".to_string())
        );
        assert!(
            StoreLocation::parse("mysql://x/y", base)
                .err()
                .is_some_and(|e| e.to_string().contains("unknown kind of store"))
        );
        assert!(StoreLocation::parse("sqlite:", base).is_err());
    }
}
