//! Finding dataset files under a project's `data/` folder.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::Serialize;

use super::DataError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    Csv,
    Parquet,
}

impl DataFormat {
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(DataFormat::Csv),
            "parquet" | "pq" => Some(DataFormat::Parquet),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DataFormat::Csv => "csv",
            DataFormat::Parquet => "parquet",
        }
    }
}

/// A dataset file as the file system shows it, before it is read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DatasetFile {
    pub path: PathBuf,
    /// The path below the data folder, with '/' separators: what lists show.
    pub relative: String,
    pub format: DataFormat,
    pub bytes: u64,
    pub modified_ns: i64,
}

impl DatasetFile {
    pub fn from_path(path: &Path, base: &Path) -> Result<Self, DataError> {
        let format = DataFormat::from_path(path).ok_or_else(|| DataError::Unsupported {
            path: path.to_path_buf(),
        })?;
        let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
        let relative = path
            .strip_prefix(base)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        Ok(Self {
            path: path.to_path_buf(),
            relative,
            format,
            bytes: meta.len(),
            modified_ns: modified_ns(&meta),
        })
    }
}

pub(crate) fn modified_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

/// Every CSV and Parquet file below `data_dir` (recursively), sorted by relative path. Hidden
/// files and folders (a leading '.') are skipped: editors and copy tools keep their temporaries
/// there. A missing folder holds no datasets.
pub fn discover(data_dir: &Path) -> Result<Vec<DatasetFile>, DataError> {
    let mut found = Vec::new();
    if !data_dir.exists() {
        return Ok(found);
    }
    let mut pending = vec![data_dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| DataError::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| DataError::io(&dir, e))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                pending.push(path);
            } else if DataFormat::from_path(&path).is_some() {
                // A file removed between listing and stat is simply not there any more.
                if let Ok(file) = DatasetFile::from_path(&path, data_dir) {
                    found.push(file);
                }
            }
        }
    }
    found.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(found)
}
