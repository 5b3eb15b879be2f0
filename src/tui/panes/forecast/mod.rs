//! The Forecast tab: pick a registered lag model, a series or a sum of series (typed as a
//! filter, `store_id=S01 item_id=I001`; `store_id=S01` sums the store's items; empty sums every
//! series) and the horizon; the recent history and the forecast with its interval band as a
//! chart, the values as a table, and a promotion plan: `p` flips the promotion of the period
//! under the cursor from what the series carries forward, and the chart and the table show the
//! forecast with the plan and its uplift. `x` writes the view as CSV and SVG under `reports/`.
//! The forecast is `ml::forecast_view`'s (the walk `shelfcast forecast` makes), run off the UI
//! task with progress.
//!
//! State and keys live here; drawing in `view.rs`.

mod view;

use std::collections::BTreeSet;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use crate::ml::artifact::LoadedModel;
use crate::ml::forecast_view::{ForecastView, SeriesFilter, ViewRequest};
use crate::registry::ModelRef;
use crate::store::RunStore;
use crate::tui::action::{Action, Job, LoadedHandle};
use crate::tui::component::{Component, EventState, PaneContext, RenderContext};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::keymap_file::KeySection;
use crate::tui::widgets::table::{CursorMove, move_cursor};
use crate::tui::widgets::text_input::{INPUT_KEYS, InputOutcome, TextInput};

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&FORECAST_KEYS];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForecastCommand {
    Down,
    Up,
    NextModel,
    Filter,
    AllSeries,
    Longer,
    Shorter,
    TogglePromotion,
    ClearPlan,
    Export,
}

key_table! {
    pub FORECAST_KEYS: ForecastCommand = "forecast" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => ForecastCommand::Down, "next future period";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => ForecastCommand::Up, "previous future period";
        next_model: [KeySpec::char('m')] => ForecastCommand::NextModel, "next registered model";
        filter: [KeySpec::char('/')] => ForecastCommand::Filter, "type the series (store_id=S01 item_id=I001; one key sums its series)";
        all_series: [KeySpec::char('a')] => ForecastCommand::AllSeries, "all series, summed";
        longer: [KeySpec::char('+'), KeySpec::char('=')] => ForecastCommand::Longer, "one period more";
        shorter: [KeySpec::char('-')] => ForecastCommand::Shorter, "one period less";
        toggle_promotion: [KeySpec::char('p')] => ForecastCommand::TogglePromotion, "flip the promotion of the period under the cursor";
        clear_plan: [KeySpec::char('c')] => ForecastCommand::ClearPlan, "clear the promotion plan";
        export: [KeySpec::char('x')] => ForecastCommand::Export, "write the view as CSV and SVG under reports/";
    }
}

/// The longest horizon the tab asks for.
pub const MAX_HORIZON: usize = 520;
/// History dates shown before the forecast: as many as every bundle keeps.
const HISTORY_PERIODS: usize = crate::ml::history::CHART_PERIODS;

pub struct ForecastTab {
    /// The split between its two areas (`<` `>`), kept while the TUI runs.
    pub split: crate::tui::widgets::split::Split,
    /// Registered model references (`NAME@alias`, `NAME:VERSION`).
    pub models: Vec<String>,
    pub model: usize,
    asked: Option<ModelRef>,
    pub loaded: Option<(ModelRef, Arc<LoadedModel>)>,
    pub filter: String,
    pub editing: Option<TextInput>,
    pub horizon: usize,
    pub plan: BTreeSet<usize>,
    pub table: TableState,
    pub running: bool,
    /// Another forecast is wanted once the running one ends.
    again: bool,
    pub progress: (usize, usize),
    pub view: Option<ForecastView>,
    pub message: Option<(bool, String)>,
}

