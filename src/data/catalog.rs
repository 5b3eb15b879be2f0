//! Profiling a dataset file with the store as a cache. The file's (path, size, modification time)
//! find its fingerprint without re-hashing, and the fingerprint finds its profile: reopening a
//! million-row file reads one SQLite row.

use std::path::Path;

use super::profile::{DatasetProfile, PROFILE_VERSION, profile_columns, sample_rows};
use super::read::{ReadExtras, ReadOptions, read_dataset_with};
use super::scan::scan_file;
use super::{DataError, DatasetFile};
use crate::store::{CachedProfile, DatasetRecord, NewDataset, RunStore, StoreError};

/// Where a profile is in its work, for progress displays.
#[derive(Clone, Debug, PartialEq)]
pub enum ProfileStage {
    /// Hashing and checking the bytes (done, total).
    Scanning {
        done: u64,
        total: u64,
    },
    /// polars is reading the file.
    Reading,
    /// Column statistics (done, total).
    Profiling {
        done: usize,
        total: usize,
    },
    Saving,
}

impl ProfileStage {
    /// A rough share of the whole job, 0.0 to 1.0.
    pub fn fraction(&self) -> f64 {
        match self {
            ProfileStage::Scanning { done, total } => 0.3 * (*done as f64 / (*total).max(1) as f64),
            ProfileStage::Reading => 0.3,
            ProfileStage::Profiling { done, total } => {
                0.6 + 0.35 * (*done as f64 / (*total).max(1) as f64)
            }
            ProfileStage::Saving => 0.95,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ProfileOutcome {
    pub profile: DatasetProfile,
    pub dataset: DatasetRecord,
    pub from_cache: bool,
}

/// A recorded file whose bytes are no longer the ones recorded: the two fingerprints, short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChanged {
    pub then: String,
    pub now: String,
}

/// Whether `path` still holds the bytes `recorded` fingerprinted: the one check behind the
/// worker's "the data changed after launch" and drift's "the training data changed". The same
/// size and modification time are trusted (as the profile cache trusts them); else the file is
/// hashed again.
pub fn changed_since(
    path: &Path,
    recorded: &DatasetRecord,
) -> Result<Option<FileChanged>, DataError> {
    let format = super::DataFormat::from_path(path).ok_or_else(|| DataError::Unsupported {
        path: path.to_path_buf(),
    })?;
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if meta.len() == recorded.bytes && super::discover::modified_ns(&meta) == recorded.modified_ns {
        return Ok(None);
    }
    let scan = scan_file(path, format, &|_, _| {})?;
    let short = |sha: &str| sha.get(..12).unwrap_or(sha).to_string();
    Ok((scan.sha256 != recorded.sha256).then(|| FileChanged {
        then: short(&recorded.sha256),
        now: short(&scan.sha256),
    }))
}

/// The store key of a file: its absolute path, so the same file opened from two folders (or as
/// `../shared/data/x.csv` and by full path) is one record.
pub fn store_key(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// The cached profile of `file` if its bytes are unchanged since it was profiled.
pub fn cached_profile(
    store: &RunStore,
    file: &DatasetFile,
    options: &ReadOptions,
) -> Result<Option<ProfileOutcome>, DataError> {
    let key = store_key(&file.path);
    let Some(dataset) = store.dataset_by_stat(&key, file.bytes, file.modified_ns)? else {
        return Ok(None);
    };
    let Some(cached) = store.cached_profile(&dataset.sha256, PROFILE_VERSION)? else {
        return Ok(None);
    };
    let Some(profile) = profile_from_cache(&cached.profile_json, file, options) else {
        return Ok(None);
    };
    Ok(Some(ProfileOutcome {
        profile,
        dataset,
        from_cache: true,
    }))
}

/// A cached profile, reported under the file's current path (the bytes may have been profiled
/// under another name). One that no longer deserialises, or was read with other missing-value
/// tokens, counts as missing and is recomputed.
fn profile_from_cache(
    json: &str,
    file: &DatasetFile,
    options: &ReadOptions,
) -> Option<DatasetProfile> {
    let mut profile = serde_json::from_str::<DatasetProfile>(json).ok()?;
    if profile.na_values != options.na_values {
        return None;
    }
    profile.path = file.path.to_string_lossy().into_owned();
    Some(profile)
}

/// Profiles `file`, from the cache when `use_cache` allows and the bytes are unchanged.
pub fn profile_dataset(
    store: &mut RunStore,
    file: &DatasetFile,
    options: &ReadOptions,
    use_cache: bool,
    on_progress: &(dyn Fn(ProfileStage) + Sync),
) -> Result<ProfileOutcome, DataError> {
    if use_cache {
        if let Some(outcome) = cached_profile(store, file, options)? {
            return Ok(outcome);
        }
        if let Some(outcome) = cached_by_content(store, file, options, on_progress)? {
            return Ok(outcome);
        }
    }
    let profile = compute_profile(file, options, on_progress)?;
    on_progress(ProfileStage::Saving);
    let schema: Vec<(&str, &str)> = profile
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.kind.as_str()))
        .collect();
    let cached = CachedProfile {
        rows: profile.rows,
        columns: profile.columns.len() as u64,
        schema_json: serde_json::to_string(&schema).map_err(StoreError::from)?,
        profile_json: serde_json::to_string(&profile).map_err(StoreError::from)?,
    };
    let key = store_key(&file.path);
    let dataset = store.record_profiled_dataset(
        &new_dataset(file, &key, &profile.sha256),
        PROFILE_VERSION,
        &cached,
    )?;
    Ok(ProfileOutcome {
        profile,
        dataset,
        from_cache: false,
    })
}

fn new_dataset<'a>(file: &'a DatasetFile, key: &'a str, sha256: &'a str) -> NewDataset<'a> {
    NewDataset {
        path: key,
        sha256,
        bytes: file.bytes,
        modified_ns: file.modified_ns,
        format: file.format.as_str(),
    }
}

