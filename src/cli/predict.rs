//! `shelfcast predict`: one record (`--record JSON`) or a whole file (`--input` / `--output`)
//! through a registered model. A file is checked against the model's signature first — every bad
//! row reported with its row number, column and reason — and nothing is written unless it is
//! clean or `--skip-invalid` drops the bad rows. The output is written to a temporary file and
//! renamed, so a reader never sees half of it.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use polars::prelude::*;

use crate::data::{DataFormat, ReadOptions, read_as_written, read_dataset};
use crate::ml::artifact::LoadedModel;
use crate::ml::conform::conform_frame;
use crate::ml::predict::{
    predict_frame, predict_record, promotion_columns, uplift_depths, with_lookups,
};
use crate::ml::whatif::promotion_predictions;
use crate::project::Project;
use crate::registry::{ModelRef, load_version};

/// Rows encoded and predicted at a time (bounds memory on large files, paces the progress bar).
const CHUNK: usize = 100_000;

#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// NAME (newest active version), NAME@champion, NAME@challenger or NAME:VERSION.
    #[arg(long)]
    pub model: String,
    /// One record as a JSON object: prints the prediction as JSON.
    #[arg(long, conflicts_with_all = ["input", "output"])]
    pub record: Option<String>,
    /// A form saved for this model (in the TUI's Predict tab or with --save-form) as the record;
    /// fields in --record override its values.
    #[arg(long, conflicts_with_all = ["input", "output"])]
    pub form: Option<String>,
    /// Save the record (after --form and --record) as a form of this name for the model.
    #[arg(long, conflicts_with_all = ["input", "output"])]
    pub save_form: Option<String>,
    /// A CSV or Parquet file of records.
    #[arg(long, requires = "output")]
    pub input: Option<PathBuf>,
    /// Where to write the records with their predictions (CSV or Parquet, by extension).
    #[arg(long, requires = "input")]
    pub output: Option<PathBuf>,
    /// Add the promotion what-if: predictions with the promotion off and on.
    #[arg(long)]
    pub uplift: bool,
    /// Drop the rows that fail the checks (each is still reported) instead of writing nothing.
    #[arg(long)]
    pub skip_invalid: bool,
}

pub fn predict(project: &Project, args: &PredictArgs) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    let reference = ModelRef::parse(&args.model)?;
    let (version, loaded) = load_version(project, &store, &reference)?;
    if args.record.is_some() || args.form.is_some() {
        let mut map = serde_json::Map::new();
        if let Some(name) = &args.form {
            let saved = store
                .saved_form(&version.model_name, name)?
                .with_context(|| {
                    format!("model {} has no saved form '{name}'", version.model_name)
                })?;
            map = saved.record;
        }
        if let Some(record) = &args.record {
            let value = crate::ml::record_json::parse_record_json(record.as_bytes())
                .map_err(|e| anyhow::anyhow!("--record: {e}"))?;
            let serde_json::Value::Object(fields) = value else {
                bail!("--record: expected a JSON object of field: value");
            };
            map.extend(fields);
        }
        if let Some(name) = &args.save_form {
            store.save_form(&version.model_name, name, &map)?;
            say_err!(
                "saved the record as form '{name}' of {}",
                version.model_name
            );
        }
        let prediction = predict_record(&loaded, &map, args.uplift)?;
        let out = serde_json::json!({
            "model": version.model_name,
            "version": version.version,
            "prediction": prediction,
        });
        say!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let (Some(input), Some(output)) = (&args.input, &args.output) else {
        bail!("give --record JSON or --form NAME, or --input FILE --output FILE");
    };
    let options = project.read_options()?;
    // A typed input is found as every typed file is (the working directory, then the project);
    // the output is written where the shell says, as any Unix tool writes.
    let input = project.locate(input);
    predict_file(
        &loaded,
        &input,
        output,
        &options,
        args.uplift,
        args.skip_invalid,
    )
}

/// Bad-row problems printed before the rest are counted.
const SHOWN_ISSUES: usize = 50;

