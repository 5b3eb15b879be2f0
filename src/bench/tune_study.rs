//! `shelfcast bench tune`, part (b): a real study. 50 trials of gradient boosting on 200,000
//! Rossmann rows (the latest ones, joined to the store table), tuning the leaves, the learning
//! rate, the rows a leaf needs and the share of features a tree sees, 200 rounds with early
//! stopping after 20 on a time split — beside Optuna + LightGBM with the same space, budget,
//! sampler settings and threads on the identical encoded matrix.
//!
//! Shelfcast's side is the study a user would start (`shelfcast tune`): every trial a worker
//! process that reads the CSV, joins the store table, builds the features, trains and records
//! its curves in `runs.db`. Optuna's side loads the exported matrix once and builds LightGBM's
//! dataset once, as its tutorials do, then runs `study.optimize` — the timing favours it.
//!
//! The space maps one to one. LightGBM's `num_leaves` is Shelfcast's `num_leaves` (leaf-wise
//! trees without a depth limit); `feature_fraction` is `colsample_bytree` (both per tree);
//! `min_data_in_leaf` is `min_child_weight` under squared error, where every row's hessian is 1,
//! so the minimum hessian of a leaf is its minimum count. The L2 penalty is 0, LightGBM's default.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use super::{benches_dir, figure, run_python, tempfile_dir};
use crate::jobs::study::{create_study, run_study};
use crate::ml::features::Task;
use crate::ml::lookup::LookupSpec;
use crate::ml::models::ModelKind;
use crate::ml::train::{TrainSpec, matrices, prepare};
use crate::project::Project;
use crate::store::TrialState;
use crate::tune::study::{StudyAsk, StudyConfig};

/// The study both sides run.
#[derive(Clone, Debug, clap::Args)]
pub struct StudyBench {
    /// The folder holding the shared datasets.
    #[arg(long, default_value = "../shared/data", value_name = "DIR")]
    pub data_dir: std::path::PathBuf,
    /// Trials of the real study (0 skips it).
    #[arg(long, default_value_t = 50)]
    pub study_trials: usize,
    /// Rossmann rows, the latest first.
    #[arg(long, default_value_t = 200_000)]
    pub rows: usize,
    /// Threads of each trial's training, on both sides.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Shelfcast's trials at once (worker processes), each with threads / parallel threads.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
}

const SPACE: &str = "num_leaves=int:15..255,learning_rate=log:0.01..0.3,\
                     min_child_weight=int:5..100,colsample_bytree=0.5..1";
const ROUNDS: usize = 200;
const EARLY_STOPPING: usize = 20;
/// Six weeks of validation: 2015-06-19 to 2015-07-31.
const CUTOFF: &str = "2015-06-19";
const FEATURES: &[&str] = &[
    "Store",
    "DayOfWeek",
    "Date",
    "Open",
    "Promo",
    "StateHoliday",
    "SchoolHoliday",
    "StoreType",
    "Assortment",
    "CompetitionDistance",
    "CompetitionOpenSinceMonth",
    "CompetitionOpenSinceYear",
    "Promo2",
    "Promo2SinceWeek",
    "Promo2SinceYear",
    "PromoInterval",
];

