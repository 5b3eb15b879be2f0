//! The Runs pane: every run in one table (status, experiment, name, model, metric columns,
//! duration, created), sorted by any column, filtered with the filter language typed after `/`
//! (errors point at their column), narrowed to an experiment; runs are marked with Space for the
//! Compare tab, renamed, tagged, noted, deleted (after a yes) or cancelled. Enter opens a run's
//! live view. The table is one `query_runs` (metric values from the series summaries), re-read
//! when the store's `data_version` moves, so a running run's row follows its worker.
//!
//! State and keys live here (key tables in `runs_keys.rs`); the run view's data in
//! `run_detail.rs`; drawing in `runs_view.rs` and `run_view.rs`.

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

pub use super::run_detail::{RunDetail, load_detail, log_tail, planned_steps};
pub use super::runs_keys::{RUNS_KEYS, RunsCommand};
use crate::project::Project;
use crate::store::{
    Filter, FilterError, MetricValue, RunId, RunQuery, RunRow, RunSort, RunStore, SortKey,
    parse_filter,
};
use crate::tui::action::Action;
use crate::tui::component::{Component, EventState};
use crate::tui::keymap::{KeyHelp, help_of, lookup};
use crate::tui::theme::Theme;

/// Metric columns the table offers first, when runs have them.
const PREFERRED_METRICS: [&str; 5] = ["rmse", "r2", "roc_auc", "log_loss", "valid_loss"];
/// At most this many metric columns.
const METRIC_COLUMNS: usize = 3;

/// The columns the sort key cycles through, in table order.
fn sort_keys(metrics: &[String]) -> Vec<SortKey> {
    let mut keys = vec![
        SortKey::Id,
        SortKey::Status,
        SortKey::Experiment,
        SortKey::Name,
        SortKey::Model,
    ];
    keys.extend(metrics.iter().map(|m| SortKey::Metric(m.clone())));
    keys.extend([SortKey::Duration, SortKey::Created]);
    keys
}

/// A line of text the user is typing, and what it is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Filter(String),
    /// The step whose values the metric columns show.
    Step(String),
    Rename(RunId, String),
    Tag(RunId, String),
    Note(RunId, String),
    Register(RunId, String),
}

impl Input {
    pub fn text(&self) -> &str {
        match self {
            Input::Filter(t)
            | Input::Step(t)
            | Input::Rename(_, t)
            | Input::Tag(_, t)
            | Input::Note(_, t)
            | Input::Register(_, t) => t,
        }
    }

    fn text_mut(&mut self) -> &mut String {
        match self {
            Input::Filter(t)
            | Input::Step(t)
            | Input::Rename(_, t)
            | Input::Tag(_, t)
            | Input::Note(_, t)
            | Input::Register(_, t) => t,
        }
    }

    pub fn prompt(&self) -> String {
        match self {
            Input::Filter(_) => "filter /".into(),
            Input::Step(_) => "metric values at step:".into(),
            Input::Rename(id, _) => format!("rename run {id}:"),
            Input::Tag(id, _) => format!("tag run {id} (KEY=VALUE):"),
            Input::Note(id, _) => format!("note on run {id}:"),
            Input::Register(id, _) => format!("register run {id} as a version of model:"),
        }
    }
}

/// A destructive action waiting for `y`.
#[derive(Clone, Debug, PartialEq)]
pub enum Confirm {
    Cancel(RunId),
    Delete(Vec<RunId>),
}

pub struct RunsTab {
    pub project: Project,
    pub rows: Vec<RunRow>,
    pub table: TableState,
    pub metric_columns: Vec<String>,
    /// Last, best, or at a chosen step.
    pub metric_value: MetricValue,
    pub sort: RunSort,
    pub filter_text: String,
    pub filter: Option<Filter>,
    pub filter_error: Option<FilterError>,
    /// Keys the filter names that no run has ("no run has params.modl; did you mean …").
    pub filter_warning: Option<String>,
    pub experiments: Vec<String>,
    /// Index into `experiments` (`None`: all).
    pub experiment: Option<usize>,
    pub marked: BTreeSet<RunId>,
    pub input: Option<Input>,
    pub confirm: Option<Confirm>,
    /// The run open in the run view.
    pub open: Option<RunId>,
    pub detail: RunDetail,
    /// Work for `service`, which has the store.
    pending_write: Option<Write>,
    pub pending_reload: bool,
    /// Set by `C`: the App opens the Compare tab on these runs.
    pub compare_requested: Option<Vec<RunId>>,
    pub message: Option<String>,
}

