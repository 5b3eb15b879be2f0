//! One training job, from a `TrainSpec` to a fitted model with its pipeline, metrics,
//! importances and signature. Used by the worker process and by benchmarks; it knows nothing of
//! the store or the screen.
//!
//! `prepare` does every check that can fail on the user's input (files, columns, task, split,
//! parameters) before any training, so the CLI and the TUI run it before a run row exists and a
//! bad request never leaves a half-made run. `train` then fits and evaluates.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::MlError;
pub use super::evaluation::{Evaluation, evaluate, predict_target};
use super::evaluation::{target_from_model, target_scale};
use super::features::{FeaturePipeline, Matrix, TargetSpec, Task, target_spec};
use super::frame::column;
use super::lags::{LagSpec, add_lag_features};
use super::lookup::{BundledLookup, LookupError, prepare_lookup};
pub use super::lookup::{LookupSpec, PreparedLookup};
use super::models::{FitReuse, Model, ModelKind, ModelParams, ModelSpec, StepEvent, fit_model};
use super::signature::{Signature, signature};
use super::split::{Split, SplitSpec, split};
use crate::data::{DataError, ReadOptions, read_dataset};
use crate::project::resolve_stored;

/// Everything a run needs to be trained again: saved with the run, read by the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    /// The dataset file (absolute, or relative to the project folder).
    pub data: PathBuf,
    /// How the files are read (missing-value tokens); the project's at launch.
    #[serde(default)]
    pub read: ReadOptions,
    /// Lookup tables joined on their keys before training, in order (Rossmann's store table on
    /// `Store`, a covariates table on `Store,Date`). Specs saved with one `lookup` still read.
    #[serde(
        default,
        alias = "lookup",
        deserialize_with = "super::lookup::one_or_many"
    )]
    pub lookups: Vec<LookupSpec>,
    pub target: String,
    /// `None`: inferred from the target.
    #[serde(default)]
    pub task: Option<Task>,
    /// Feature columns; empty means every column but the target.
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub lags: Option<LagSpec>,
    #[serde(default)]
    pub log1p: bool,
    pub model: ModelKind,
    /// Hyper-parameters given by the user, as text; the rest are the model's defaults.
    #[serde(default)]
    pub params: Vec<(String, String)>,
    /// `random:0.2`, `time:COLUMN:LAST_N` or `time:COLUMN:YYYY-MM-DD`.
    pub split: String,
    pub seed: u64,
    /// Train on the rows dated at or before this day (`YYYY-MM-DD`, by the lag or split date
    /// column): a backtest window's cut-off. `None`: every row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// A rolling-origin backtest of this spec instead of one run (`ml::backtest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backtest: Option<super::backtest::BacktestSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Ml(#[from] MlError),
    #[error("{0}")]
    Input(String),
}

/// A checked spec with its data loaded and split, ready to train.
pub struct Prepared {
    pub spec: TrainSpec,
    pub frame: DataFrame,
    pub target: TargetSpec,
    pub features: Vec<String>,
    pub split: Split,
    pub split_spec: SplitSpec,
    pub model: ModelSpec,
    pub lookups: Vec<PreparedLookup>,
    /// A baseline's past value: the derived column it repeats.
    pub baseline_column: Option<String>,
    /// What preparing found worth saying (unmatched lookup rows, casts), for the launch
    /// message and the run's log.
    pub notes: Vec<String>,
    /// The encoded matrices, made once: a study's trials on these data share them.
    pub encoded: std::sync::OnceLock<Matrices>,
}

/// Loads a dataset file as the profile and the TUI see it: the same structural checks, the
/// same missing-value tokens, the same errors.
pub fn load_frame(path: &Path, options: &ReadOptions) -> Result<DataFrame, TrainError> {
    Ok(read_dataset(path, options)?.frame)
}

