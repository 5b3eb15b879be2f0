//! `shelfcast forecast`: the next H periods of every series of a lag model, from its history
//! (the training data by default, checked against its fingerprint), with covariates known in
//! advance from `--future` (or carried forward), each value with its step's interval. Written
//! atomically, CSV or Parquet by extension.

use std::path::PathBuf;

use anyhow::{Context, bail};
use polars::prelude::*;

use crate::data::{DataFormat, changed_since, read_dataset};
use crate::ml::forecast_future::{Covariates, forecast as forecast_series};
use crate::project::Project;
use crate::registry::{ModelRef, load_version};
use crate::store::{ForecastValue, NewForecast};

#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    /// NAME (newest active version), NAME@champion, NAME@challenger or NAME:VERSION.
    #[arg(long)]
    pub model: String,
    /// Periods to forecast after each series' last date.
    #[arg(long)]
    pub horizon: usize,
    /// The history (default: the model's training data, if its bytes are unchanged).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Covariates known in advance (promotion plan, prices, holidays) by series keys and date.
    #[arg(long, value_name = "FILE")]
    pub future: Option<PathBuf>,
    /// Where the future file has no row, repeat the series' last known covariates.
    #[arg(long)]
    pub carry_forward: bool,
    /// Where to write the forecast (CSV or Parquet, by extension).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Actuals to score the forecast against (the target by series keys and date): prints the
    /// WAPE, MAE and bias over the rows both have, and how many matched.
    #[arg(long, value_name = "FILE")]
    pub score: Option<PathBuf>,
    /// Print a JSON summary for scripts.
    #[arg(long)]
    pub json: bool,
}

pub fn forecast(project: &Project, args: &ForecastArgs) -> anyhow::Result<()> {
    let format = DataFormat::from_path(&args.output).with_context(|| {
        format!(
            "{}: expected a .csv or .parquet output",
            args.output.display()
        )
    })?;
    let mut store = project.open_store()?;
    let reference = ModelRef::parse(&args.model)?;
    let (version, loaded) = load_version(project, &store, &reference)?;
    let options = project.read_options()?;
    let history_path = match &args.history {
        Some(path) => project.locate(path),
        None => {
            let Some(dataset) = version
                .dataset_id
                .map(|id| store.dataset(id))
                .transpose()?
                .flatten()
            else {
                bail!(
                    "{} version {} has no recorded training data; give --history FILE",
                    version.model_name,
                    version.version
                );
            };
            let path = project.locate(std::path::Path::new(&dataset.path));
            if let Some(changed) = changed_since(&path, &dataset)? {
                bail!(
                    "{}: the training data changed since {} version {} was trained (sha256 {} \
                     then, {} now); give --history FILE",
                    dataset.path,
                    version.model_name,
                    version.version,
                    changed.then,
                    changed.now
                );
            }
            path
        }
    };
    let history = read_dataset(&history_path, &options)?.frame;
    let future = match &args.future {
        Some(path) => Some(read_dataset(&project.locate(path), &options)?.frame),
        None => None,
    };
    let covariates = if args.carry_forward {
        Covariates::CarryForward
    } else {
        Covariates::FromFuture
    };
    let rows = forecast_series(&loaded, history, future, args.horizon, covariates)?;
    let lags = loaded
        .signature
        .derived
        .as_ref()
        .context("the model has no lags")?;
    let mut columns: Vec<Column> = Vec::new();
    for (i, group) in lags.groups.iter().enumerate() {
        let values: Vec<&str> = rows.iter().map(|r| r.keys[i].as_str()).collect();
        columns.push(Column::new(group.as_str().into(), values));
    }
    let days: Vec<i32> = rows.iter().map(|r| r.day).collect();
    columns.push(Column::new(lags.date.as_str().into(), days).cast(&DataType::Date)?);
    let steps: Vec<u32> = rows.iter().map(|r| r.step as u32).collect();
    columns.push(Column::new("step".into(), steps));
    let values: Vec<f64> = rows.iter().map(|r| r.value).collect();
    columns.push(Column::new("forecast".into(), values));
    let lower: Vec<Option<f64>> = rows.iter().map(|r| r.interval.map(|i| i.0)).collect();
    let upper: Vec<Option<f64>> = rows.iter().map(|r| r.interval.map(|i| i.1)).collect();
    columns.push(Column::new("lower".into(), lower));
    columns.push(Column::new("upper".into(), upper));
    let n = rows.len();
    columns.push(Column::new(
        "model".into(),
        vec![version.model_name.as_str(); n],
    ));
    columns.push(Column::new("version".into(), vec![version.version; n]));
    let mut frame = DataFrame::new(n, columns)?;
    super::predict::write_atomically(&mut frame, &args.output, format)?;
    // Recorded so it can be scored when the actuals arrive: the origin is the day before the
    // earliest step-1 date of any series (the history's end).
    let day = crate::data::profile::day_text;
    let origin = rows
        .iter()
        .filter(|r| r.step == 1)
        .map(|r| r.day)
        .min()
        .map_or(String::new(), |d| day(d - 1));
    let values: Vec<ForecastValue> = rows
        .iter()
        .map(|r| ForecastValue {
            series_key: r.keys.join("|"),
            target_date: day(r.day),
            step: r.step,
            value: r.value,
            lower: r.interval.map(|i| i.0),
            upper: r.interval.map(|i| i.1),
        })
        .collect();
    let forecast_id = store.record_forecast(
        &NewForecast {
            model_version_id: version.id,
            origin: &origin,
            horizon: args.horizon,
            series: n / args.horizon.max(1),
            output_path: &args.output.display().to_string(),
        },
        &values,
    )?;
    let series = n / args.horizon.max(1);
    let score = match &args.score {
        Some(path) => {
            let actuals = read_dataset(&project.locate(path), &options)?.frame;
            Some(score_against(
                &rows,
                lags,
                &loaded.signature.target,
                &actuals,
            )?)
        }
        None => None,
    };
    if let Some(s) = &score {
        say_err!(
            "scored against {} actual(s) of {} forecast rows: WAPE {:.2}%, MAE {:.3}, bias {:+.3}",
            s.matched,
            n,
            s.wape,
            s.mae,
            s.bias
        );
        if s.unforecast > 0 {
            say_err!(
                "{} actual row(s) have no forecast row (a series the model has no history of, or \
                 a date past the horizon); they are not scored",
                s.unforecast
            );
        }
    }
    if args.json {
        say!(
            "{}",
            serde_json::json!({
                "model": version.model_name,
                "version": version.version,
                "series": series,
                "horizon": args.horizon,
                "rows": n,
                "forecast_id": forecast_id,
                "output": args.output.display().to_string(),
                "score": score.as_ref().map(|s| serde_json::json!({
                    "matched": s.matched, "unforecast": s.unforecast, "wape": s.wape, "mae": s.mae, "bias": s.bias
                })),
            })
        );
    } else {
        say!(
            "{series} series × {} periods forecast by {} version {} → {} (recorded as forecast \
             {forecast_id})",
            args.horizon,
            version.model_name,
            version.version,
            args.output.display()
        );
    }
    Ok(())
}

