//! The Train form's checks and the launch request it describes: every typed field is validated
//! against the model's parameter ranges and the dataset's profile as the user types, and a
//! request is built only from a form without errors.

use crate::tui::action::{Action, Target};
use super::{TextField, TrainTab};
use crate::data::ColumnKind;
use crate::jobs::LaunchRequest;
use crate::ml::lookup::LookupSpec;
use crate::ml::models::ModelSpec;
use crate::ml::spec_check::{lag_spec, parse_periods};
use crate::ml::split::SplitSpec;
use crate::ml::train::TrainSpec;
use crate::tune::space::{Range, Space, is_range};

impl TrainTab {
    pub fn validate(&mut self) {
        let task = self.task();
        let mut spec = ModelSpec::defaults(self.model, task, self.seed_value());
        for (name, _, field) in &mut self.params {
            // Beside the field its name is already shown: keep what was expected.
            let expected = |e: crate::ml::MlError| {
                let text = e.to_string();
                match text.split_once("; ") {
                    Some((_, expected)) => expected.to_string(),
                    None => text,
                }
            };
            field.error = if is_range(field.value()) {
                range_error(&mut spec, name, field.value()).map(|e| e.replace("; ", ": "))
            } else {
                spec.set(name, field.value()).err().map(expected)
            };
        }
        let columns: Vec<(String, ColumnKind)> = self
            .profile()
            .map(|p| p.columns.iter().map(|c| (c.name.clone(), c.kind)).collect())
            .unwrap_or_default();
        let kind_of = |name: &str| columns.iter().find(|(n, _)| n == name).map(|(_, k)| *k);
        self.split.error = match SplitSpec::parse(self.split.value().trim(), 0) {
            Err(e) => Some(e.to_string()),
            Ok(SplitSpec::LastDates { column, .. } | SplitSpec::FromDate { column, .. }) => {
                match kind_of(&column) {
                    None => Some(format!("no column '{column}'")),
                    Some(ColumnKind::Date | ColumnKind::Datetime) => None,
                    Some(kind) => Some(format!(
                        "'{column}' is {}; a time split needs a date column",
                        kind.as_str()
                    )),
                }
            }
            Ok(SplitSpec::Random { .. }) => None,
        };
        self.lookups.error = self.lookup_specs().err();
        for field in [&mut self.lags, &mut self.rolling] {
            field.error = parse_periods(field.value()).err();
        }
        self.backtest.error = self.backtest_spec().err();
        self.study_trials.error = study_budget(self.study_trials.value()).err();
        self.groups.error = names(self.groups.value())
            .into_iter()
            .find(|g| kind_of(g).is_none())
            .map(|g| format!("no column '{g}'"));
        self.seed.error = self
            .seed
            .value()
            .trim()
            .parse::<u64>()
            .err()
            .map(|_| "a whole number".to_string());
        self.slurm.error = self.slurm_error();
        self.experiment.error = self
            .experiment
            .value()
            .trim()
            .is_empty()
            .then(|| "a name is needed".to_string());
        // Lags shorter than a time split's hold-out: validation will be recursive, and says so.
        let shortest = crate::ml::forecast::shortest_reach(&crate::ml::lags::LagSpec {
            date: String::new(),
            groups: Vec::new(),
            value: String::new(),
            lags: parse_periods(self.lags.value()).unwrap_or_default(),
            rolling_means: parse_periods(self.rolling.value()).unwrap_or_default(),
        });
        self.horizon_note = match (SplitSpec::parse(self.split.value().trim(), 0), shortest) {
            (Ok(SplitSpec::LastDates { dates, .. }), Some(k)) if k < dates => Some(format!(
                "lag {k} is shorter than the {dates}-period hold-out: validation predicts it \
                 recursively from the cut-off, as the forecast will be made"
            )),
            _ => None,
        };
    }

    fn has_errors(&self) -> Option<String> {
        let named =
            |label: &str, field: &TextField| field.error.as_ref().map(|e| format!("{label}: {e}"));
        self.params
            .iter()
            .find_map(|(name, _, f)| named(name, f))
            .or_else(|| named("lookups", &self.lookups))
            .or_else(|| named("split", &self.split))
            .or_else(|| named("lags", &self.lags))
            .or_else(|| named("rolling means", &self.rolling))
            .or_else(|| named("lag groups", &self.groups))
            .or_else(|| named("backtest windows", &self.backtest))
            .or_else(|| named("study trials", &self.study_trials))
            .or_else(|| named("seed", &self.seed))
            .or_else(|| named("experiment", &self.experiment))
            .or_else(|| named("Slurm job", &self.slurm))
    }

