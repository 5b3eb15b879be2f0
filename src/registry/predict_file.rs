//! A whole file of records through a registered model: the one flow behind `shelfcast predict
//! --input` and the daemon's predict job. The file is checked against the model's signature
//! first — every bad row reported with its row number, column and reason — and nothing is
//! written unless it is clean or `skip_invalid` drops the bad rows. Lags a record leaves out are
//! looked up in the model's history. The output repeats the input's cells as written, adds the
//! prediction (with its interval, and the promotion what-if when asked), and is written to a
//! temporary file and renamed, so a reader never sees half of it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;

use super::RegistryError;
use crate::data::{DataFormat, ReadOptions, read_as_written, read_dataset};
use crate::ml::artifact::LoadedModel;
use crate::ml::conform::conform_frame;
use crate::ml::predict::{predict_frame, promotion_columns, uplift_depths, with_lookups};
use crate::ml::whatif::promotion_predictions;

/// Rows encoded and predicted at a time (bounds memory on large files, paces the progress).
const CHUNK: usize = 100_000;

/// What to predict and where.
#[derive(Clone, Debug)]
pub struct PredictFile {
    pub input: PathBuf,
    pub output: PathBuf,
    /// Add the promotion what-if: predictions with the promotion off and on.
    pub uplift: bool,
    /// Drop the rows that fail the checks (each still reported) instead of writing nothing.
    pub skip_invalid: bool,
}

/// What was written, and what the face should tell.
#[derive(Clone, Debug, Default)]
pub struct PredictedFile {
    pub rows: usize,
    pub seconds: f64,
    /// Each bad row's problem (`file: row N, column C: why`), when `skip_invalid` dropped them.
    pub problems: Vec<String>,
    pub skipped_rows: usize,
    /// Notes on what was filled in or left out.
    pub notes: Vec<String>,
    /// A lag model's predictions by series and date (key, day, value), to log so the actuals
    /// score them (`log_scorable`).
    pub scorable: Vec<(String, i32, f64)>,
}

fn failed(text: String) -> RegistryError {
    RegistryError::NotFound(text)
}

fn said(e: impl std::fmt::Display) -> RegistryError {
    failed(e.to_string())
}

fn frame_error(input: &Path) -> impl Fn(PolarsError) -> RegistryError + '_ {
    move |e| failed(format!("{}: {e}", input.display()))
}

