//! `shelfcast bench forecast`: store-item demand (500 daily series), the last `horizon` days held
//! out. Shelfcast fits gradient boosting on lags 1, 7, 14, 28, 364, rolling means of 7 and 28
//! days and the date's parts, then forecasts the horizon recursively from the cut-off (the walk
//! validation and `shelfcast forecast` make); mlforecast with LightGBM does the same in the same
//! run, with the same features, rounds, depth, learning rate and threads. Fit times include
//! reading the file and building the features on both sides.

use std::path::Path;
use std::time::Instant;

use super::train::{TrainBench, store_item_spec};
use super::{benches_dir, figure, run_python};
use crate::ml::features::Task;
use crate::ml::forecast::{Residuals, horizon_scores};
use crate::ml::models::{FitReuse, fit_model};
use crate::ml::train::{matrices, prepare};

pub struct ForecastBench {
    pub gbdt: TrainBench,
    pub horizon: usize,
}

/// WAPE, SMAPE (rows where both are zero left out) and RMSE of `predicted` against `actual`.
fn scores(actual: &[f64], predicted: &[f64]) -> (f64, f64, f64) {
    let (mut error, mut total, mut squared, mut smape, mut smape_rows) = (0.0, 0.0, 0.0, 0.0, 0);
    for (a, p) in actual.iter().zip(predicted) {
        error += (a - p).abs();
        total += a.abs();
        squared += (a - p) * (a - p);
        let denominator = a.abs() + p.abs();
        if denominator > 0.0 {
            smape += 2.0 * (a - p).abs() / denominator;
            smape_rows += 1;
        }
    }
    let n = actual.len().max(1) as f64;
    (
        100.0 * error / total,
        100.0 * smape / smape_rows.max(1) as f64,
        (squared / n).sqrt(),
    )
}

fn seasonal_naive_scores(residuals: &Residuals) -> (f64, f64, f64) {
    let (actual, naive): (Vec<f64>, Vec<f64>) = residuals
        .actual
        .iter()
        .zip(&residuals.baseline)
        .filter_map(|(a, b)| b.map(|b| (*a, b)))
        .unzip();
    scores(&actual, &naive)
}

pub fn bench_forecast(bench: &ForecastBench) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        say_err!("a debug build: figures are far slower than a release build's");
    }
    let path = bench.gbdt.data_dir.join("store_item_demand_train.csv");
    if !path.is_file() {
        say!("SKIP store-item demand: {} is absent", path.display());
        return Ok(());
    }
    say!(
        "== store-item demand ({}): 500 daily series, the last {} days forecast recursively; gbdt, \
         {} rounds, depth {}, learning rate {}, {} threads",
        path.display(),
        bench.horizon,
        bench.gbdt.rounds,
        bench.gbdt.max_depth,
        bench.gbdt.learning_rate,
        bench.gbdt.threads
    );
    let ours = shelfcast_side(bench, &path)?;
    let anchor = run_python(
        &benches_dir().join("mlforecast_forecast.py"),
        &[
            "--data",
            &path.display().to_string(),
            "--horizon",
            &bench.horizon.to_string(),
            "--rounds",
            &bench.gbdt.rounds.to_string(),
            "--learning-rate",
            &bench.gbdt.learning_rate.to_string(),
            "--max-depth",
            &bench.gbdt.max_depth.to_string(),
            "--threads",
            &bench.gbdt.threads.to_string(),
        ],
    );
    say!(
        "{:<30} {:>8} {:>9} {:>8} {:>8} {:>8}",
        "",
        "fit",
        "forecast",
        "WAPE",
        "SMAPE",
        "RMSE"
    );
    let row = |label: &str, fit: f64, forecast: f64, (wape, smape, rmse): (f64, f64, f64)| {
        say!(
            "{label:<30} {:>7.2}s {:>8.2}s {:>7.2}% {:>7.2}% {:>8.3}",
            fit,
            forecast,
            wape,
            smape,
            rmse
        );
    };
    row(
        "Shelfcast (its booster)",
        ours.fit,
        ours.forecast,
        ours.scores,
    );
    let naive_row = |label: &str, (wape, smape, rmse): (f64, f64, f64)| {
        say!(
            "{label:<30} {:>8} {:>9} {:>7.2}% {:>7.2}% {:>8.3}",
            "",
            "",
            wape,
            smape,
            rmse
        );
    };
    naive_row("seasonal naive (7), Shelfcast", ours.naive);
    match anchor {
        Ok(figures) => {
            let theirs = (
                figure(&figures, "wape"),
                figure(&figures, "smape"),
                figure(&figures, "rmse"),
            );
            let (fit, forecast) = (
                figure(&figures, "fit_seconds"),
                figure(&figures, "forecast_seconds"),
            );
            row(
                &format!(
                    "mlforecast {} + LightGBM",
                    figures.get("mlforecast_version").map_or("", String::as_str)
                ),
                fit,
                forecast,
                theirs,
            );
            naive_row(
                "seasonal naive (7), pandas",
                (
                    figure(&figures, "seasonal_naive_wape"),
                    figure(&figures, "seasonal_naive_smape"),
                    figure(&figures, "seasonal_naive_rmse"),
                ),
            );
            let total = ours.fit + ours.forecast;
            let their_total = fit + forecast;
            say!(
                "total time {:.2}s vs {:.2}s: {:.2}x mlforecast (target <= 1x); WAPE {:+.2} points \
                 vs mlforecast's {:.2}% (target: within 1% of it, {:+.1}% relative)",
                total,
                their_total,
                total / their_total,
                ours.scores.0 - theirs.0,
                theirs.0,
                100.0 * (ours.scores.0 - theirs.0) / theirs.0
            );
        }
        Err(why) => say!("SKIP mlforecast: {why}"),
    }
    Ok(())
}

struct Side {
    fit: f64,
    forecast: f64,
    scores: (f64, f64, f64),
    naive: (f64, f64, f64),
}

fn shelfcast_side(bench: &ForecastBench, path: &Path) -> anyhow::Result<Side> {
    let spec = store_item_spec(
        path,
        &bench.gbdt,
        vec![1, 7, 14, 28, 364],
        format!("time:date:{}", bench.horizon),
    );
    let started = Instant::now();
    let prepared = prepare(Path::new("."), &spec)?;
    let prepare_seconds = started.elapsed().as_secs_f64();
    let m = matrices(&prepared)?;
    let encode_seconds = started.elapsed().as_secs_f64() - prepare_seconds;
    let model = fit_model(
        &prepared.model,
        Task::Regression,
        &m.train_x,
        &m.train_y,
        None,
        None,
        &FitReuse::default(),
        &mut |_| true,
    )?;
    let fit = started.elapsed().as_secs_f64();
    say!(
        "Shelfcast's fit: {prepare_seconds:.2}s reading and deriving lags, {encode_seconds:.2}s \
         encoding, {:.2}s boosting",
        fit - prepare_seconds - encode_seconds
    );
    let started = Instant::now();
    let scored = horizon_scores(
        &prepared.frame,
        &prepared.split,
        prepared.spec.lags.as_ref(),
        true,
        &m.pipeline,
        model.as_ref(),
    )?
    .ok_or_else(|| anyhow::anyhow!("no recursive forecast was made"))?;
    let forecast = started.elapsed().as_secs_f64();
    let residuals = &scored.residuals;
    Ok(Side {
        fit,
        forecast,
        scores: scores(&residuals.actual, &residuals.predicted),
        naive: seasonal_naive_scores(residuals),
    })
}
