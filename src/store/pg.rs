//! The run store on PostgreSQL, for teams that outgrow one box: the connection and the schema.
//! The same numbered migrations as SQLite's, in PostgreSQL's dialect (`dialect`), each applied
//! in its own transaction (PostgreSQL's DDL is transactional) under an advisory lock so two
//! processes opening a fresh database migrate it once; the version is kept in
//! `shelfcast_schema`, and a database written by a newer Shelfcast is refused as a newer
//! `runs.db` is. The typed API is `RunStore`'s, over `db::Db`.

use std::path::PathBuf;

use postgres::{Client, NoTls};

use super::db::Db;
use super::dialect::postgres_ddl;
use super::migrations::{MIGRATIONS, latest_version};
use super::{RunStore, StoreError};

/// The advisory lock the migrations take (any fixed number; "SHELFCST" in ASCII).
const MIGRATION_LOCK: i64 = 0x5348_454C_4643_5354;

impl RunStore {
    /// Connects to the PostgreSQL store at `url`
    /// (`postgres://user[:password]@host[:port]/database`), brings its schema to this build's
    /// version and reaps the runs whose workers died, as `open` does for a file.
    pub fn open_postgres(url: &str) -> Result<Self, StoreError> {
        let mut store = Self::connect_postgres(url, false)?;
        store.reap_dead_runs()?;
        Ok(store)
    }

    /// The PostgreSQL store at `url` for reading only: nothing is migrated or reaped, and the
    /// session refuses writes.
    pub fn open_postgres_read_only(url: &str) -> Result<Self, StoreError> {
        Self::connect_postgres(url, true)
    }

    fn connect_postgres(url: &str, read_only: bool) -> Result<Self, StoreError> {
        super::db::outside_runtime(|| Self::connect_postgres_here(url, read_only))
    }

    fn connect_postgres_here(url: &str, read_only: bool) -> Result<Self, StoreError> {
        let shown = without_password(url);
        let client = Client::connect(url, NoTls).map_err(|e| {
            StoreError::NotFound(format!(
                "cannot reach the PostgreSQL run store {shown}: {}",
                detail(&e)
            ))
        })?;
        let mut schema = Schema { client, shown };
        if read_only {
            let found = schema.version()?;
            if found > latest_version() {
                return Err(schema.too_new(found));
            }
            if found < latest_version() {
                return Err(StoreError::NeedsMigration {
                    path: PathBuf::from(&schema.shown),
                    found,
                    supported: latest_version(),
                });
            }
            schema
                .client
                .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")?;
        } else {
            schema.migrate()?;
        }
        Ok(Self {
            db: Db::postgres(schema.client)?,
            path: PathBuf::from(schema.shown),
            location: super::StoreLocation::Postgres(url.to_string()),
            read_only,
        })
    }
}

/// The schema version of a PostgreSQL store (0 before its first migration).
pub(super) fn schema_version(db: &Db) -> Result<i64, StoreError> {
    Ok(db
        .query_opt("SELECT version FROM shelfcast_schema", &[], |row| {
            row.get(0)
        })?
        .unwrap_or(0))
}

/// A fresh connection, before it is the store's: reads and migrates the schema.
struct Schema {
    client: Client,
    /// The URL without its password, for messages.
    shown: String,
}

impl Schema {
    fn version(&mut self) -> Result<i64, StoreError> {
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass('shelfcast_schema') IS NOT NULL", &[])?
            .get(0);
        if !exists {
            return Ok(0);
        }
        let row = self
            .client
            .query_opt("SELECT version FROM shelfcast_schema", &[])?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    fn too_new(&self, found: i64) -> StoreError {
        StoreError::TooNew {
            path: PathBuf::from(&self.shown),
            found,
            supported: latest_version(),
        }
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        // Under the lock: two processes opening a fresh database at once make one version row.
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS shelfcast_schema (version BIGINT NOT NULL); \
             INSERT INTO shelfcast_schema (version) SELECT 0 \
             WHERE NOT EXISTS (SELECT 1 FROM shelfcast_schema)",
        )?;
        tx.commit()?;
        let latest = latest_version();
        let current = self.version()?;
        if current > latest {
            return Err(self.too_new(current));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = index as i64 + 1;
            let mut tx = self.client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            // Another process may have migrated while this one waited for the lock.
            let now: i64 = tx
                .query_one("SELECT version FROM shelfcast_schema", &[])?
                .get(0);
            if now >= version {
                tx.commit()?;
                continue;
            }
            let applied = tx.batch_execute(&postgres_ddl(sql)).and_then(|()| {
                tx.execute("UPDATE shelfcast_schema SET version = $1", &[&version])
                    .map(|_| ())
            });
            if let Err(source) = applied {
                return Err(StoreError::Refused(format!(
                    "migrating the PostgreSQL run store {} to schema version {version} failed: \
                     {source}",
                    self.shown
                )));
            }
            tx.commit()?;
        }
        Ok(())
    }
}

/// What went wrong, in the server's words when it said something (`database "x" does not
/// exist`), else with the cause (`Connection refused`): the client's own text is terse.
pub fn detail(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return match db.detail() {
            Some(more) => format!("{} ({more})", db.message()),
            None => db.message().to_string(),
        };
    }
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

/// A database beside the one `url` names (`NAME_suffix` on the same server, created when
/// missing), its URL: where a benchmark puts another tool's store next to Shelfcast's.
pub fn database_beside(url: &str, suffix: &str) -> Result<String, StoreError> {
    super::db::outside_runtime(|| {
        let shown = without_password(url);
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| StoreError::NotFound(format!("cannot reach {shown}: {e}")))?;
        let current: String = client.query_one("SELECT current_database()", &[])?.get(0);
        let name = format!("{current}_{suffix}");
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StoreError::Refused(format!(
                "{name}: a database name this benchmark will not quote"
            )));
        }
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])?
            .is_some();
        if !exists {
            client.batch_execute(&format!("CREATE DATABASE {name}"))?;
        }
        let (head, tail) = url.split_once("://").unwrap_or(("postgres", url));
        let (authority, _) = tail.split_once('/').unwrap_or((tail, ""));
        let query = tail
            .split_once('?')
            .map_or(String::new(), |(_, q)| format!("?{q}"));
        Ok(format!("{head}://{authority}/{name}{query}"))
    })
}

/// `url` with its password (if any) left out.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            without_password("postgres://ana:s3cret@db:5432/runs"),
            "postgres://ana@db:5432/runs"
        );
        assert_eq!(
            without_password("postgres://ana@db/runs"),
            "postgres://ana@db/runs"
        );
        assert_eq!(without_password("postgres://db/runs"), "postgres://db/runs");
    }
}