/// Predicts every record of `request.input` with `loaded` into `request.output`; `progress`
/// hears (rows done, rows) after each chunk.
pub fn predict_to_file(
    loaded: &LoadedModel,
    request: &PredictFile,
    options: &ReadOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<PredictedFile, RegistryError> {
    let (input, output) = (request.input.as_path(), request.output.as_path());
    let at = frame_error(input);
    let out_format = DataFormat::from_path(output).ok_or_else(|| {
        failed(format!(
            "{}: expected a .csv or .parquet output",
            output.display()
        ))
    })?;
    let started = Instant::now();
    let frame = read_dataset(input, options).map_err(said)?.frame;
    // The output repeats the input's cells as written (FALSE stays FALSE), not as parsed.
    let mut as_written = read_as_written(input).map_err(said)?;
    if as_written.height() != frame.height() {
        return Err(failed(format!(
            "{}: read {} rows as text but {} as data",
            input.display(),
            as_written.height(),
            frame.height()
        )));
    }
    let (frame, mut issues) = conform_frame(&loaded.signature, frame).map_err(said)?;
    let mut frame = match with_lookups(loaded, &frame, 1) {
        Ok(joined) => joined,
        Err(misses) => {
            issues.extend(misses);
            frame
        }
    };
    let mut done = PredictedFile::default();
    if !issues.is_empty() {
        let bad_rows: std::collections::BTreeSet<usize> = issues.iter().map(|i| i.row).collect();
        let problems = issues
            .iter()
            .map(|issue| format!("{}: {issue}", input.display()))
            .collect();
        if !request.skip_invalid {
            return Err(RegistryError::BadRows {
                path: input.to_path_buf(),
                count: bad_rows.len(),
                problems,
            });
        }
        done.problems = problems;
        done.skipped_rows = bad_rows.len();
        let keep: Vec<bool> = (1..=frame.height())
            .map(|r| !bad_rows.contains(&r))
            .collect();
        let keep = BooleanChunked::from_slice("keep".into(), &keep);
        frame = frame.filter(&keep).map_err(&at)?;
        as_written = as_written.filter(&keep).map_err(&at)?;
        // The rows left may still miss a lookup only if they were bad; join what remains.
        if let Ok(joined) = with_lookups(loaded, &frame, 1) {
            frame = joined;
        }
    }
    let (frame, fill) = crate::ml::history::fill_batch(loaded, frame).map_err(said)?;
    if fill.filled > 0 {
        done.notes.push(format!(
            "lags of {} row(s) looked up in the model's history{}",
            fill.filled,
            if fill.beyond > 0 {
                format!(
                    " ({} dated past it, reached through the model's own forecasts)",
                    fill.beyond
                )
            } else {
                String::new()
            }
        ));
    }
    if fill.no_history > 0 {
        done.notes.push(format!(
            "{} row(s) of series the model's history does not hold: their lags are missing",
            fill.no_history
        ));
    }
    let rows = frame.height();
    let promotion = if request.uplift {
        let found = promotion_columns(&loaded.signature);
        if found.is_none() {
            done.notes
                .push("--uplift: the model has no promotion column; no uplift written".into());
        }
        found
    } else {
        None
    };
    let depths = promotion
        .as_ref()
        .map(|p| uplift_depths(&loaded.signature, p))
        .unwrap_or_default();
    let mut predictions = Vec::with_capacity(rows);
    let mut lows = Vec::with_capacity(rows);
    let mut highs = Vec::with_capacity(rows);
    let mut off = Vec::new();
    let mut on: Vec<Vec<f64>> = vec![Vec::new(); depths.len()];
    for start in (0..rows).step_by(CHUNK) {
        let chunk = frame.slice(start as i64, CHUNK.min(rows - start));
        for (value, interval) in predict_frame(loaded, &chunk).map_err(said)? {
            predictions.push(value);
            lows.push(interval.map(|i| i.0));
            highs.push(interval.map(|i| i.1));
        }
        if let Some(promotion) = &promotion {
            let (chunk_off, chunk_on) = promotion_predictions(loaded, &chunk, promotion, &depths)
                .map_err(|e| failed(e.to_string()))?;
            off.extend(chunk_off);
            for (all, chunk_on) in on.iter_mut().zip(chunk_on) {
                all.extend(chunk_on);
            }
        }
        progress((start + CHUNK).min(rows), rows);
    }
    if let Some(lags) = &loaded.signature.derived
        && let Ok((keys, days)) = crate::ml::lags::series_and_days(&frame, lags)
    {
        done.scorable = keys
            .into_iter()
            .zip(days)
            .zip(&predictions)
            .map(|((k, d), v)| (k, d, *v))
            .collect();
    }
    let mut out = as_written;
    let mut add = |column: Column| out.with_column(column).map(|_| ()).map_err(&at);
    add(Column::new("prediction".into(), predictions))?;
    if let Some(conformal) = &loaded.metrics.conformal {
        let percent = (conformal.level * 100.0).round();
        add(Column::new(
            format!("prediction_low_{percent}").into(),
            lows,
        ))?;
        add(Column::new(
            format!("prediction_high_{percent}").into(),
            highs,
        ))?;
    }
    if promotion.is_some() {
        add(Column::new("prediction_promo_off".into(), off.clone()))?;
        for (depth, values) in depths.iter().zip(on) {
            let label = depth.map_or("on".to_string(), |d| format!("{d}pct"));
            let uplift_pct: Vec<Option<f64>> = values
                .iter()
                .zip(&off)
                .map(|(a, b)| (*b != 0.0).then(|| 100.0 * (a - b) / b))
                .collect();
            add(Column::new(
                format!("prediction_promo_{label}").into(),
                values,
            ))?;
            add(Column::new(
                format!("uplift_pct_promo_{label}").into(),
                uplift_pct,
            ))?;
        }
    }
    crate::data::write_frame(&mut out, output, out_format).map_err(|e| failed(e.to_string()))?;
    done.rows = rows;
    done.seconds = started.elapsed().as_secs_f64();
    Ok(done)
}

/// Logs a batch's scorable predictions under `version_id` (each row's input names the file and
/// its row), so `actuals add` matches them like a forecast's.
pub fn log_scorable(
    store: &mut crate::store::RunStore,
    version_id: i64,
    input: &Path,
    done: &PredictedFile,
) -> Result<usize, RegistryError> {
    let file = input
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let rows: Vec<crate::store::LoggedPrediction> = done
        .scorable
        .iter()
        .enumerate()
        .map(|(i, (key, day, value))| crate::store::LoggedPrediction {
            input: serde_json::json!({ "batch": file, "row": i + 1 }).to_string(),
            output: serde_json::json!({ "value": value }).to_string(),
            series_key: Some(key.clone()),
            target_date: Some(crate::data::profile::day_text(*day)),
            prediction: Some(*value),
        })
        .collect();
    store.log_predictions(version_id, &rows)?;
    Ok(rows.len())
}
