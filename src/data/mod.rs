//! Datasets: finding them, reading them with polars, fingerprinting, checking and profiling them.
//!
//! Core module: it never draws anything. The faces get plain view data (`DatasetProfile`), never
//! a polars `DataFrame`.

mod catalog;
mod discover;
mod error;
pub mod load;
pub mod printable;
pub mod profile;
pub mod read;
pub mod sample;
mod sample_rows;
mod scan;
mod write;

pub use catalog::{
    FileChanged, ProfileOutcome, ProfileStage, cached_profile, changed_since, compute_profile,
    profile_dataset, store_key,
};
pub use discover::{DataFormat, DatasetFile, discover};
pub use error::DataError;
pub use profile::{ColumnKind, ColumnProfile, DatasetProfile};
pub use read::{
    MissingTokens, PANDAS_NA_VALUES, ReadDataset, ReadExtras, ReadOptions, read_as_written,
    read_dataset, read_dataset_with,
};
pub use scan::{ScanSummary, hex, scan_file, sniff_cr_only};
pub use write::write_frame;
