//! `shelfcast sample-data`: a deterministic, realistic promo-retail dataset so a fresh clone has
//! something real-shaped to profile, train on, predict with and drift-check.
//!
//! What it writes (same seed, byte-identical files):
//! - `sales_weekly.csv` and `sales_weekly.parquet`: 20 stores x 50 items (8 categories) x 156
//!   weeks. Units sold follow store and item effects, yearly seasonality, trend, price elasticity,
//!   holidays, a display effect and a known promotion effect per category.
//! - `sales_weekly_2024h1.csv`: the next 26 weeks with drift: prices up, promotion share changed,
//!   one new store, a shifted category mix (Household items delisted, new Snacks items).
//! - `coupon_redemption.csv`: a binary-classification sample (did the customer redeem the coupon).
//! - `sample_truth.json`: the true promotion uplift per category, so tests can check that a model
//!   recovers it.

mod calendar;
mod coupons;
mod pricing;
mod retail;
pub mod rng;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::DataError;
pub use retail::{CATEGORIES, CategorySpec};
pub use rng::SampleRng;

pub const DEFAULT_SEED: u64 = 42;

#[derive(Clone, Debug, Serialize)]
pub struct SampleFile {
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SampleReport {
    pub seed: u64,
    pub files: Vec<SampleFile>,
}

/// Writes the sample files into `out` (created if needed). Each file is written under a hidden
/// temporary name and renamed into place, so a watcher never sees half a file.
pub fn write_sample(out: &Path, seed: u64) -> Result<SampleReport, DataError> {
    std::fs::create_dir_all(out).map_err(|e| DataError::io(out, e))?;
    let mut files = Vec::new();
    let sales = retail::generate(seed);

    let csv = out.join("sales_weekly.csv");
    write_atomic(&csv, |w| sales.train.write_csv(w))?;
    files.push(sample_file(&csv, sales.train.len())?);

    let parquet = out.join("sales_weekly.parquet");
    let mut frame = sales
        .train
        .to_frame()
        .map_err(|source| DataError::polars(&parquet, &source))?;
    write_atomic(&parquet, |w| {
        polars::prelude::ParquetWriter::new(w)
            .finish(&mut frame)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })?;
    files.push(sample_file(&parquet, sales.train.len())?);

    let drift = out.join("sales_weekly_2024h1.csv");
    write_atomic(&drift, |w| sales.drift.write_csv(w))?;
    files.push(sample_file(&drift, sales.drift.len())?);

    let coupon = out.join("coupon_redemption.csv");
    let coupon_rows = coupons::write_coupons(seed)?;
    write_atomic(&coupon, |w| w.write_all(coupon_rows.1.as_bytes()))?;
    files.push(sample_file(&coupon, coupon_rows.0)?);

    let truth = out.join("sample_truth.json");
    let truth_text =
        serde_json::to_string_pretty(&sales.truth).map_err(|e| DataError::Invalid {
            path: truth.clone(),
            what: e.to_string(),
        })?;
    write_atomic(&truth, |w| writeln!(w, "{truth_text}"))?;
    files.push(sample_file(&truth, 0)?);

    Ok(SampleReport { seed, files })
}

fn sample_file(path: &Path, rows: usize) -> Result<SampleFile, DataError> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| DataError::io(path, e))?
        .len();
    Ok(SampleFile {
        path: path.to_path_buf(),
        rows: rows as u64,
        bytes,
    })
}

fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), DataError> {
    crate::files::write_atomically(path, write).map_err(|e| DataError::io(path, e))
}
