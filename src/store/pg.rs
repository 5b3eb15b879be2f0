//! The run store on PostgreSQL, for teams that outgrow one box: the connection and the schema.
//! The same numbered migrations as SQLite's, in PostgreSQL's dialect (`dialect`), each applied
//! in its own transaction (PostgreSQL's DDL is transactional) under an advisory lock so two
//! processes opening a fresh database migrate it once; the version is kept in
//! `shelfcast_schema`, and a database written by a newer Shelfcast is refused as a newer
//! `runs.db` is. The typed API over this connection is the next step of the backend.

use std::path::PathBuf;

use postgres::{Client, NoTls};

use super::StoreError;
use super::dialect::postgres_ddl;
use super::migrations::{MIGRATIONS, latest_version};

/// The advisory lock the migrations take (any fixed number; "SHELFCST" in ASCII).
const MIGRATION_LOCK: i64 = 0x5348_454C_4643_5354;

/// A connection to a PostgreSQL run store.
pub struct PgStore {
    client: Client,
    /// The URL without its password, for messages.
    shown: String,
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`) and brings its
    /// schema to this build's version.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let shown = without_password(url);
        let client = Client::connect(url, NoTls).map_err(|e| {
            StoreError::NotFound(format!(
                "cannot reach the PostgreSQL run store {shown}: {e}"
            ))
        })?;
        let mut store = Self { client, shown };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version the database is at.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
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
        let current = self.schema_version()?;
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