/// Checks `spec` against its data and loads, joins, derives and splits it. Every refusal names
/// what is wrong and why.
pub fn prepare(root: &Path, spec: &TrainSpec) -> Result<Prepared, TrainError> {
    // Cheap checks first: a bad model name or parameter is refused before a large file is read.
    let model_kind = spec.model;
    spec.validate()?;
    let split_spec = SplitSpec::parse(&spec.split, spec.seed)?;

    let data_path = resolve_stored(root, &spec.data);
    let mut frame = load_frame(&data_path, &spec.read)?;
    let mut lookups = Vec::new();
    let mut notes = Vec::new();
    for lookup in &spec.lookups {
        let path = resolve_stored(root, &lookup.path);
        let table = load_frame(&path, &spec.read)?;
        let (joined, prepared) =
            prepare_lookup(&data_path, frame, lookup, &path, &table).map_err(|e| match e {
                LookupError::Input(text) => TrainError::Input(text),
                LookupError::Ml(e) => TrainError::Ml(e),
            })?;
        notes.push(prepared.report.describe(&lookup.path));
        frame = joined;
        lookups.push(prepared);
    }
    if let Some(until) = &spec.until {
        frame = super::backtest::rows_until(frame, spec, until)?;
    }
    let mut target = target_spec(&frame, &spec.target, spec.task)?;
    if spec.log1p {
        if target.task != Task::Regression {
            return Err(TrainError::Input(
                "log1p transforms a regression target; this target is a classification one"
                    .to_string(),
            ));
        }
        check_log1p(&frame, &spec.target)?;
        target.log1p = true;
    }
    let mut model = ModelSpec::build(model_kind, target.task, spec.seed, &spec.params)?;
    let mut spec = spec.clone();
    let baseline_column = match &model.params {
        ModelParams::Baseline(params) => {
            let (column, note) = super::baseline_prep::derive_past_value(
                &frame,
                &mut spec,
                params.clone(),
                &mut model,
            )?;
            notes.extend(note);
            Some(column)
        }
        _ => None,
    };
    let spec = &spec;

    let mut features = if let (Some(_), Some(lags)) = (&baseline_column, &spec.lags) {
        // A baseline reads only its past value; a record still names its series and date.
        super::baseline_prep::record_columns(lags)
    } else if !spec.features.is_empty() {
        spec.features.clone()
    } else {
        frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .filter(|n| *n != spec.target)
            .collect()
    };
    for feature in &features {
        column(&frame, feature)?;
        if *feature == spec.target {
            return Err(MlError::BadFeature {
                column: feature.clone(),
                why: "it is the target; a model cannot learn from the answer".to_string(),
            }
            .into());
        }
    }
    if let Some(lags) = &spec.lags {
        for name in std::iter::once(&lags.date)
            .chain(&lags.groups)
            .chain(std::iter::once(&lags.value))
        {
            column(&frame, name)?;
        }
        frame = add_lag_features(&frame, lags)?;
        let derived = match &baseline_column {
            Some(column) => vec![column.clone()],
            None => lags.output_names(),
        };
        for name in derived {
            if !features.contains(&name) {
                features.push(name);
            }
        }
    }
    let split = split(&frame, &split_spec)?;
    if let Some(lags) = &spec.lags {
        super::lags::check_reach(&frame, lags, &features, &split.train)?;
    }
    if let Some(note) =
        super::forecast::horizon_note(&frame, &split, spec.lags.as_ref(), &split_spec)?
    {
        notes.push(note);
    }
    Ok(Prepared {
        spec: spec.clone(),
        frame,
        target,
        features,
        split,
        split_spec,
        model,
        lookups,
        baseline_column,
        notes,
        encoded: std::sync::OnceLock::new(),
    })
}

/// log1p is defined above -1 only: a target at or below it would fail in the worker, after the
/// run was recorded. Refused here, with the first such row.
fn check_log1p(frame: &DataFrame, target: &str) -> Result<(), TrainError> {
    let values = column(frame, target)?
        .as_materialized_series()
        .cast(&DataType::Float64)
        .map_err(MlError::from)?;
    let values = values.f64().map_err(MlError::from)?;
    if let Some((row, value)) = super::features::first_outside_log1p(values.iter()) {
        return Err(TrainError::Input(format!(
            "--log1p needs a target above -1, but '{target}' is {value} in data row {} (line {}); \
             train without log1p or fix the data",
            row + 1,
            row + 2
        )));
    }
    Ok(())
}

/// A fitted model and everything saved with it.
pub struct Trained {
    pub pipeline: FeaturePipeline,
    pub model: Box<dyn Model>,
    pub signature: Signature,
    pub train_metrics: Evaluation,
    /// Validation as the forecast will be made (recursive for a run with lags and a time split).
    pub valid_metrics: Evaluation,
    /// With lags: the one-step score, each lag from the actuals.
    pub one_step: Option<Evaluation>,
    /// With lags: the horizon, the error per step and the seasonal naive baseline.
    pub horizon: Option<super::forecast::HorizonReport>,
    /// With lags: the recursive validation row by row (a backtest pools its windows').
    pub residuals: Option<super::forecast::Residuals>,
    pub importance: Vec<(String, f64)>,
    pub steps: usize,
    /// Training stopped before its planned steps (a cancel).
    pub stopped: bool,
    /// Split-conformal prediction interval from the validation residuals (regression).
    pub conformal: Option<Conformal>,
    /// The lookup tables joined in training, saved with the model so a record needs only the
    /// main file's columns.
    pub lookups: Vec<(BundledLookup, DataFrame)>,
    /// With lags: each series' tail its lags reach, so a record needs only keys and date.
    pub history: Option<DataFrame>,
}

pub use super::conformal::{Conformal, INTERVAL_LEVEL, conformal_half_width};

/// The matrices of a prepared job: all rows encoded by a pipeline fitted on the training rows.
pub struct Matrices {
    /// What fits on these matrices keep for the next one (a study's trials).
    pub reuse: FitReuse,
    pub pipeline: FeaturePipeline,
    pub train_x: Matrix,
    pub train_y: Vec<f64>,
    pub valid_x: Matrix,
    pub valid_y: Vec<f64>,
}