    /// The launch request the form describes, or the first problem with it.
    pub fn request(&self) -> Result<LaunchRequest, String> {
        if let Some(problem) = self.has_errors() {
            return Err(problem);
        }
        let choice = self
            .datasets
            .get(self.dataset)
            .ok_or("no profiled dataset to train on yet")?;
        let target = self.target_name().ok_or("choose a target")?.to_string();
        let features: Vec<String> = choice
            .profile
            .columns
            .iter()
            .zip(&self.features)
            .filter(|(c, on)| **on && c.name != target)
            .map(|(c, _)| c.name.clone())
            .collect();
        if features.is_empty() {
            return Err("choose at least one feature".to_string());
        }
        let lookups = self.lookup_specs()?;
        let mut features = features;
        for (spec, table) in &lookups {
            for column in &table.columns {
                if !features.contains(&column.name)
                    && column.name != target
                    && !spec.keys.contains(&column.name)
                {
                    features.push(column.name.clone());
                }
            }
        }
        let lookups: Vec<LookupSpec> = lookups.into_iter().map(|(spec, _)| spec).collect();
        let lag_spec = lag_spec(
            self.split.value().trim(),
            None,
            &target,
            names(self.groups.value()),
            parse_periods(self.lags.value())?,
            parse_periods(self.rolling.value())?,
            self.model,
        )
        .map_err(|_| "lags and baselines need a time split (its column is the date)".to_string())?;
        // Kept relative to the project when inside it, by the one rule the CLI uses too.
        let data = self
            .project
            .spec_path(&choice.path)
            .unwrap_or_else(|_| choice.path.clone());
        let spec = TrainSpec {
            data,
            lookups,
            read: Default::default(),
            target,
            task: self.task.task(),
            features,
            lags: lag_spec,
            log1p: self.log1p,
            model: self.model,
            // A parameter given as a range is the study's to set, trial by trial.
            params: self
                .params
                .iter()
                .filter(|(_, _, f)| !is_range(f.value()))
                .map(|(k, _, f)| (k.to_string(), f.value().trim().to_string()))
                .collect(),
            split: self.split.value().trim().to_string(),
            seed: self.seed_value(),
            until: None,
            backtest: self.backtest_spec()?,
        };
        spec.validate().map_err(|e| e.to_string())?;
        let name = self.name.value().trim();
        Ok(LaunchRequest {
            spec,
            experiment: self.experiment.value().trim().to_string(),
            name: (!name.is_empty()).then(|| name.to_string()),
            tags: vec![("launched_from".into(), "tui".into())],
            parent_run_id: None,
        })
    }
}

impl TrainTab {
    /// A launch ended: the run opens in the Runs tab, or the form says why not.
    pub(super) fn launched(&mut self, result: &Result<crate::jobs::Launched, String>) -> Vec<Action> {
        self.launching = false;
        match result {
            Ok(launched) => {
                self.message = Some((
                    false,
                    std::iter::once(match &launched.slurm_job {
                        Some(job) => format!(
                            "run {} queued on Slurm as job {job}: {} training, {} validation rows",
                            launched.run_id, launched.train_rows, launched.valid_rows
                        ),
                        None => format!(
                            "run {} started: {} training, {} validation rows",
                            launched.run_id, launched.train_rows, launched.valid_rows
                        ),
                    })
                    .chain(launched.notes.iter().cloned())
                    .collect::<Vec<_>>()
                    .join("; "),
                ));
                vec![Action::Open(Target::Run(launched.run_id))]
            }
            Err(error) => {
                self.message = Some((true, error.clone()));
                Vec::new()
            }
        }
    }

    /// The study the form asks for, checked as `shelfcast tune` checks it (TPE, the median
    /// pruner, the model's RMSE).
    pub fn study_config(&self) -> Result<crate::tune::study::StudyConfig, String> {
        let request = self.request()?;
        let (trials, parallel) = study_budget(self.study_trials.value())?;
        let space = self
            .study_space_text()
            .ok_or("no parameter is a range: nothing to tune")?;
        crate::tune::study::StudyConfig::check(crate::tune::study::StudyAsk {
            space: &space,
            trials,
            timeout_s: None,
            parallel,
            sampler: "tpe",
            pruner: "median",
            metric: "rmse",
            direction: None,
            experiment: request.experiment.clone(),
            spec: request.spec,
        })
    }