impl ForecastTab {
    pub fn new(_ctx: &PaneContext<'_>) -> Self {
        Self {
            split: crate::tui::widgets::split::Split::new(50),
            models: Vec::new(),
            model: 0,
            asked: None,
            loaded: None,
            filter: String::new(),
            editing: None,
            horizon: 13,
            plan: BTreeSet::new(),
            table: TableState::default(),
            running: false,
            again: false,
            progress: (0, 0),
            view: None,
            message: None,
        }
    }

    /// Every registered version with its aliases (`NAME@alias`) or its number.
    fn read_models(&mut self, store: &RunStore) {
        let mut models = Vec::new();
        for version in store.model_versions(None).unwrap_or_default() {
            if version.aliases.is_empty() {
                models.push(format!("{}:{}", version.model_name, version.version));
            }
            for alias in &version.aliases {
                models.push(format!("{}@{alias}", version.model_name));
            }
        }
        models.sort();
        models.dedup();
        let current = self.models.get(self.model).cloned();
        self.models = models;
        self.model = current
            .and_then(|c| self.models.iter().position(|m| *m == c))
            .unwrap_or(0);
    }

    fn load_chosen(&mut self) -> Vec<Action> {
        let Some(text) = self.models.get(self.model) else {
            self.message = Some((false, "no registered model: register a lag model".into()));
            return Vec::new();
        };
        match ModelRef::parse(text) {
            Ok(reference) => {
                self.asked = Some(reference.clone());
                self.view = None;
                vec![Action::Run(Job::LoadModel(reference))]
            }
            Err(e) => {
                self.message = Some((true, e.to_string()));
                Vec::new()
            }
        }
    }

    /// The request the tab describes, checked.
    pub fn request(&self) -> Result<ViewRequest, String> {
        let (_, model) = self.loaded.as_ref().ok_or("no model loaded")?;
        let lags = model.signature.derived.as_ref().ok_or(
            "this model has no lags, so no series to forecast: train it with --lags and --group",
        )?;
        Ok(ViewRequest {
            filter: SeriesFilter::parse(&self.filter, &lags.groups)?,
            horizon: self.horizon,
            plan: self.plan.clone(),
            history_periods: HISTORY_PERIODS,
        })
    }

    /// Asks for the forecast the tab describes (once the running one ends, if one runs).
    fn rerun(&mut self) -> Vec<Action> {
        if self.running {
            self.again = true;
            return Vec::new();
        }
        let request = match self.request() {
            Ok(request) => request,
            Err(problem) => {
                self.message = Some((true, problem));
                return Vec::new();
            }
        };
        let Some((_, model)) = &self.loaded else {
            return Vec::new();
        };
        self.running = true;
        self.progress = (0, request.horizon);
        vec![Action::Run(Job::Forecast {
            model: LoadedHandle(Arc::clone(model)),
            request,
        })]
    }

