//! The Runs pane: every run in one table (status, experiment, name, model, metric columns,
//! duration, created), sorted by any column, filtered with the filter language typed after `/`
//! (errors point at their column), narrowed to an experiment; runs are marked with Space for the
//! Compare tab, renamed, tagged, noted, deleted (after a yes) or cancelled. Enter opens a run's
//! live view. The table is one `query_runs` (metric values from the series summaries), re-read
//! when the store's `data_version` moves, so a running run's row follows its worker.
//!
//! State and keys live here (key tables in `keys.rs`); the run view's data in `detail.rs`;
//! drawing in `view.rs` and `run_view.rs`.

mod charts;
mod commands;
mod detail;
mod input;
mod keys;
mod queue;
mod run_view;
mod study_charts;
mod study_view;
mod view;

use std::collections::BTreeSet;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

pub use detail::{RunDetail, load_detail, log_tail, planned_steps};
pub use keys::{RUNS_KEYS, RunsCommand, STUDY_KEYS, StudyCommand};
pub use study_view::chart_count as study_chart_count;
use crate::compare::chart::RunSeries;
use crate::project::Project;
use crate::store::{
    Filter, FilterError, MetricValue, RunId, RunQuery, RunRow, RunSort, RunStore, SortKey,
    parse_filter,
};
use crate::tui::action::{written_text, Action, StoreWrite, Target};
use crate::tui::component::{Component, Freshness, EventState, PaneContext, RenderContext, Tick, StatusNote};
use crate::tui::keymap::{KeyHelp, Keymap};
use crate::tui::keymap_file::KeySection;
use crate::tui::panes::Tab;
use crate::tui::widgets::chart_grid::ChartGrid;
use crate::tui::widgets::confirm::{CONFIRM_KEYS, Confirm};
use crate::tui::widgets::split::Split;
use crate::tui::widgets::table::{CursorMove, move_cursor};
use crate::tui::widgets::text_input::{INPUT_KEYS, InputOutcome, TextInput};

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&RUNS_KEYS, &STUDY_KEYS];

/// Metric columns the table offers first, when runs have them.
const PREFERRED_METRICS: [&str; 5] = ["rmse", "r2", "roc_auc", "log_loss", "valid_loss"];
/// At most this many metric columns.
const METRIC_COLUMNS: usize = 3;

/// What a line being typed is for.
#[derive(Clone, Debug, PartialEq)]
pub enum InputKind {
    Filter,
    /// The step whose values the metric columns show.
    Step,
    Rename(RunId),
    Tag(RunId),
    Note(RunId),
    Register(RunId),
}

/// A line of text the user is typing, and what it is for.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub kind: InputKind,
    pub line: TextInput,
}

impl Input {
    fn new(kind: InputKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            line: TextInput::new(text),
        }
    }

    pub fn text(&self) -> &str {
        self.line.text()
    }

    pub fn prompt(&self) -> String {
        match &self.kind {
            InputKind::Filter => "filter /".into(),
            InputKind::Step => "metric values at step:".into(),
            InputKind::Rename(id) => format!("rename run {id}:"),
            InputKind::Tag(id) => format!("tag run {id} (KEY=VALUE):"),
            InputKind::Note(id) => format!("note on run {id}:"),
            InputKind::Register(id) => format!("register run {id} as a version of model:"),
        }
    }
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
    /// A store write waiting for its yes.
    pub confirm: Option<Confirm<StoreWrite>>,
    /// The run open in the run view.
    pub open: Option<RunId>,
    pub detail: RunDetail,
    /// The study view's chart (`p` steps through them).
    pub study_chart: usize,
    /// Every series of the open run, topped up as its worker logs.
    pub series: Option<RunSeries>,
    /// The run pinned as the reference (`p`): drawn in every chart, first in the table.
    pub pinned: Option<RunId>,
    pub pinned_series: Option<RunSeries>,
    /// The run view's metrics grid and its modes.
    pub grid: ChartGrid,
    /// The run view's split between the charts and the metrics (`<` `>`).
    pub split: Split,
    pub message: Option<String>,
    /// Where the runs on Slurm wait or run, by the scheduler's last word.
    pub slurm: queue::SlurmQueue,
    /// Whether another process committed since the pane read the store.
    fresh: Freshness,
}

