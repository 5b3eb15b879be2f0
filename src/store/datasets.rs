//! Dataset records (a path with given bytes) and the profile cache keyed by content hash.

use rusqlite::params;
use serde::Serialize;

use super::db::{Db, Row};
use super::{RunStore, StoreError, now_text};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DatasetRecord {
    pub id: i64,
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub modified_ns: i64,
    pub format: String,
}

#[derive(Clone, Debug)]
pub struct NewDataset<'a> {
    pub path: &'a str,
    pub sha256: &'a str,
    pub bytes: u64,
    pub modified_ns: i64,
    pub format: &'a str,
}

/// A profile as the store keeps it: the data module owns its shape and (de)serialises it.
#[derive(Clone, Debug)]
pub struct CachedProfile {
    pub rows: u64,
    pub columns: u64,
    pub schema_json: String,
    pub profile_json: String,
}

impl RunStore {
    /// The record of `path` if the file still has the size and modification time it had when it
    /// was hashed: this is what makes reopening a large file instant (no re-hash).
    pub fn dataset_by_stat(
        &self,
        path: &str,
        bytes: u64,
        modified_ns: i64,
    ) -> Result<Option<DatasetRecord>, StoreError> {
        self.db.query_opt(
            "SELECT id, path, sha256, bytes, modified_ns, format FROM datasets \
             WHERE path = ?1 AND bytes = ?2 AND modified_ns = ?3 ORDER BY last_seen DESC LIMIT 1",
            params![path, bytes as i64, modified_ns],
            record_from_row,
        )
    }

    /// Fingerprints of recorded files of exactly this size: candidates for a copy or a rename
    /// of a file profiled before.
    pub fn fingerprints_of_size(&self, bytes: u64) -> Result<Vec<String>, StoreError> {
        self.db.query_map(
            "SELECT DISTINCT sha256 FROM datasets WHERE bytes = ?1",
            params![bytes as i64],
            |row| row.get(0),
        )
    }

    pub fn dataset(&self, id: i64) -> Result<Option<DatasetRecord>, StoreError> {
        self.db.query_opt(
            "SELECT id, path, sha256, bytes, modified_ns, format FROM datasets WHERE id = ?1",
            params![id],
            record_from_row,
        )
    }

    /// Records that `path` holds the bytes with this fingerprint (insert or refresh).
    pub fn record_dataset(&mut self, new: &NewDataset<'_>) -> Result<DatasetRecord, StoreError> {
        self.write(|tx| record_dataset_in(tx, new))
    }

    /// Records the file and caches its profile in one transaction: a crash in between never
    /// leaves a record whose profile is missing.
    pub fn record_profiled_dataset(
        &mut self,
        new: &NewDataset<'_>,
        profile_version: i64,
        profile: &CachedProfile,
    ) -> Result<DatasetRecord, StoreError> {
        self.write(|tx| {
            save_profile_in(tx, new.sha256, profile_version, profile)?;
            record_dataset_in(tx, new)
        })
    }

    pub fn cached_profile(
        &self,
        sha256: &str,
        profile_version: i64,
    ) -> Result<Option<CachedProfile>, StoreError> {
        self.db.query_opt(
            "SELECT rows, columns, schema_json, profile_json FROM dataset_profiles \
             WHERE sha256 = ?1 AND profile_version = ?2",
            params![sha256, profile_version],
            |row| {
                Ok(CachedProfile {
                    rows: row.get::<_, i64>(0)? as u64,
                    columns: row.get::<_, i64>(1)? as u64,
                    schema_json: row.get(2)?,
                    profile_json: row.get(3)?,
                })
            },
        )
    }
}

fn record_dataset_in(tx: &Db, new: &NewDataset<'_>) -> Result<DatasetRecord, StoreError> {
    let now = now_text();
    tx.execute(
        "INSERT INTO datasets (path, sha256, bytes, modified_ns, format, first_seen, last_seen) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (path, sha256) DO UPDATE SET \
         bytes = excluded.bytes, modified_ns = excluded.modified_ns, format = excluded.format, \
         last_seen = excluded.last_seen",
        params![
            new.path,
            new.sha256,
            new.bytes as i64,
            new.modified_ns,
            new.format,
            now
        ],
    )?;
    tx.query_row(
        "SELECT id, path, sha256, bytes, modified_ns, format FROM datasets \
         WHERE path = ?1 AND sha256 = ?2",
        params![new.path, new.sha256],
        record_from_row,
    )
}

fn save_profile_in(
    tx: &Db,
    sha256: &str,
    profile_version: i64,
    profile: &CachedProfile,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO dataset_profiles (sha256, profile_version, rows, columns, schema_json, \
         profile_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (sha256, profile_version) DO UPDATE SET rows = excluded.rows, \
         columns = excluded.columns, schema_json = excluded.schema_json, \
         profile_json = excluded.profile_json, created_at = excluded.created_at",
        params![
            sha256,
            profile_version,
            profile.rows as i64,
            profile.columns as i64,
            profile.schema_json,
            profile.profile_json,
            now_text()
        ],
    )?;
    Ok(())
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<DatasetRecord> {
    Ok(DatasetRecord {
        id: row.get(0)?,
        path: row.get(1)?,
        sha256: row.get(2)?,
        bytes: row.get::<_, i64>(3)? as u64,
        modified_ns: row.get(4)?,
        format: row.get(5)?,
    })
}