pub fn bench_study(bench: &StudyBench) -> anyhow::Result<()> {
    if bench.study_trials == 0 {
        return Ok(());
    }
    let train_csv = bench.data_dir.join("rossmann_train.csv");
    let store_csv = bench.data_dir.join("rossmann_store.csv");
    if !train_csv.is_file() || !store_csv.is_file() {
        say!(
            "SKIP the real study: {} or {} is absent",
            train_csv.display(),
            store_csv.display()
        );
        return Ok(());
    }
    let threads = bench.threads.max(1);
    let parallel = bench.parallel.clamp(1, threads);
    say!(
        "\n== a real study: {} trials of gbdt on {} Rossmann rows (validation from {CUTOFF}), \
         {ROUNDS} rounds, early stopping after {EARLY_STOPPING}, {threads} threads, one trial at \
         a time, TPE (seed 42), no pruner\n   space: {SPACE}",
        bench.study_trials,
        bench.rows
    );
    let dir = tempfile_dir()?.join("study");
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let rows_csv = data.join("rossmann_rows.csv");
    copy_head(&train_csv, &rows_csv, bench.rows)?;
    std::fs::copy(&store_csv, data.join("rossmann_store.csv"))?;
    let spec = TrainSpec {
        data: rows_csv.clone(),
        lookups: vec![LookupSpec {
            path: data.join("rossmann_store.csv"),
            keys: vec!["Store".into()],
        }],
        read: Default::default(),
        target: "Sales".into(),
        task: Some(Task::Regression),
        features: FEATURES.iter().map(|s| s.to_string()).collect(),
        lags: None,
        log1p: false,
        model: ModelKind::Gbdt,
        params: [
            ("rounds", ROUNDS.to_string()),
            ("early_stopping", EARLY_STOPPING.to_string()),
            ("lambda", "0".into()),
            ("threads", (threads / parallel).to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        split: format!("time:Date:{CUTOFF}"),
        seed: 42,
        until: None,
        backtest: None,
    };
    let matrix_path = dir.join("matrix.parquet");
    let prepared = prepare(&dir, &spec)?;
    let m = matrices(&prepared)?;
    say!(
        "features: {} training x {} validation rows, {} encoded columns",
        m.train_x.rows,
        m.valid_x.rows,
        m.train_x.cols()
    );
    super::train::export_matrix(&matrix_path, &m.train_x, &m.train_y, &m.valid_x, &m.valid_y)?;
    drop((m, prepared));

    let project = Project::new(&dir);
    let config = StudyConfig::check(StudyAsk {
        space: SPACE,
        trials: bench.study_trials,
        timeout_s: None,
        parallel,
        sampler: "tpe",
        pruner: "none",
        metric: "rmse",
        direction: None,
        experiment: "bench".into(),
        spec,
    })
    .map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    create_study(&project, "bench", &config)?;
    let outcome = run_study(&project, "bench", &mut |_| {})?;
    let ours_seconds = started.elapsed().as_secs_f64();
    let complete = outcome
        .trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .count();
    let (best_number, ours_rmse) = outcome
        .best
        .map(|(n, v, _)| (n, v))
        .ok_or_else(|| anyhow::anyhow!("no trial of the study completed"))?;
    say!(
        "{:<28} {:>10} {:>12} {:>10}",
        "",
        "wall",
        "best RMSE",
        "trials"
    );
    say!(
        "{:<28} {:>9.1}s {:>12.2} {:>10}",
        "Shelfcast (its booster)",
        ours_seconds,
        ours_rmse,
        format!("{complete} done")
    );
    say!("  best: trial {best_number}");
    let anchor = run_python(
        &benches_dir().join("optuna_lightgbm.py"),
        &[
            "--matrix",
            &matrix_path.display().to_string(),
            "--trials",
            &bench.study_trials.to_string(),
            "--rounds",
            &ROUNDS.to_string(),
            "--early-stopping",
            &EARLY_STOPPING.to_string(),
            "--threads",
            &threads.to_string(),
        ],
    );
    match anchor {
        Ok(figures) => {
            let wall = figure(&figures, "wall_seconds");
            let rmse = figure(&figures, "best_rmse");
            say!(
                "{:<28} {:>9.1}s {:>12.2} {:>10}",
                format!(
                    "Optuna {} + LightGBM {}",
                    figures.get("optuna_version").map_or("", String::as_str),
                    figures.get("lightgbm_version").map_or("", String::as_str)
                ),
                wall,
                rmse,
                figures.get("trials").map_or("-", String::as_str)
            );
            say!(
                "best RMSE {:+.2}% against Optuna's (target: within 1% or better); wall time \
                 {:.2}x Optuna's (target: at or below 1x)",
                100.0 * (ours_rmse - rmse) / rmse,
                ours_seconds / wall
            );
        }
        Err(why) => say!("SKIP Optuna + LightGBM: {why}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The header and the first `rows` records of `from` (Rossmann's file is newest first).
fn copy_head(from: &Path, to: &Path, rows: usize) -> anyhow::Result<()> {
    let file = std::fs::File::open(from)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", from.display()))?;
    let mut out = BufWriter::new(
        std::fs::File::create(to).map_err(|e| anyhow::anyhow!("creating {}: {e}", to.display()))?,
    );
    for line in std::io::BufReader::new(file).lines().take(rows + 1) {
        writeln!(out, "{}", line?)?;
    }
    out.flush()?;
    Ok(())
}