impl RunsTab {
    pub fn new(ctx: &PaneContext<'_>) -> Self {
        let mut tab = Self {
            project: ctx.project.clone(),
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
            study_chart: 0,
            series: None,
            pinned: None,
            pinned_series: None,
            grid: ChartGrid::default(),
            split: Split::new(65),
            message: None,
            slurm: queue::SlurmQueue::default(),
            fresh: Freshness::default(),
        };
        tab.reload(ctx.store);
        tab
    }

    pub fn selected(&self) -> Option<&RunRow> {
        self.table.selected().and_then(|i| self.rows.get(i))
    }

    /// Re-reads the table (and the open run) from the store.
    pub fn reload(&mut self, store: &RunStore) {
        self.fresh.read();
        if let Err(e) = self.load(store) {
            self.message = Some(format!("reading runs: {e}"));
        }
        if let Some(id) = self.open {
            self.detail = load_detail(&self.project, store, id);
            if let Err(e) = self.refresh_series(store, id) {
                self.detail.load_error = Some(format!("reading the run's series: {e}"));
            }
        }
    }

    /// Tops up the open run's series (and the pinned run's) with what was logged since.
    fn refresh_series(&mut self, store: &RunStore, id: RunId) -> Result<(), crate::store::StoreError> {
        let series = match self.series.take() {
            Some(series) if series.run == id => self.series.insert(series),
            _ => self.series.insert(RunSeries::new(id)),
        };
        series.refresh(store)?;
        self.detail.follow(series);
        match self.pinned.filter(|pinned| *pinned != id) {
            Some(pinned) => {
                let series = match self.pinned_series.take() {
                    Some(series) if series.run == pinned => self.pinned_series.insert(series),
                    _ => self.pinned_series.insert(RunSeries::new(pinned)),
                };
                series.refresh(store)?;
            }
            None => self.pinned_series = None,
        }
        Ok(())
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
        // The pinned reference leads the table, whatever the sort.
        if let Some(at) = self
            .pinned
            .and_then(|pinned| self.rows.iter().position(|r| r.run.id == pinned))
        {
            let row = self.rows.remove(at);
            self.rows.insert(0, row);
        }
        let index = selected
            .and_then(|id| self.rows.iter().position(|r| r.run.id == id))
            .or((!self.rows.is_empty()).then_some(0));
        self.table.select(index);
        Ok(())
    }

    /// Opens `run` in the run view.
    pub fn open_run(&mut self, store: &RunStore, run: RunId) {
        self.open = Some(run);
        self.detail = RunDetail::default();
        // A cursor or a zoom belongs to the run it was set on; the grid's shape and modes stay.
        self.grid.cursor = None;
        self.grid.zoom = None;
        self.grid.filter.clear();
        self.grid.filter_input = None;
        self.grid.big = false;
        self.grid.focus = 0;
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
            self.detail.log_tail = log_tail(&self.project.worker_log_path(id));
        }
    }

    fn move_selection(&mut self, step: CursorMove) {
        move_cursor(&mut self.table, self.rows.len(), step);
    }

    /// A write this pane asked for was applied (or refused).
    fn written(&mut self, write: &StoreWrite, result: &Result<String, String>) {
        if let (StoreWrite::DeleteRuns(ids), Ok(_)) = (write, result) {
            for id in ids {
                self.marked.remove(id);
            }
            if ids.contains(&self.open.unwrap_or(-1)) {
                self.open = None;
            }
        }
        self.message = Some(written_text(result));
    }

}

/// A store write asked by this pane.
fn write_action(write: StoreWrite) -> Action {
    Action::Write {
        write,
        asked_by: Tab::Runs,
    }
}