    /// The backtest the form asks for: none when the field is empty; K windows of the time
    /// split's hold-out (`time:COLUMN:N`), N apart.
    fn backtest_spec(&self) -> Result<Option<crate::ml::backtest::BacktestSpec>, String> {
        let text = self.backtest.value().trim();
        if text.is_empty() {
            return Ok(None);
        }
        let windows: usize = text
            .parse()
            .ok()
            .filter(|w| (1..=crate::ml::backtest::MAX_WINDOWS).contains(w))
            .ok_or_else(|| format!("'{text}': a number of windows from 1 to 100, or empty"))?;
        match SplitSpec::parse(self.split.value().trim(), 0) {
            Ok(SplitSpec::LastDates { dates, .. }) => Ok(Some(crate::ml::backtest::BacktestSpec {
                windows,
                horizon: dates,
                step: dates,
            })),
            _ => Err("a backtest needs a time split of the last N dates (time:COLUMN:N)".into()),
        }
    }

    /// The lookup field checked as typed: each `FILE:KEYS` names a profiled file of data/ and
    /// keys that both it and the dataset have. Returns each spec with the table's profile.
    fn lookup_specs(&self) -> Result<Vec<(LookupSpec, &crate::data::DatasetProfile)>, String> {
        let main = self.profile();
        let mut specs = Vec::new();
        for part in self.lookups.value().split(';').map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let mut spec = LookupSpec::parse(part)?;
            let wanted = spec
                .path
                .to_string_lossy()
                .trim_start_matches("data/")
                .to_string();
            let choice = self
                .datasets
                .iter()
                .find(|c| c.relative == wanted)
                .ok_or_else(|| format!("'{wanted}' is not a profiled file of data/"))?;
            for key in &spec.keys {
                if !choice.profile.columns.iter().any(|c| &c.name == key) {
                    return Err(format!("{wanted} has no column '{key}'"));
                }
                if let Some(main) = main
                    && !main.columns.iter().any(|c| &c.name == key)
                {
                    return Err(format!(
                        "the dataset has no column '{key}' to join {wanted} on"
                    ));
                }
            }
            spec.path = self
                .project
                .spec_path(&choice.path)
                .unwrap_or_else(|_| choice.path.clone());
            specs.push((spec, choice.profile.as_ref()));
        }
        Ok(specs)
    }
}

pub(super) fn names(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect()
}

/// `N` trials one at a time, or `NxP`: N trials, P at once.
fn study_budget(text: &str) -> Result<(usize, usize), String> {
    let text = text.trim();
    let (trials, parallel) = match text.split_once(['x', '×']) {
        Some((n, p)) => (n.trim(), p.trim()),
        None => (text, "1"),
    };
    let number = |t: &str| t.parse::<usize>().ok().filter(|n| (1..=10_000).contains(n));
    match (number(trials), number(parallel)) {
        (Some(n), Some(p)) if p <= 64 => Ok((n, p)),
        _ => Err(format!("'{text}': expected N trials or NxP (30x2: 30 trials, 2 at once)")),
    }
}

/// What is wrong with `text` as the search range of parameter `name`, if anything: its syntax
/// (the `--space` rule), or an end the model refuses.
fn range_error(spec: &mut ModelSpec, name: &str, text: &str) -> Option<String> {
    let space = match Space::from_ranges(&[(name, text)]) {
        Ok(space) => space,
        Err(e) => return Some(e.what),
    };
    let ends: Vec<String> = match &space.dimensions.first()?.range {
        Range::Float { low, high, .. } => vec![low.to_string(), high.to_string()],
        Range::Int { low, high, .. } => vec![low.to_string(), high.to_string()],
        Range::Categorical { choices } => choices.clone(),
    };
    ends.iter().find_map(|end| {
        spec.set(name, end)
            .err()
            .map(|e| format!("{end} is out of range: {e}"))
    })
}

impl TrainTab {
    /// The study's space from the parameters given as ranges, in the form's order; `None` when
    /// every parameter holds one value (the form trains one run).
    pub fn study_space_text(&self) -> Option<String> {
        let ranges: Vec<String> = self
            .params
            .iter()
            .filter(|(_, _, f)| is_range(f.value()))
            .map(|(name, _, f)| format!("{name}={}", f.value().trim()))
            .collect();
        (!ranges.is_empty()).then(|| ranges.join(","))
    }

    pub fn is_study(&self) -> bool {
        self.study_space_text().is_some()
    }

    /// `S`: every parameter the model declares a search range for takes it; when some already
    /// hold ranges, they all go back to their defaults (one run).
    pub(super) fn toggle_study_ranges(&mut self) {
        let defaults = ModelSpec::defaults(self.model, self.task(), self.seed_value());
        let values = defaults.pairs();
        let tuning = self.is_study();
        for (name, _, field) in &mut self.params {
            let info = defaults.info().iter().find(|i| i.name == *name);
            let default = values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            match (tuning, info.and_then(|i| i.search)) {
                (true, _) if is_range(field.value()) => *field = TextField::new(default),
                (false, Some(range)) => *field = TextField::new(range),
                _ => {}
            }
        }
        self.message = None;
        self.validate();
    }
}
