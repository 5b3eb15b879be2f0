//! What a prepared run knows of itself: its task, the params it records, and whether a study's
//! next trial can train on its data as they are.

use super::features::Task;
use super::models::ModelSpec;
use super::train::{Matrices, Prepared, TrainError, TrainSpec, matrices};

impl Prepared {
    pub fn task(&self) -> Task {
        self.target.task
    }

    /// The encoded matrices, encoded at the first call.
    pub fn encoded(&self) -> Result<&Matrices, TrainError> {
        if let Some(m) = self.encoded.get() {
            return Ok(m);
        }
        let m = matrices(self)?;
        Ok(self.encoded.get_or_init(|| m))
    }

    /// Takes `spec`'s model parameters when it differs from this run's spec in them alone (a
    /// study's next trial), so the data need not be read, joined and checked again; `false`
    /// (and nothing changed) otherwise. The reading options stay this run's.
    pub fn reuse_for(&mut self, spec: &TrainSpec) -> Result<bool, TrainError> {
        if self.baseline_column.is_some()
            || spec.backtest.is_some()
            || !self.spec.params_free_eq(spec)
        {
            return Ok(false);
        }
        self.model = ModelSpec::build(self.model.kind, self.task(), spec.seed, &spec.params)?;
        self.spec = TrainSpec {
            read: self.spec.read.clone(),
            ..spec.clone()
        };
        Ok(true)
    }

    /// Every setting the run trained with, as (key, value) text for the run's params: the
    /// model's hyper-parameters with defaults filled in, and the data choices.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = vec![
            ("model".into(), self.model.kind.as_str().into()),
            ("target".into(), self.target.column.clone()),
            ("task".into(), self.task().as_str().into()),
            ("split".into(), self.split_spec.to_string()),
            ("seed".into(), self.spec.seed.to_string()),
            ("features".into(), self.features.join(",")),
            ("log1p".into(), self.target.log1p.to_string()),
            ("train_rows".into(), self.split.train.len().to_string()),
            ("valid_rows".into(), self.split.validation.len().to_string()),
        ];
        if let Some(lags) = &self.spec.lags {
            pairs.push((
                "lags".into(),
                format!(
                    "{} by {} on {}: lags {:?}, means {:?}",
                    lags.value,
                    lags.groups.join("+"),
                    lags.date,
                    lags.lags,
                    lags.rolling_means
                ),
            ));
        }
        if let Some(backtest) = &self.spec.backtest {
            pairs.push(("backtest.windows".into(), backtest.windows.to_string()));
            pairs.push(("backtest.horizon".into(), backtest.horizon.to_string()));
            pairs.push(("backtest.step".into(), backtest.step.to_string()));
        }
        if let Some(until) = &self.spec.until {
            pairs.push(("until".into(), until.clone()));
        }
        for (i, lookup) in self.spec.lookups.iter().enumerate() {
            let key = if i == 0 {
                "lookup".to_string()
            } else {
                format!("lookup{}", i + 1)
            };
            pairs.push((
                key,
                format!("{} on {}", lookup.path.display(), lookup.keys.join(",")),
            ));
        }
        for (key, value) in self.model.pairs() {
            // The run's seed is recorded once, above.
            if key != "seed" {
                pairs.push((format!("model.{key}"), value));
            }
        }
        pairs
    }
}
