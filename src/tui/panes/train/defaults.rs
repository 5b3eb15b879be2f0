//! The Train form's defaults for a dataset: the target, the features, a time split when there is
//! a date, and the chosen model's parameters.

use super::*;

impl TrainTab {
    /// Defaults for the chosen dataset: the last numeric column as target (sales come last),
    /// every other column as a feature, a time split on the first date column when there is
    /// one (the last tenth of its dates), else a random fifth.
    pub(super) fn reset_for_dataset(&mut self) {
        let Some(profile) = self.profile().cloned() else {
            self.features.clear();
            self.reset_params();
            return;
        };
        self.target = profile
            .columns
            .iter()
            .rposition(|c| c.kind == ColumnKind::Numeric)
            .unwrap_or(profile.columns.len().saturating_sub(1));
        self.features = profile
            .columns
            .iter()
            .map(|c| c.kind != ColumnKind::Text || c.distinct < 1000)
            .collect();
        self.task = TaskChoice::Auto;
        let date = profile
            .columns
            .iter()
            .find(|c| matches!(c.kind, ColumnKind::Date | ColumnKind::Datetime));
        self.split = TextField::new(match date {
            Some(c) => format!("time:{}:{}", c.name, (c.distinct / 10).max(1)),
            None => "random:0.2".to_string(),
        });
        self.lags = TextField::default();
        self.rolling = TextField::default();
        self.groups = TextField::default();
        self.backtest = TextField::default();
        self.log1p = false;
        self.ensure_model_fits();
        self.reset_params();
        self.validate();
    }

    pub(super) fn ensure_model_fits(&mut self) {
        if !self.model.supports(self.task()) {
            self.model = ModelKind::Gbdt;
        }
    }

    /// The chosen model's parameters with their defaults as text.
    pub(super) fn reset_params(&mut self) {
        let spec = ModelSpec::defaults(self.model, self.task(), self.seed_value());
        let defaults = spec.pairs();
        self.params = spec
            .info()
            .iter()
            .filter(|info| info.name != "seed")
            .map(|info| {
                let value = defaults
                    .iter()
                    .find(|(k, _)| *k == info.name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                (info.name, info.range, TextField::new(value))
            })
            .collect();
    }
}