    /// A model was loaded: the series and horizon shown so far when the model has them, else
    /// its first series and its validation horizon.
    fn start_with(&mut self, model: &LoadedModel) {
        let keeps = |filter: &str| {
            let (Some(lags), Some(history)) = (&model.signature.derived, &model.history) else {
                return false;
            };
            let Ok(parsed) = SeriesFilter::parse(filter, &lags.groups) else {
                return false;
            };
            let wanted: Vec<(usize, String)> = parsed
                .pairs
                .iter()
                .filter_map(|(k, v)| Some((lags.groups.iter().position(|g| g == k)?, v.clone())))
                .collect();
            history.rows_matching(&wanted).1 > 0
        };
        if self.view.is_some() && keeps(&self.filter) {
            self.plan.clear();
            return;
        }
        if let (Some(lags), Some(history)) = (&model.signature.derived, &model.history)
            && let Some(first) = history.series_keys().into_iter().next()
        {
            self.filter = lags
                .groups
                .iter()
                .zip(first)
                .map(|(g, v)| format!("{g}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
        }
        if let Some(h) = &model.metrics.horizon {
            self.horizon = h.horizon.clamp(1, MAX_HORIZON);
        }
        self.plan.clear();
        self.table.select(Some(0));
    }

    /// Past the periods validation scored, the last validated step's interval is reused: said
    /// beside the horizon.
    fn beyond_validation(&self) -> String {
        let validated = self
            .loaded
            .as_ref()
            .and_then(|(_, m)| m.metrics.horizon.as_ref())
            .map(|h| h.horizon);
        match validated {
            Some(v) if self.horizon > v => format!(
                "  beyond the {v} validated periods: step {v}'s interval is used past it"
            ),
            _ => String::new(),
        }
    }

    fn cursor_step(&self) -> usize {
        self.table.selected().unwrap_or(0) + 1
    }

    fn edit_key(&mut self, key: &KeyEvent, keys: &Keymap) -> Vec<Action> {
        let Some(mut input) = self.editing.take() else {
            return Vec::new();
        };
        match input.handle_key(key, keys) {
            InputOutcome::Accepted => {
                self.filter = input.text().trim().to_string();
                self.plan.clear();
                return self.rerun();
            }
            InputOutcome::Cancelled => {}
            InputOutcome::Edited | InputOutcome::Ignored => {
                // Checked as typed: a key the model does not have says so before Enter.
                let groups = self
                    .loaded
                    .as_ref()
                    .and_then(|(_, m)| m.signature.derived.as_ref())
                    .map(|l| l.groups.clone())
                    .unwrap_or_default();
                self.message = SeriesFilter::parse(input.text(), &groups)
                    .err()
                    .map(|e| (true, e));
                self.editing = Some(input);
            }
        }
        Vec::new()
    }

    /// Where `x` writes: `reports/forecast-MODEL-SERIES` (CSV and SVG).
    fn export_job(&self, ctx: &PaneContext<'_>) -> Result<Job, String> {
        let view = self.view.clone().ok_or("no forecast to export yet")?;
        let (reference, _) = self.loaded.as_ref().ok_or("no model loaded")?;
        let series: String = view
            .filter
            .describe()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let model: String = reference
            .to_string()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        // A view with a promotion plan is its own file, beside the one without.
        let plan: String = self.plan.iter().map(|s| format!("-h{s}")).collect();
        let plan = if plan.is_empty() {
            String::new()
        } else {
            format!("-plan{plan}")
        };
        let stem = ctx
            .project
            .reports_dir()
            .join(format!("forecast-{model}-{series}{plan}"));
        Ok(Job::ExportForecast {
            title: format!(
                "{reference}: {} ({} series), {} periods",
                view.filter.describe(),
                view.series,
                view.points.len()
            ),
            view: Box::new(view),
            stem,
        })
    }
}

/// A key's answer: consumed, with the one action it asks for, if any.
fn consumed_with(actions: Vec<Action>) -> EventState {
    match actions.into_iter().next() {
        Some(action) => EventState::action(action),
        None => EventState::Consumed,
    }
}

impl Component for ForecastTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        if self.editing.is_some() {
            return consumed_with(self.edit_key(key, ctx.keys));
        }
        let Some(command) = ctx.keys.lookup(&FORECAST_KEYS, key) else {
            return EventState::NotConsumed;
        };
        let periods = self.view.as_ref().map_or(0, |v| v.points.len());
        let actions = match command {
            ForecastCommand::Down => {
                move_cursor(&mut self.table, periods, CursorMove::Down);
                Vec::new()
            }
            ForecastCommand::Up => {
                move_cursor(&mut self.table, periods, CursorMove::Up);
                Vec::new()
            }
            ForecastCommand::NextModel => {
                // Models registered since the tab was shown count too.
                self.read_models(ctx.store);
                if !self.models.is_empty() {
                    self.model = (self.model + 1) % self.models.len();
                }
                self.load_chosen()
            }
            ForecastCommand::Filter => {
                self.editing = Some(TextInput::new(self.filter.clone()).with_limit(200));
                Vec::new()
            }
            ForecastCommand::AllSeries => {
                self.filter.clear();
                self.plan.clear();
                self.rerun()
            }
            ForecastCommand::Longer | ForecastCommand::Shorter => {
                self.horizon = if command == ForecastCommand::Longer {
                    (self.horizon + 1).min(MAX_HORIZON)
                } else {
                    self.horizon.saturating_sub(1).max(1)
                };
                self.plan.retain(|s| *s <= self.horizon);
                self.rerun()
            }
            ForecastCommand::TogglePromotion => {
                match self.view.as_ref().map(|v| v.promotion.is_some()) {
                    Some(true) => {
                        let step = self.cursor_step();
                        if !self.plan.remove(&step) {
                            self.plan.insert(step);
                        }
                        self.rerun()
                    }
                    Some(false) => {
                        self.message = Some((true, "this model has no promotion column".into()));
                        Vec::new()
                    }
                    None => Vec::new(),
                }
            }
            ForecastCommand::ClearPlan => {
                self.plan.clear();
                self.rerun()
            }
            ForecastCommand::Export => match self.export_job(ctx) {
                Ok(job) => vec![Action::Run(job)],
                Err(problem) => {
                    self.message = Some((true, problem));
                    Vec::new()
                }
            },
        };
        consumed_with(actions)
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        match action {
            Action::ModelLoaded(load) if self.asked.as_ref() == Some(&load.reference) => {
                self.asked = None;
                match &load.result {
                    Ok((_, model)) => {
                        self.start_with(model);
                        self.loaded = Some((load.reference.clone(), Arc::clone(model)));
                        self.message = None;
                        return self.rerun();
                    }
                    Err(e) => {
                        self.loaded = None;
                        self.message = Some((true, e.clone()));
                    }
                }
            }
            Action::ForecastProgress { done, total } if self.running => {
                self.progress = (*done, *total);
            }
            Action::ForecastDone { request, result } => {
                self.running = false;
                let current = self.request().ok();
                match result.as_ref() {
                    Ok(view) if current.as_ref() == Some(request) => {
                        let len = view.points.len();
                        let at = self.table.selected().unwrap_or(0).min(len.saturating_sub(1));
                        self.table.select((len > 0).then_some(at));
                        self.view = Some(view.clone());
                        self.message = None;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        self.view = None;
                        self.message = Some((true, e.clone()));
                    }
                }
                if self.again || current.as_ref().is_some_and(|c| c != request) {
                    self.again = false;
                    return self.rerun();
                }
            }
            Action::Written { write, .. } if write.touches_models() => self.read_models(ctx.store),
            Action::ForecastExported(result) => {
                // Paths inside the project are shown from it: the line has room for both.
                let shown = |path: &str| {
                    std::path::Path::new(path)
                        .strip_prefix(&ctx.project.root)
                        .map_or(path.to_string(), |p| p.display().to_string())
                };
                self.message = Some(match result {
                    Ok((csv, svg)) => (false, format!("wrote {} and {}", shown(csv), shown(svg))),
                    Err(e) => (true, e.clone()),
                });
            }
            _ => {}
        }
        Vec::new()
    }

    /// The registered models may have moved since the tab was last shown.
    fn on_show(&mut self, ctx: &PaneContext<'_>) -> Vec<Action> {
        self.read_models(ctx.store);
        if self.loaded.is_none() && self.asked.is_none() {
            return self.load_chosen();
        }
        Vec::new()
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx);
    }

    fn resize(&mut self, wider: bool) -> bool {
        self.split.resize(wider)
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        if self.editing.is_some() {
            keys.help(&INPUT_KEYS)
        } else {
            keys.help(&FORECAST_KEYS)
        }
    }

    fn captures_text(&self) -> bool {
        self.editing.is_some()
    }

    fn is_busy(&self) -> bool {
        self.running || self.asked.is_some()
    }

    fn title(&self) -> &'static str {
        "Forecast"
    }
}