/// A change to the store that a key asked for.
#[derive(Clone, Debug)]
enum Write {
    Cancel(RunId),
    Delete(Vec<RunId>),
    Rename(RunId, String),
    Tag(RunId, String, String),
    Note(RunId, String),
    Register(RunId, String),
}

impl RunsTab {
    pub fn new(project: Project) -> Self {
        Self {
            project,
            rows: Vec::new(),
            table: TableState::default(),
            metric_columns: Vec::new(),
            metric_value: MetricValue::Last,
            sort: RunSort::default(),
            filter_text: String::new(),
            filter: None,
            filter_error: None,
            filter_warning: None,
            experiments: Vec::new(),
            experiment: None,
            marked: BTreeSet::new(),
            input: None,
            confirm: None,
            open: None,
            detail: RunDetail::default(),
            pending_write: None,
            pending_reload: false,
            compare_requested: None,
            message: None,
        }
    }

    pub fn selected(&self) -> Option<&RunRow> {
        self.table.selected().and_then(|i| self.rows.get(i))
    }

    /// Whether keys typed now are text (global keys must not act).
    pub fn captures_text(&self) -> bool {
        self.input.is_some()
    }

    /// Re-reads the table (and the open run) from the store.
    pub fn reload(&mut self, store: &RunStore) {
        if let Err(e) = self.load(store) {
            self.message = Some(format!("reading runs: {e}"));
        }
        if let Some(id) = self.open {
            self.detail = load_detail(&self.project, store, id);
        }
    }