pub fn matrices(prepared: &Prepared) -> Result<Matrices, TrainError> {
    let pipeline = FeaturePipeline::fit(
        &prepared.frame,
        &prepared.split.train,
        prepared.target.clone(),
        &prepared.features,
    )?;
    let x = pipeline.transform(&prepared.frame)?;
    let y = pipeline.target_values(&prepared.frame)?;
    let pick = |rows: &[IdxSize]| rows.iter().map(|&r| y[r as usize]).collect::<Vec<f64>>();
    Ok(Matrices {
        reuse: FitReuse::default(),
        train_x: x.select_rows(&prepared.split.train),
        train_y: pick(&prepared.split.train),
        valid_x: x.select_rows(&prepared.split.validation),
        valid_y: pick(&prepared.split.validation),
        pipeline,
    })
}

/// Fits the prepared job. `on_step` sees every step and returns `false` to stop; `log` gets a
/// line per stage for the run's log.
pub fn train(
    prepared: &Prepared,
    on_step: &mut (dyn FnMut(&StepEvent) -> bool + Send),
    log: &mut dyn FnMut(&str),
) -> Result<Trained, TrainError> {
    if prepared.encoded.get().is_none() {
        log(&format!(
            "encoding {} features for {} training and {} validation rows",
            prepared.features.len(),
            prepared.split.train.len(),
            prepared.split.validation.len()
        ));
    }
    let m = prepared.encoded()?;
    log(&format!(
        "training {} on {} encoded columns",
        prepared.model.kind,
        m.train_x.cols()
    ));
    let task = prepared.task();
    let mut steps = 0;
    let mut stopped = false;
    let mut model = fit_model(
        &prepared.model,
        task,
        &m.train_x,
        &m.train_y,
        Some((&m.valid_x, &m.valid_y)),
        prepared.baseline_column.as_deref(),
        &m.reuse,
        &mut |event| {
            steps = event.step + 1;
            let go_on = on_step(event);
            stopped |= !go_on;
            go_on
        },
    )?;
    log(&format!("evaluating after {steps} step(s)"));
    let (train_predicted, valid_predicted) = match model.take_fitted() {
        Some((train, Some(valid))) if valid.len() == m.valid_x.rows => (
            target_from_model(&m.pipeline, train),
            target_from_model(&m.pipeline, valid),
        ),
        _ => (
            predict_target(&m.pipeline, model.as_ref(), &m.train_x)?,
            predict_target(&m.pipeline, model.as_ref(), &m.valid_x)?,
        ),
    };
    let train_metrics = super::evaluation::score(&m.pipeline, &train_predicted, &m.train_y)?;
    let mut valid_metrics = super::evaluation::score(&m.pipeline, &valid_predicted, &m.valid_y)?;
    // With lags and a time split, validation is what the forecast will be: recursive from the
    // cut-off. The one-step score (lags from the actuals) is kept beside it, labelled.
    let time_split = !matches!(prepared.split_spec, SplitSpec::Random { .. });
    let horizon = super::forecast::horizon_scores(
        &prepared.frame,
        &prepared.split,
        prepared.spec.lags.as_ref(),
        time_split,
        &m.pipeline,
        model.as_ref(),
    )?;
    let mut one_step = None;
    if let Some(h) = &horizon {
        log(&format!(
            "validation predicted recursively over {} period(s) from the cut-off",
            h.horizon
        ));
        one_step = Some(std::mem::replace(
            &mut valid_metrics,
            Evaluation::Regression(h.metrics.clone()),
        ));
    }
    let conformal = match task {
        Task::Regression => {
            let predicted = match &horizon {
                Some(h) => h.predicted.clone(),
                None => valid_predicted,
            };
            let actual = target_scale(&m.pipeline, &m.valid_y);
            conformal_half_width(
                predicted
                    .iter()
                    .zip(&actual)
                    .map(|(p, a)| (p - a).abs())
                    .collect(),
                INTERVAL_LEVEL,
            )
        }
        Task::BinaryClassification => None,
    };
    let importance = model.importance();
    let lookups: Vec<(BundledLookup, DataFrame)> = prepared
        .lookups
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                BundledLookup {
                    file: format!("lookup-{}.parquet", i + 1),
                    source: l.spec.path.display().to_string(),
                    keys: l.spec.keys.clone(),
                    columns: l.report.columns.clone(),
                },
                l.table.clone(),
            )
        })
        .collect();
    let bundled: Vec<BundledLookup> = lookups.iter().map(|(b, _)| b.clone()).collect();
    let signature = signature(
        prepared.model.kind,
        &m.pipeline,
        prepared.spec.lags.as_ref(),
        &bundled,
        &prepared.frame,
        &prepared.split.train,
    )?;
    let history = match &prepared.spec.lags {
        Some(lags) => Some(super::history::series_tails(
            &prepared.frame,
            lags,
            &super::forecast_future::needed_columns(&signature, lags),
        )?),
        None => None,
    };
    Ok(Trained {
        history,
        pipeline: m.pipeline.clone(),
        model,
        signature,
        train_metrics,
        valid_metrics,
        one_step,
        residuals: horizon.as_ref().map(|h| h.residuals.clone()),
        horizon: horizon.map(|h| h.report()),
        importance,
        steps,
        stopped,
        conformal,
        lookups,
    })
}
