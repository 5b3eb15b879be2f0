//! `shelfcast forecast`: the next H periods of every series of a lag model, from its history
//! (the training data by default, checked against its fingerprint), with covariates known in
//! advance from `--future` (or carried forward), each value with its step's interval. Written
//! atomically, CSV or Parquet by extension.

use std::path::PathBuf;

use anyhow::Context;

use crate::data::read_dataset;
use crate::ml::forecast_future::Covariates;
use crate::project::Project;
use crate::registry::ModelRef;
use crate::registry::forecast_file::{ForecastFile, Written, write_forecast};

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
    let mut store = project.open_store()?;
    let options = project.read_options()?;
    let request = ForecastFile {
        model: ModelRef::parse(&args.model)?,
        horizon: args.horizon,
        history: args.history.clone(),
        future: args.future.clone(),
        covariates: if args.carry_forward {
            Covariates::CarryForward
        } else {
            Covariates::FromFuture
        },
        output: args.output.clone(),
    };
    let Written {
        version,
        loaded,
        rows,
        series,
        forecast_id,
    } = write_forecast(project, &mut store, &request, &options)?;
    let lags = loaded
        .signature
        .derived
        .as_ref()
        .context("the model has no lags")?;
    let n = rows.len();
    let score = match &args.score {
        Some(path) => {
            let actuals = read_dataset(&project.locate(path), &options)?.frame;
            Some(crate::monitor::forecast_score::score_against(
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
            s.score.wape.unwrap_or(f64::NAN),
            s.score.mae,
            s.score.bias
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
                    "matched": s.matched, "unforecast": s.unforecast, "wape": s.score.wape, "mae": s.score.mae, "bias": s.score.bias
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