/// A file never seen at this path (or touched since) may still hold bytes profiled before: a
/// copy, a rename, a `touch`. When a recorded file has exactly its size, hash it (far cheaper than
/// a profile) and look the profile up by fingerprint.
fn cached_by_content(
    store: &mut RunStore,
    file: &DatasetFile,
    options: &ReadOptions,
    on_progress: &(dyn Fn(ProfileStage) + Sync),
) -> Result<Option<ProfileOutcome>, DataError> {
    if store.fingerprints_of_size(file.bytes)?.is_empty() {
        return Ok(None);
    }
    let scan = scan_file(&file.path, file.format, &|done, total| {
        on_progress(ProfileStage::Scanning { done, total })
    })?;
    let Some(cached) = store.cached_profile(&scan.sha256, PROFILE_VERSION)? else {
        return Ok(None);
    };
    let Some(profile) = profile_from_cache(&cached.profile_json, file, options) else {
        return Ok(None);
    };
    let key = store_key(&file.path);
    let dataset = store.record_dataset(&new_dataset(file, &key, &scan.sha256))?;
    Ok(Some(ProfileOutcome {
        profile,
        dataset,
        from_cache: true,
    }))
}

/// Reads and profiles `file` without touching any store, through the one reading path (the
/// structural scan beside the polars read; the scan's error wins because it names the line).
pub fn compute_profile(
    file: &DatasetFile,
    options: &ReadOptions,
    on_progress: &(dyn Fn(ProfileStage) + Sync),
) -> Result<DatasetProfile, DataError> {
    let on_scan = |done, total| on_progress(ProfileStage::Scanning { done, total });
    let on_reading = || on_progress(ProfileStage::Reading);
    let read = read_dataset_with(
        &file.path,
        options,
        &ReadExtras {
            missing_tokens: true,
            on_scan: Some(&on_scan),
            on_reading: Some(&on_reading),
        },
    )?;
    let df = read.frame;
    on_progress(ProfileStage::Profiling {
        done: 0,
        total: df.width(),
    });
    let mut columns = profile_columns(&df, &|done, total| {
        on_progress(ProfileStage::Profiling { done, total })
    })
    .map_err(|source| DataError::polars(&file.path, &source))?;
    for column in &mut columns {
        if let Some(tokens) = read.missing_written.get(&column.name) {
            column.missing_written = tokens.clone();
        }
    }
    Ok(DatasetProfile {
        path: file.path.to_string_lossy().into_owned(),
        format: file.format.as_str().to_string(),
        sha256: read.scan.sha256,
        bytes: read.scan.bytes,
        rows: df.height() as u64,
        columns,
        sample: sample_rows(&df),
        notes: read.notes,
        na_values: options.na_values.clone(),
    })
}