impl Component for RunsTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        if self.input.is_some() {
            return match self.input_key(key, ctx) {
                Some(action) => EventState::action(action),
                None => EventState::Consumed,
            };
        }
        if let Some(confirm) = self.confirm.take() {
            return match confirm.answer(key, ctx.keys) {
                Some(write) => EventState::action(write_action(write)),
                None => {
                    self.message = Some("nothing changed".into());
                    EventState::Consumed
                }
            };
        }
        if self.open.is_some()
            && self.detail.study.is_some()
            && let Some(command) = ctx.keys.lookup(&STUDY_KEYS, key)
        {
            return self.study_command(command);
        }
        if let Some(state) = self.grid_key(key, ctx) {
            return state;
        }
        match ctx.keys.lookup(&RUNS_KEYS, key) {
            Some(command) => self.run_command(command, ctx),
            None => EventState::NotConsumed,
        }
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        match action {
            Action::Open(Target::Run(id)) => self.open_run(ctx.store, *id),
            Action::Pin(pinned) => {
                self.pinned = *pinned;
                self.reload(ctx.store);
            }
            Action::StoreChanged => self.fresh.mark_stale(),
            Action::SlurmQueue(answer) => {
                if self.slurm.answer(answer) {
                    self.reload(ctx.store);
                }
                if let Some(why) = &self.slurm.error {
                    self.message = Some(why.clone());
                }
            }
            Action::Written {
                write,
                asked_by,
                result,
            } => {
                if *asked_by == Tab::Runs {
                    self.written(write, result);
                }
                if write.touches_runs() {
                    self.reload(ctx.store);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_show(&mut self, ctx: &PaneContext<'_>) -> Vec<Action> {
        // Commits by workers since the table was last read show as soon as the tab does.
        if self.fresh.is_stale() {
            self.reload(ctx.store);
        }
        Vec::new()
    }

    /// A training worker commits about four times a second. The table is re-read at most every
    /// RELOAD_EVERY, while a tab that shows runs is in front or a run is live (the status line's
    /// counts follow at that pace); otherwise it catches up when shown.
    fn on_tick(&mut self, ctx: &PaneContext<'_>) -> Tick {
        let mut dirty = false;
        let showing = matches!(
            Tab::front(ctx),
            Tab::Runs | Tab::Compare | Tab::Models | Tab::Predict
        ) || self.rows.iter().any(|r| !r.run.status.is_terminal());
        if self.fresh.due() && showing {
            self.reload(ctx.store);
            dirty = true;
        }
        if self.is_live() {
            self.refresh_log();
        }
        Tick {
            redraw: dirty,
            actions: self.slurm.ask(&self.rows).into_iter().collect(),
        }
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx);
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        if self.input.is_some() {
            keys.help(&INPUT_KEYS)
        } else if self.confirm.is_some() {
            keys.help(&CONFIRM_KEYS)
        } else if self.open.is_some() && self.detail.study.is_some() {
            let mut help = keys.help(&STUDY_KEYS);
            help.extend(keys.help(&RUNS_KEYS));
            help
        } else if self.open.is_some() {
            let mut help = self.grid.help(keys);
            if !self.grid.captures_text() {
                help.extend(keys.help_beside(&RUNS_KEYS, &crate::tui::widgets::chart_grid::GRID_KEYS));
            }
            help
        } else {
            keys.help(&RUNS_KEYS)
        }
    }

    fn title(&self) -> &'static str {
        "Runs"
    }

    fn captures_text(&self) -> bool {
        self.input.is_some() || (self.open.is_some() && self.grid.captures_text())
    }

    fn resize(&mut self, wider: bool) -> bool {
        self.open.is_some() && self.split.resize(wider)
    }

    fn is_busy(&self) -> bool {
        self.is_live() || self.rows.iter().any(|r| !r.run.status.is_terminal())
    }

    fn status(&self, spinner: char) -> Vec<StatusNote> {
        let mut notes = vec![StatusNote {
            rank: 1,
            // A filtered table is not the store: say so, not "1 runs" for the project.
            text: if self.filter.is_some() || self.experiment.is_some() {
                format!("{} runs shown", self.rows.len())
            } else {
                format!("{} runs", self.rows.len())
            },
        }];
        let running = self
            .rows
            .iter()
            .filter(|r| !r.run.status.is_terminal())
            .count();
        if running > 0 {
            notes.push(StatusNote {
                rank: 2,
                text: format!("{spinner} {running} training"),
            });
        }
        notes
    }
}