    fn load(&mut self, store: &RunStore) -> Result<(), crate::store::StoreError> {
        self.filter_warning = match &self.filter {
            Some(filter) => {
                let unknown = store.unknown_filter_keys(filter)?;
                (!unknown.is_empty()).then(|| {
                    unknown
                        .iter()
                        .map(|u| u.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            }
            None => None,
        };
        let metric_keys = store.metric_key_names()?;
        let mut columns: Vec<String> = PREFERRED_METRICS
            .iter()
            .filter(|m| metric_keys.iter().any(|k| k == *m))
            .map(|m| m.to_string())
            .collect();
        columns.truncate(METRIC_COLUMNS);
        self.metric_columns = columns;
        self.experiments = store.experiment_names()?;
        if self.experiment.is_some_and(|i| i >= self.experiments.len()) {
            self.experiment = None;
        }
        let selected = self.selected().map(|r| r.run.id);
        self.rows = store.query_runs(&RunQuery {
            filter: self.filter.clone(),
            experiment: self
                .experiment
                .and_then(|i| self.experiments.get(i).cloned()),
            include_deleted: false,
            sort: self.sort.clone(),
            metrics: self.metric_columns.clone(),
            metric_value: self.metric_value,
            params: Vec::new(),
        })?;
        let index = selected
            .and_then(|id| self.rows.iter().position(|r| r.run.id == id))
            .or((!self.rows.is_empty()).then_some(0));
        self.table.select(index);
        Ok(())
    }

    /// Opens `run` in the run view.
    pub fn open_run(&mut self, store: &RunStore, run: RunId) {
        self.open = Some(run);
        self.reload(store);
        if let Some(index) = self.rows.iter().position(|r| r.run.id == run) {
            self.table.select(Some(index));
        }
    }

    /// Whether an open run is still going (its log is re-read on every tick).
    pub fn is_live(&self) -> bool {
        self.open.is_some()
            && self
                .detail
                .run
                .as_ref()
                .is_some_and(|r| !r.status.is_terminal())
    }

    /// Re-reads the open run's log tail (the worker writes it between store commits).
    pub fn refresh_log(&mut self) {
        if let Some(id) = self.open {
            self.detail.log_tail = log_tail(&self.project.run_dir(id).join("worker.log"));
        }
    }

    /// Applies the filter text: parsed now, so a mistake shows at once with its column.
    fn apply_filter(&mut self, text: String) {
        match parse_filter(&text) {
            Ok(filter) => {
                self.filter = filter;
                self.filter_error = None;
                self.filter_text = text;
                self.pending_reload = true;
            }
            Err(error) => {
                self.filter_error = Some(error);
                // Keep the text so it can be mended.
                self.input = Some(Input::Filter(text));
            }
        }
    }

    fn move_selection(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        if self.rows.is_empty() {
            return;
        }
        let current = self.table.selected().unwrap_or(0);
        self.table.select(Some(to(current, self.rows.len())));
    }

    /// The runs an action applies to: the marked ones, or else the selected (or open) one.
    fn targets(&self) -> Vec<RunId> {
        if let Some(id) = self.open {
            return vec![id];
        }
        if !self.marked.is_empty() {
            return self.marked.iter().copied().collect();
        }
        self.selected().map(|r| vec![r.run.id]).unwrap_or_default()
    }

    fn focused_id(&self) -> Option<RunId> {
        self.open.or_else(|| self.selected().map(|r| r.run.id))
    }

    fn input_key(&mut self, key: &KeyEvent) {
        let Some(mut input) = self.input.take() else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                if matches!(input, Input::Filter(_)) {
                    self.filter_error = None;
                }
                return;
            }
            KeyCode::Enter => {
                let text = input.text().trim().to_string();
                match input {
                    Input::Filter(_) => self.apply_filter(text),
                    Input::Step(_) => match text.parse::<i64>() {
                        Ok(step) if step >= 0 => {
                            self.metric_value = MetricValue::AtStep(step);
                            self.pending_reload = true;
                        }
                        _ => {
                            self.message = Some(format!("'{text}': expected a step number"));
                            self.input = Some(Input::Step(text));
                        }
                    },
                    Input::Rename(id, _) if !text.is_empty() => {
                        self.pending_write = Some(Write::Rename(id, text))
                    }
                    Input::Rename(..) => self.message = Some("a run name cannot be empty".into()),
                    Input::Tag(id, _) => match text.split_once('=') {
                        Some((k, v)) if !k.trim().is_empty() => {
                            self.pending_write =
                                Some(Write::Tag(id, k.trim().into(), v.trim().into()))
                        }
                        _ => {
                            self.message = Some(format!("tag '{text}': expected KEY=VALUE"));
                            self.input = Some(Input::Tag(id, text));
                        }
                    },
                    Input::Note(id, _) => self.pending_write = Some(Write::Note(id, text)),
                    Input::Register(id, _) => self.pending_write = Some(Write::Register(id, text)),
                }
                return;
            }
            KeyCode::Backspace => {
                input.text_mut().pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                input.text_mut().clear()
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                input.text_mut().push(c)
            }
            _ => {}
        }
        // As the filter is typed, say at once where it stops making sense.
        if let Input::Filter(text) = &input {
            self.filter_error = parse_filter(text).err();
        }
        self.input = Some(input);
    }

    fn cycle_sort(&mut self) {
        let keys = sort_keys(&self.metric_columns);
        let index = keys.iter().position(|k| *k == self.sort.key).unwrap_or(0);
        let key = keys[(index + 1) % keys.len()].clone();
        // Metrics start with the best first; everything else newest / highest first.
        let descending = match &key {
            SortKey::Metric(m) => crate::compare::higher_is_better(m).unwrap_or(false),
            SortKey::Name | SortKey::Experiment | SortKey::Model | SortKey::Status => false,
            _ => true,
        };
        self.sort = RunSort { key, descending };
        self.pending_reload = true;
    }

    fn run_command(&mut self, command: RunsCommand) -> EventState {
        let in_list = self.open.is_none();
        match command {
            RunsCommand::Down if in_list => self.move_selection(|i, n| (i + 1).min(n - 1)),
            RunsCommand::Up if in_list => self.move_selection(|i, _| i.saturating_sub(1)),
            RunsCommand::Top if in_list => self.move_selection(|_, _| 0),
            RunsCommand::Bottom if in_list => self.move_selection(|_, n| n - 1),
            RunsCommand::Open if in_list => {
                if let Some(id) = self.selected().map(|r| r.run.id) {
                    self.open = Some(id);
                    self.detail = RunDetail::default();
                    self.pending_reload = true;
                }
            }
            RunsCommand::Back if !in_list => self.open = None,
            RunsCommand::Back if !self.filter_text.is_empty() || self.filter_error.is_some() => {
                self.filter_text.clear();
                self.filter = None;
                self.filter_error = None;
                self.pending_reload = true;
            }
            RunsCommand::Back => return EventState::NotConsumed,
            RunsCommand::Filter if in_list => {
                self.input = Some(Input::Filter(self.filter_text.clone()));
            }
            RunsCommand::Sort if in_list => self.cycle_sort(),
            RunsCommand::Reverse if in_list => {
                self.sort.descending = !self.sort.descending;
                self.pending_reload = true;
            }
            RunsCommand::Experiment if in_list => {
                self.experiment = match self.experiment {
                    None if !self.experiments.is_empty() => Some(0),
                    Some(i) if i + 1 < self.experiments.len() => Some(i + 1),
                    _ => None,
                };
                self.pending_reload = true;
            }
            RunsCommand::MetricView if in_list => match self.metric_value {
                MetricValue::Last => {
                    self.metric_value = MetricValue::Best;
                    self.pending_reload = true;
                }
                MetricValue::Best => self.input = Some(Input::Step(String::new())),
                MetricValue::AtStep(_) => {
                    self.metric_value = MetricValue::Last;
                    self.pending_reload = true;
                }
            },
            RunsCommand::Mark if in_list => {
                if let Some(id) = self.selected().map(|r| r.run.id) {
                    if !self.marked.remove(&id) {
                        self.marked.insert(id);
                    }
                    self.move_selection(|i, n| (i + 1).min(n - 1));
                }
            }
            RunsCommand::Unmark => self.marked.clear(),
            RunsCommand::Compare => {
                let mut ids: Vec<RunId> = self.marked.iter().copied().collect();
                if ids.len() < 2
                    && let Some(id) = self.focused_id().filter(|id| !ids.contains(id))
                {
                    ids.push(id);
                }
                if ids.len() < 2 {
                    self.message = Some("mark two or more runs with Space to compare them".into());
                } else {
                    self.compare_requested = Some(ids);
                }
            }
            RunsCommand::Rename => {
                if let Some(run) = self.focused_id().and_then(|id| self.run_of(id)) {
                    self.input = Some(Input::Rename(run.id, run.name.clone()));
                }
            }
            RunsCommand::Tag => {
                if let Some(id) = self.focused_id() {
                    self.input = Some(Input::Tag(id, String::new()));
                }
            }
            RunsCommand::Note => {
                if let Some(run) = self.focused_id().and_then(|id| self.run_of(id)) {
                    let note = run.note.clone().unwrap_or_default();
                    self.input = Some(Input::Note(run.id, note));
                }
            }
            RunsCommand::Delete => {
                let ids = self.targets();
                let live: Vec<RunId> = ids
                    .iter()
                    .copied()
                    .filter(|id| self.run_of(*id).is_some_and(|r| !r.status.is_terminal()))
                    .collect();
                if !live.is_empty() {
                    self.message = Some(format!("cancel run(s) {live:?} before deleting them"));
                } else if !ids.is_empty() {
                    self.message = Some(format!(
                        "delete run(s) {ids:?}? They stay recoverable (shelfcast restore) until \
                         purged. y / any key"
                    ));
                    self.confirm = Some(Confirm::Delete(ids));
                }
            }
            RunsCommand::Cancel => {
                let target = self
                    .focused_id()
                    .and_then(|id| self.run_of(id))
                    .map(|r| (r.id, r.name.clone(), r.status));
                match target {
                    Some((id, name, status)) if !status.is_terminal() => {
                        self.confirm = Some(Confirm::Cancel(id));
                        self.message = Some(format!("cancel run {id} ({name})? y / any key"));
                    }
                    Some((id, _, status)) => {
                        self.message = Some(format!("run {id} is already {}", status.as_str()))
                    }
                    None => {}
                }
            }
            RunsCommand::Register => {
                if let Some(id) = self.focused_id() {
                    self.input = Some(Input::Register(id, String::new()));
                }
            }
            RunsCommand::Confirm => {}
            _ => return EventState::NotConsumed,
        }
        EventState::Consumed
    }

    /// The run `id` as the table or the open run view has it.
    fn run_of(&self, id: RunId) -> Option<&crate::store::Run> {
        self.rows
            .iter()
            .map(|r| &r.run)
            .find(|r| r.id == id)
            .or(self.detail.run.as_ref().filter(|r| r.id == id))
    }

    /// Carries out what the keys asked for that needs the store (the App owns it).
    pub fn service(&mut self, store: &mut RunStore) {
        if let Some(Write::Register(id, model)) = &self.pending_write {
            // Registering reads and copies files: its own path, with the registry's message.
            let (id, model) = (*id, model.clone());
            self.pending_write = None;
            self.message = Some(super::compare_register::register(
                &self.project,
                store,
                id,
                &model,
            ));
            self.pending_reload = true;
        }
        if let Some(write) = self.pending_write.take() {
            let result = match &write {
                Write::Cancel(id) => store.request_cancel(*id),
                Write::Delete(ids) => ids.iter().try_for_each(|id| store.delete_run(*id)),
                Write::Rename(id, name) => store.rename_run(*id, name),
                Write::Tag(id, k, v) => store.set_tags(*id, &[(k.as_str(), v.as_str())]),
                Write::Note(id, text) => {
                    store.set_note(*id, (!text.is_empty()).then_some(text.as_str()))
                }
                Write::Register(..) => Ok(()),
            };
            self.message = Some(match (&write, result) {
                (Write::Cancel(id), Ok(())) => {
                    format!("asked run {id} to stop; it stops at its next step")
                }
                (Write::Delete(ids), Ok(())) => {
                    for id in ids {
                        self.marked.remove(id);
                    }
                    if ids.contains(&self.open.unwrap_or(-1)) {
                        self.open = None;
                    }
                    format!("deleted run(s) {ids:?}; `shelfcast restore ID` brings one back")
                }
                (Write::Rename(id, name), Ok(())) => format!("run {id} is now '{name}'"),
                (Write::Tag(id, k, v), Ok(())) => format!("run {id}: {k} = {v}"),
                (Write::Note(id, _), Ok(())) => format!("run {id}: note saved"),
                (Write::Register(..), Ok(())) => "registered".to_string(),
                (_, Err(e)) => format!("could not change the store: {e}"),
            });
            self.pending_reload = true;
        }
        if std::mem::take(&mut self.pending_reload) {
            self.reload(store);
        }
    }
}

impl Component for RunsTab {
    fn handle_key(&mut self, key: &KeyEvent) -> EventState {
        if self.input.is_some() {
            self.input_key(key);
            return EventState::Consumed;
        }
        let command = lookup(RUNS_KEYS, key);
        if let Some(confirm) = self.confirm.take() {
            if command == Some(RunsCommand::Confirm) {
                self.pending_write = Some(match confirm {
                    Confirm::Cancel(id) => Write::Cancel(id),
                    Confirm::Delete(ids) => Write::Delete(ids),
                });
            } else {
                self.message = Some("nothing changed".into());
            }
            return EventState::Consumed;
        }
        match command {
            Some(command) => self.run_command(command),
            None => EventState::NotConsumed,
        }
    }

    fn update(&mut self, action: Action) -> Option<Action> {
        Some(action)
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme, spinner: char) {
        super::runs_view::render(self, frame, area, theme, spinner);
    }

    fn commands(&self) -> Vec<KeyHelp> {
        help_of(RUNS_KEYS)
    }

    fn title(&self) -> &'static str {
        "Runs"
    }
}