/// The forecast's error against actuals found by series keys and date.
struct Score {
    matched: usize,
    /// Actual rows no forecast row has (a new store or item, a date past the horizon).
    unforecast: usize,
    wape: f64,
    mae: f64,
    bias: f64,
}

fn score_against(
    rows: &[crate::ml::forecast_future::Forecasted],
    lags: &crate::ml::lags::LagSpec,
    target: &str,
    actuals: &DataFrame,
) -> anyhow::Result<Score> {
    let mut text: Vec<Vec<String>> = vec![Vec::new(); actuals.height()];
    for name in lags.groups.iter().chain([&lags.date]) {
        let column = actuals
            .column(name)
            .map_err(|_| anyhow::anyhow!("--score: the actuals have no column '{name}'"))?
            .cast(&DataType::String)?;
        for (row, value) in column.as_materialized_series().str()?.iter().enumerate() {
            text[row].push(value.unwrap_or_default().to_string());
        }
    }
    let values = actuals
        .column(target)
        .map_err(|_| anyhow::anyhow!("--score: the actuals have no target column '{target}'"))?
        .cast(&DataType::Float64)?;
    let values: Vec<Option<f64>> = values.as_materialized_series().f64()?.iter().collect();
    let at: std::collections::HashMap<Vec<String>, f64> = text
        .into_iter()
        .zip(values)
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    let (mut abs, mut total, mut signed, mut matched) = (0.0, 0.0, 0.0, 0usize);
    for row in rows {
        let mut key = row.keys.clone();
        key.push(crate::data::profile::day_text(row.day));
        if let Some(actual) = at.get(&key) {
            abs += (row.value - actual).abs();
            signed += row.value - actual;
            total += actual.abs();
            matched += 1;
        }
    }
    if matched == 0 || total == 0.0 {
        bail!(
            "--score: no actual matches a forecast row by {} and {}",
            lags.groups.join(", "),
            lags.date
        );
    }
    Ok(Score {
        matched,
        unforecast: at.len() - matched,
        wape: 100.0 * abs / total,
        mae: abs / matched as f64,
        bias: signed / matched as f64,
    })
}
