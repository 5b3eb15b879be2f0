//! `shelfcast bench train`: gradient boosting on the real data of `../shared/data`, beside Python
//! LightGBM on the identical feature matrix and split in the same run.
//!
//! Shelfcast builds the features (date parts, lags and rolling means by store and item), splits
//! by time, and exports the encoded matrix with its labels to Parquet; `benches/lightgbm_train.py`
//! trains LightGBM on exactly those numbers with the same rounds, depth, learning rate, L2
//! penalty and threads. Both evaluate the training and validation loss every round, as the
//! worker does for the live chart. Timings are of the fit alone (binning included on both
//! sides); peak memory is each process's high-water mark.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;

use super::{benches_dir, figure, peak_memory_mb, run_python, tempfile_dir};
use crate::ml::features::{Matrix, Task};
use crate::ml::lags::LagSpec;
use crate::ml::models::{FitReuse, ModelKind, ModelParams, fit_model};
use crate::ml::train::{Evaluation, TrainSpec, evaluate, matrices, prepare};

/// Gradient boosting as both sides of a benchmark fit it.
#[derive(Clone, Debug, clap::Args)]
pub struct TrainBench {
    /// The folder holding the shared datasets.
    #[arg(long, default_value = "../shared/data", value_name = "DIR")]
    pub data_dir: PathBuf,
    #[arg(long, default_value_t = 300)]
    pub rounds: usize,
    #[arg(long, default_value_t = 6)]
    pub max_depth: usize,
    #[arg(long, default_value_t = 0.1)]
    pub learning_rate: f64,
    /// Threads for both libraries.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

impl TrainBench {
    /// At least one thread.
    pub fn checked(&self) -> Self {
        Self {
            threads: self.threads.max(1),
            ..self.clone()
        }
    }
}

/// Store-item demand by store and item with `lags` and 7- and 28-day means, the date's parts,
/// store and item as features, split by `split`: the spec `bench train` and `bench forecast` fit.
pub(super) fn store_item_spec(
    path: &Path,
    bench: &TrainBench,
    lags: Vec<usize>,
    split: String,
) -> TrainSpec {
    TrainSpec {
        data: path.to_path_buf(),
        lookups: Vec::new(),
        read: Default::default(),
        target: "sales".into(),
        task: Some(Task::Regression),
        features: vec!["date".into(), "store".into(), "item".into()],
        lags: Some(LagSpec {
            date: "date".into(),
            groups: vec!["store".into(), "item".into()],
            value: "sales".into(),
            lags,
            rolling_means: vec![7, 28],
        }),
        log1p: false,
        model: ModelKind::Gbdt,
        params: gbdt_params(bench),
        split,
        seed: 42,
        until: None,
        backtest: None,
    }
}

pub fn bench_train(bench: &TrainBench) -> anyhow::Result<()> {
    let store_item = bench.data_dir.join("store_item_demand_train.csv");
    let telco = bench.data_dir.join("telco_customer_churn.csv");
    let mut ran = false;
    if store_item.is_file() {
        store_item_case(bench, &store_item)?;
        ran = true;
    } else {
        say!("SKIP store-item demand: {} is absent", store_item.display());
    }
    if telco.is_file() {
        telco_case(bench, &telco)?;
        ran = true;
    } else {
        say!("SKIP telco churn: {} is absent", telco.display());
    }
    if !ran {
        say!("nothing measured: pass --data-dir with the shared datasets");
    }
    Ok(())
}

pub(super) fn gbdt_params(bench: &TrainBench) -> Vec<(String, String)> {
    [
        ("rounds", bench.rounds.to_string()),
        ("max_depth", bench.max_depth.to_string()),
        ("learning_rate", bench.learning_rate.to_string()),
        ("threads", bench.threads.to_string()),
        ("lambda", "1".to_string()),
        ("min_child_weight", "1".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn store_item_case(bench: &TrainBench, path: &Path) -> anyhow::Result<()> {
    say!(
        "\n== store-item demand ({}): gbdt, {} rounds, depth {}, learning rate {}, {} threads",
        path.display(),
        bench.rounds,
        bench.max_depth,
        bench.learning_rate,
        bench.threads
    );
    let spec = store_item_spec(
        path,
        bench,
        vec![7, 14, 28, 364],
        "time:date:2017-01-01".into(),
    );
    let outcome = run_case(&spec, "regression", "regression")?;
    let ours_rmse = match &outcome.evaluation {
        Evaluation::Regression(m) => m.rmse,
        Evaluation::BinaryClassification(m) => m.log_loss,
    };
    say!(
        "{:<26} {:>10} {:>12} {:>12}",
        "",
        "fit",
        "peak memory",
        "valid RMSE"
    );
    say!(
        "{:<26} {:>9.2}s {:>9.0} MB {:>12.4}",
        "Shelfcast (its booster)",
        outcome.fit_seconds,
        outcome.peak_mb.unwrap_or(f64::NAN),
        ours_rmse
    );
    match &outcome.anchor {
        Ok(figures) => {
            let fit = figure(figures, "fit_seconds");
            let rmse = figure(figures, "rmse");
            say!(
                "{:<26} {:>9.2}s {:>9.0} MB {:>12.4}",
                format!(
                    "LightGBM {}",
                    figures.get("lightgbm_version").map_or("", String::as_str)
                ),
                fit,
                figure(figures, "peak_mb"),
                rmse
            );
            say!(
                "time ratio {:.2}x LightGBM (target <= 1.5x); RMSE {:+.2}% vs LightGBM (target \
                 within 2%)",
                outcome.fit_seconds / fit,
                100.0 * (ours_rmse - rmse) / rmse
            );
        }
        Err(why) => say!("SKIP LightGBM: {why}"),
    }
    Ok(())
}

fn telco_case(bench: &TrainBench, path: &Path) -> anyhow::Result<()> {
    say!(
        "\n== telco churn ({}): binary, random 20% validation, seed 42",
        path.display()
    );
    let spec = |model: ModelKind, params: Vec<(String, String)>| TrainSpec {
        data: path.to_path_buf(),
        lookups: Vec::new(),
        read: Default::default(),
        target: "Churn".into(),
        task: None,
        features: Vec::new(),
        lags: None,
        log1p: false,
        model,
        params,
        split: "random:0.2".into(),
        seed: 42,
        until: None,
        backtest: None,
    };
    let features = |spec: TrainSpec| TrainSpec {
        features: TELCO_FEATURES.iter().map(|s| s.to_string()).collect(),
        ..spec
    };
    let gbdt_rounds = 200.min(bench.rounds);
    let mut small = gbdt_params(bench);
    for (k, v) in &mut small {
        match k.as_str() {
            "rounds" => *v = gbdt_rounds.to_string(),
            "max_depth" => *v = "3".into(),
            "learning_rate" => *v = "0.05".into(),
            _ => {}
        }
    }
    let gbdt = run_case(&features(spec(ModelKind::Gbdt, small)), "binary", "binary")?;
    let logistic = run_case(&features(spec(ModelKind::Logistic, Vec::new())), "", "")?;
    say!(
        "{:<26} {:>10} {:>10} {:>10}",
        "",
        "ROC AUC",
        "PR AUC",
        "log loss"
    );
    for (label, outcome) in [
        (format!("Shelfcast gbdt ({gbdt_rounds} r.)"), &gbdt),
        ("Shelfcast logistic".to_string(), &logistic),
    ] {
        if let Evaluation::BinaryClassification(m) = &outcome.evaluation {
            say!(
                "{label:<26} {:>10.4} {:>10.4} {:>10.4}",
                m.roc_auc.unwrap_or(f64::NAN),
                m.pr_auc.unwrap_or(f64::NAN),
                m.log_loss
            );
        }
    }
    match &gbdt.anchor {
        Ok(figures) => say!(
            "{:<26} {:>10.4} {:>10.4} {:>10.4}",
            format!("LightGBM ({gbdt_rounds} r.)"),
            figure(figures, "auc"),
            figure(figures, "pr_auc"),
            figure(figures, "log_loss")
        ),
        Err(why) => say!("SKIP LightGBM: {why}"),
    }
    Ok(())
}

/// Every Telco column but the customer id (an identifier, not a feature).
const TELCO_FEATURES: &[&str] = &[
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
];

struct CaseOutcome {
    fit_seconds: f64,
    peak_mb: Option<f64>,
    evaluation: Evaluation,
    /// LightGBM's figures, or why it did not run.
    anchor: Result<HashMap<String, String>, String>,
}

/// Prepares, exports the matrix, fits Shelfcast's model, then (when `lgb_task` is not empty)
/// LightGBM on the exported matrix.
fn run_case(spec: &TrainSpec, lgb_task: &str, lgb_objective: &str) -> anyhow::Result<CaseOutcome> {
    let started = Instant::now();
    let prepared = prepare(Path::new("."), spec)?;
    let m = matrices(&prepared)?;
    say!(
        "features: {} training x {} validation rows, {} encoded columns, built in {:.2}s",
        m.train_x.rows,
        m.valid_x.rows,
        m.train_x.cols(),
        started.elapsed().as_secs_f64()
    );
    let scratch = tempfile_dir()?;
    let matrix_path = scratch.join("matrix.parquet");
    if !lgb_task.is_empty() {
        export_matrix(&matrix_path, &m.train_x, &m.train_y, &m.valid_x, &m.valid_y)?;
    }
    let task = prepared.task();
    let fit_started = Instant::now();
    let model = fit_model(
        &prepared.model,
        task,
        &m.train_x,
        &m.train_y,
        Some((&m.valid_x, &m.valid_y)),
        prepared.baseline_column.as_deref(),
        &FitReuse::default(),
        &mut |_| true,
    )?;
    let fit_seconds = fit_started.elapsed().as_secs_f64();
    let peak_mb = peak_memory_mb();
    let evaluation = evaluate(&m.pipeline, model.as_ref(), &m.valid_x, &m.valid_y)?;
    let anchor = if lgb_task.is_empty() {
        Err("not compared".to_string())
    } else {
        let ModelParams::Gbdt(params) = &prepared.model.params else {
            anyhow::bail!("the LightGBM comparison is for gradient boosting");
        };
        let objective = match params.objective {
            crate::ml::gbdt::GbdtObjective::Poisson => "poisson",
            crate::ml::gbdt::GbdtObjective::Tweedie => "tweedie",
            _ => lgb_objective,
        };
        run_python(
            &benches_dir().join("lightgbm_train.py"),
            &[
                "--matrix",
                &matrix_path.display().to_string(),
                "--task",
                lgb_task,
                "--objective",
                objective,
                "--rounds",
                &params.rounds.to_string(),
                "--learning-rate",
                &params.learning_rate.to_string(),
                "--max-depth",
                &params.max_depth.to_string(),
                "--lambda-l2",
                &params.lambda.to_string(),
                "--min-child-weight",
                &params.min_child_weight.to_string(),
                "--threads",
                &params.threads.max(1).to_string(),
            ],
        )
    };
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(CaseOutcome {
        fit_seconds,
        peak_mb,
        evaluation,
        anchor,
    })
}

/// The encoded rows of both sides with `label` and `is_valid`, as Parquet.
pub(super) fn export_matrix(
    path: &Path,
    train_x: &Matrix,
    train_y: &[f64],
    valid_x: &Matrix,
    valid_y: &[f64],
) -> anyhow::Result<()> {
    let cols = train_x.cols();
    let mut columns: Vec<Column> = Vec::with_capacity(cols + 2);
    for j in 0..cols {
        let values: Vec<f64> = (0..train_x.rows)
            .map(|i| train_x.values[i * cols + j])
            .chain((0..valid_x.rows).map(|i| valid_x.values[i * cols + j]))
            .collect();
        columns.push(Column::new(format!("f{j}").into(), values));
    }
    let labels: Vec<f64> = train_y.iter().chain(valid_y).copied().collect();
    columns.push(Column::new("label".into(), labels));
    let flags: Vec<bool> = std::iter::repeat_n(false, train_x.rows)
        .chain(std::iter::repeat_n(true, valid_x.rows))
        .collect();
    columns.push(Column::new("is_valid".into(), flags));
    let rows = train_x.rows + valid_x.rows;
    let mut frame = DataFrame::new(rows, columns)
        .map_err(|e| anyhow::anyhow!("building the matrix frame: {e}"))?;
    let file = std::fs::File::create(path)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", path.display()))?;
    ParquetWriter::new(file)
        .finish(&mut frame)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    Ok(())
}
