//! A study's settings, as stored with it (so `--resume` needs only its name): the space, the
//! budget, the sampler and pruner, the seed, the metric and its direction, and the training spec
//! every trial starts from.

use serde::{Deserialize, Serialize};

use super::pruner::Pruner;
use super::sampler::Sampler;
use super::space::{Space, Value};
use super::tpe::{Observation, Observed, internal};
use crate::ml::train::TrainSpec;
use crate::store::{TrialRow, TrialState};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Minimize,
    Maximize,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Minimize => "minimize",
            Direction::Maximize => "maximize",
        }
    }

    /// The direction a metric is better in (`None`: a metric with no known order).
    pub fn of_metric(metric: &str) -> Option<Direction> {
        crate::store::higher_is_better(metric).map(|higher| {
            if higher {
                Direction::Maximize
            } else {
                Direction::Minimize
            }
        })
    }

    /// `value` as TPE minimises it.
    pub fn loss(self, value: f64) -> f64 {
        match self {
            Direction::Minimize => value,
            Direction::Maximize => -value,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyConfig {
    pub space: Space,
    pub trials: usize,
    pub timeout_s: Option<u64>,
    pub parallel: usize,
    pub sampler: Sampler,
    pub pruner: Pruner,
    pub seed: u64,
    pub metric: String,
    pub direction: Direction,
    pub experiment: String,
    pub spec: TrainSpec,
}

/// What a face asks a study to be; `StudyConfig::check` turns it into one or says what is wrong.
#[derive(Clone, Debug)]
pub struct StudyAsk<'a> {
    pub space: &'a str,
    pub trials: usize,
    pub timeout_s: Option<u64>,
    pub parallel: usize,
    pub sampler: &'a str,
    pub pruner: &'a str,
    pub metric: &'a str,
    /// `None`: the metric's own direction.
    pub direction: Option<&'a str>,
    pub experiment: String,
    pub spec: TrainSpec,
}

impl StudyConfig {
    /// The study `ask` describes, checked before anything trains: the space parsed, its
    /// parameters set on the spec and checked against the model's table, the sampler, pruner and
    /// direction named.
    pub fn check(ask: StudyAsk<'_>) -> Result<StudyConfig, String> {
        let space = Space::parse(ask.space).map_err(|e| e.to_string())?;
        if ask.trials == 0 {
            return Err("--trials 0: a study needs one trial or more".into());
        }
        let sampler = Sampler::parse(ask.sampler)?;
        let pruner = Pruner::parse(ask.pruner)?;
        let direction = match ask.direction {
            Some("minimize") => Direction::Minimize,
            Some("maximize") => Direction::Maximize,
            Some(other) => return Err(format!("--direction {other}: expected minimize or maximize")),
            None => Direction::of_metric(ask.metric).ok_or_else(|| {
                format!(
                    "--metric {}: its direction is not known; give --direction minimize or maximize",
                    ask.metric
                )
            })?,
        };
        // The space's names must be the model's parameters: checked now, not at trial 1.
        let mut probe = ask.spec.clone();
        for dim in &space.dimensions {
            let value = super::tpe::random_value(&dim.range, &mut super::rng::Rng::new(0));
            probe.params.retain(|(k, _)| *k != dim.name);
            probe
                .params
                .push((dim.name.clone(), value.text(&dim.range)));
        }
        probe.validate().map_err(|e| format!("--space: {e}"))?;
        let task = probe.task.unwrap_or(crate::ml::features::Task::Regression);
        crate::ml::models::ModelSpec::build(probe.model, task, probe.seed, &probe.params)
            .map_err(|e| format!("--space: {e}"))?;
        Ok(StudyConfig {
            space,
            trials: ask.trials,
            timeout_s: ask.timeout_s,
            parallel: ask.parallel.max(1),
            sampler,
            pruner,
            seed: ask.spec.seed,
            metric: ask.metric.to_string(),
            direction,
            experiment: ask.experiment,
            spec: ask.spec,
        })
    }

    /// The trial's training spec: the study's with the trial's parameters set.
    pub fn trial_spec(&self, values: &[Value]) -> TrainSpec {
        let mut spec = self.spec.clone();
        for (dim, value) in self.space.dimensions.iter().zip(values) {
            spec.params.retain(|(k, _)| *k != dim.name);
            spec.params.push((dim.name.clone(), value.text(&dim.range)));
        }
        spec
    }

    /// A trial's parameters as the samplers and importances read them (each on its internal
    /// scale); `None` when they do not read.
    fn internal_params(&self, trial: &TrialRow) -> Option<Vec<f64>> {
        let values: Vec<Value> = serde_json::from_str(&trial.params_json).ok()?;
        Some(
            self.space
                .dimensions
                .iter()
                .zip(&values)
                .map(|(d, v)| internal(&d.range, v))
                .collect(),
        )
    }

    /// Each parameter's importance (PED-ANOVA, `importance`) over the complete trials, most
    /// important first; `None` with fewer than 10.
    pub fn importances(&self, trials: &[TrialRow]) -> Option<Vec<(String, f64)>> {
        let complete: Vec<(Vec<f64>, f64)> = trials
            .iter()
            .filter(|t| t.state == TrialState::Complete)
            .filter_map(|t| {
                let params = self.internal_params(t)?;
                Some((params, self.direction.loss(t.value?)))
            })
            .collect();
        let scores = super::importance::importances(&self.space, &complete)?;
        let mut named: Vec<(String, f64)> = self
            .space
            .dimensions
            .iter()
            .map(|d| d.name.clone())
            .zip(scores)
            .collect();
        named.sort_by(|a, b| b.1.total_cmp(&a.1));
        Some(named)
    }

    /// The stored trials as the samplers see them (a failed trial is left out, as Optuna does).
    pub fn observed(
        &self,
        trials: &[TrialRow],
        last_steps: &dyn Fn(&TrialRow) -> (i64, f64),
    ) -> Vec<Observed> {
        trials
            .iter()
            .filter_map(|t| {
                let params = self.internal_params(t)?;
                let state = match t.state {
                    TrialState::Running => Observation::Running,
                    TrialState::Complete => Observation::Complete(self.direction.loss(t.value?)),
                    TrialState::Pruned => {
                        let (step, value) = last_steps(t);
                        Observation::Pruned {
                            step,
                            value: self.direction.loss(value),
                        }
                    }
                    TrialState::Failed => return None,
                };
                Some(Observed {
                    number: t.number as usize,
                    params,
                    state,
                })
            })
            .collect()
    }
}