fn predict_file(
    loaded: &LoadedModel,
    input: &Path,
    output: &Path,
    options: &ReadOptions,
    uplift: bool,
    skip_invalid: bool,
) -> anyhow::Result<()> {
    let out_format = DataFormat::from_path(output)
        .with_context(|| format!("{}: expected a .csv or .parquet output", output.display()))?;
    let started = Instant::now();
    let frame = read_dataset(input, options)?.frame;
    // The output repeats the input's cells as written (FALSE stays FALSE), not as parsed.
    let mut as_written = read_as_written(input)?;
    anyhow::ensure!(
        as_written.height() == frame.height(),
        "{}: read {} rows as text but {} as data",
        input.display(),
        as_written.height(),
        frame.height()
    );
    let (frame, mut issues) = conform_frame(&loaded.signature, frame)?;
    let mut frame = match with_lookups(loaded, &frame, 1) {
        Ok(joined) => joined,
        Err(misses) => {
            issues.extend(misses);
            frame
        }
    };
    if !issues.is_empty() {
        let bad_rows: std::collections::BTreeSet<usize> = issues.iter().map(|i| i.row).collect();
        // A whole file of bad rows is summarised, not printed line by line.
        for issue in issues.iter().take(SHOWN_ISSUES) {
            say_err!("{}: {issue}", input.display());
        }
        if issues.len() > SHOWN_ISSUES {
            say_err!(
                "{}: … and {} more problem(s) not shown",
                input.display(),
                issues.len() - SHOWN_ISSUES
            );
        }
        if !skip_invalid {
            bail!(
                "{} bad row(s) in {}; nothing written (--skip-invalid drops them and goes on)",
                bad_rows.len(),
                input.display()
            );
        }
        let keep: Vec<bool> = (1..=frame.height())
            .map(|r| !bad_rows.contains(&r))
            .collect();
        let keep = BooleanChunked::from_slice("keep".into(), &keep);
        frame = frame.filter(&keep)?;
        as_written = as_written.filter(&keep)?;
        // The rows left may still miss a lookup only if they were bad; join what remains.
        if let Ok(joined) = with_lookups(loaded, &frame, 1) {
            frame = joined;
        }
        say_err!("skipping {} bad row(s)", bad_rows.len());
    }
    let (frame, fill) = crate::ml::history::fill_batch(loaded, frame)?;
    if fill.filled > 0 {
        say_err!(
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
        );
    }
    if fill.no_history > 0 {
        say_err!(
            "{} row(s) of series the model's history does not hold: their lags are missing",
            fill.no_history
        );
    }
    let rows = frame.height();
    let promotion = if uplift {
        let found = promotion_columns(&loaded.signature);
        if found.is_none() {
            say_err!("--uplift: the model has no promotion column; no uplift written");
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
    let tty = std::io::stderr().is_terminal();
    for start in (0..rows).step_by(CHUNK) {
        let chunk = frame.slice(start as i64, CHUNK.min(rows - start));
        for (value, interval) in predict_frame(loaded, &chunk)? {
            predictions.push(value);
            lows.push(interval.map(|i| i.0));
            highs.push(interval.map(|i| i.1));
        }
        if let Some(promotion) = &promotion {
            let (chunk_off, chunk_on) = promotion_predictions(loaded, &chunk, promotion, &depths)?;
            off.extend(chunk_off);
            for (all, chunk_on) in on.iter_mut().zip(chunk_on) {
                all.extend(chunk_on);
            }
        }
        if tty {
            let done = (start + CHUNK).min(rows);
            eprint!("\rpredicting: {done} / {rows} rows");
            let _ = std::io::stderr().flush();
        }
    }
    if tty {
        say_err!();
    }
    let mut out = as_written;
    let column = |name: &str, values: Vec<f64>| Column::new(name.into(), values);
    out.with_column(column("prediction", predictions))?;
    if loaded.metrics.conformal.is_some() {
        let level = loaded.metrics.conformal.as_ref().map_or(0.9, |c| c.level);
        let percent = (level * 100.0).round();
        out.with_column(Column::new(
            format!("prediction_low_{percent}").into(),
            lows,
        ))?;
        out.with_column(Column::new(
            format!("prediction_high_{percent}").into(),
            highs,
        ))?;
    }
    if promotion.is_some() {
        out.with_column(column("prediction_promo_off", off.clone()))?;
        for (depth, values) in depths.iter().zip(on) {
            let label = depth.map_or("on".to_string(), |d| format!("{d}pct"));
            let uplift_pct: Vec<Option<f64>> = values
                .iter()
                .zip(&off)
                .map(|(a, b)| (*b != 0.0).then(|| 100.0 * (a - b) / b))
                .collect();
            out.with_column(column(&format!("prediction_promo_{label}"), values))?;
            out.with_column(Column::new(
                format!("uplift_pct_promo_{label}").into(),
                uplift_pct,
            ))?;
        }
    }
    write_atomically(&mut out, output, out_format)?;
    let seconds = started.elapsed().as_secs_f64();
    say!(
        "{rows} rows predicted in {seconds:.2}s ({:.0} rows/s) → {}",
        rows as f64 / seconds.max(1e-9),
        output.display()
    );
    Ok(())
}

/// Through `files::write_atomically`: two predicts to one output leave one complete file.
pub(super) fn write_atomically(
    frame: &mut DataFrame,
    path: &Path,
    format: DataFormat,
) -> anyhow::Result<()> {
    crate::data::write_frame(frame, path, format).map_err(|e| anyhow::anyhow!(e))
}
