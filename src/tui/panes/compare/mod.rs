//! The Compare tab: two or more runs side by side, in sections — params (differences
//! highlighted, or only the differences), final metrics (the best per row marked; with a pinned
//! run, each value's Δ and % against it), the curves as the shared metrics grid (a chart per
//! metric, system series included, a line per run: which run used less memory), feature
//! importances, and a scatter of a metric against a param over every run the Runs tab's filter
//! matches. A run pinned in the Runs tab comes first everywhere as the baseline. `e` exports the
//! focused chart's curves as SVG and the tables as Markdown and CSV under `reports/`.
//!
//! State and keys live here; reading in `load.rs`; the grid's charts in `charts.rs`; the
//! register prompt in `register.rs`; drawing in `view.rs`.

mod charts;
mod commands;
mod load;
mod register;
mod view;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

pub use register::RegisterPrompt;
use register::{PromptOutcome, open_prompt, prompt_key};
use crate::compare::chart::RunSeries;
use crate::compare::{Comparison, compare_curves, compare_runs, export_comparison};
use crate::project::Project;
use crate::store::{Filter, RunId, RunQuery, RunStore};
use crate::tui::action::{written_text, Action, StoreWrite, Target};
use crate::tui::component::{Component, Freshness, EventState, PaneContext, RenderContext, Tick};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::keymap_file::KeySection;
use crate::tui::panes::Tab;
use crate::tui::widgets::chart_grid::{ChartGrid, GRID_KEYS, GridOutcome};
use crate::tui::widgets::text_input::INPUT_KEYS;

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&COMPARE_KEYS, &register::REGISTER_KEYS];

/// Points per exported curve: about two per pixel column of the SVG.
const CURVE_POINTS: usize = 400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Params,
    Metrics,
    Curves,
    Importance,
    Scatter,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Params,
        Section::Metrics,
        Section::Curves,
        Section::Importance,
        Section::Scatter,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Params => "Params",
            Section::Metrics => "Metrics",
            Section::Curves => "Curves",
            Section::Importance => "Importance",
            Section::Scatter => "Scatter",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareCommand {
    NextSection,
    PreviousSection,
    Down,
    Up,
    OnlyDifferences,
    NextMetric,
    PreviousMetric,
    NextParam,
    Export,
    Register,
    Back,
}

key_table! {
    pub COMPARE_KEYS: CompareCommand = "compare" {
        next_section: [KeySpec::plain(KeyCode::Tab), KeySpec::char('l')] => CompareCommand::NextSection, "next section: params, metrics, curves, importance, scatter";
        previous_section: [KeySpec::plain(KeyCode::BackTab), KeySpec::char('h')] => CompareCommand::PreviousSection, "previous section";
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => CompareCommand::Down, "scroll down";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => CompareCommand::Up, "scroll up";
        only_differences: [KeySpec::char('d')] => CompareCommand::OnlyDifferences, "params: only the differences, or all";
        next_metric: [KeySpec::char('m')] => CompareCommand::NextMetric, "curves: next chart; scatter: next metric";
        previous_metric: [KeySpec::char('M')] => CompareCommand::PreviousMetric, "curves: previous chart; scatter: previous metric";
        next_param: [KeySpec::char('p')] => CompareCommand::NextParam, "scatter: next param";
        export: [KeySpec::char('e')] => CompareCommand::Export, "export: the focused chart's curves as SVG, tables as Markdown and CSV (reports/)";
        register: [KeySpec::char('r'), KeySpec::char('R')] => CompareCommand::Register, "register a run as a model version (the best first; Tab another; R in the curves, where r sets the grid)";
        back: [KeySpec::plain(KeyCode::Esc)] => CompareCommand::Back, "back to the Runs tab";
    }
}

/// A scatter of one metric against one param over the filtered runs.
#[derive(Clone, Debug, Default)]
pub struct Scatter {
    pub metric: String,
    pub param: String,
    /// (x, metric) per run; x is the param's number, or its category's index.
    pub points: Vec<(f64, f64)>,
    /// The categories, when the param is not numeric.
    pub categories: Vec<String>,
    pub runs: usize,
}

pub struct CompareTab {
    pub project: Project,
    pub ids: Vec<RunId>,
    pub comparison: Option<Comparison>,
    pub section: Section,
    pub only_differences: bool,
    pub scroll: usize,
    /// The runs as the Runs tab asked; `ids` has the pinned run first beside them.
    pub asked: Vec<RunId>,
    /// The run pinned as the reference: first in every table, the baseline of Δ and %.
    pub pinned: Option<RunId>,
    /// Every series of each compared run (in `ids` order), topped up while they train.
    pub series: Vec<RunSeries>,
    /// The curves section's grid: a chart per metric, a line per run.
    pub grid: ChartGrid,
    /// Final metrics, for the scatter.
    pub scatter_metrics: Vec<String>,
    pub scatter_params: Vec<String>,
    pub scatter: Scatter,
    /// The Runs tab's filter when compare opened: the scatter's population.
    pub filter: Option<Filter>,
    pub message: Option<String>,
    /// The register prompt, while open.
    pub register: Option<RegisterPrompt>,
    /// Whether another process committed since the pane read the store.
    fresh: Freshness,
}

impl CompareTab {
    pub fn new(ctx: &PaneContext<'_>) -> Self {
        Self {
            project: ctx.project.clone(),
            ids: Vec::new(),
            comparison: None,
            section: Section::Params,
            only_differences: false,
            scroll: 0,
            asked: Vec::new(),
            pinned: None,
            series: Vec::new(),
            grid: ChartGrid::default(),
            scatter_metrics: Vec::new(),
            scatter_params: Vec::new(),
            scatter: Scatter::default(),
            filter: None,
            message: None,
            register: None,
            fresh: Freshness::default(),
        }
    }

    /// Compares `ids`; the scatter ranges over the runs `filter` matches.
    pub fn open(&mut self, store: &RunStore, ids: Vec<RunId>, filter: Option<Filter>) {
        self.asked = ids;
        self.ids = with_baseline(&self.asked, self.pinned);
        self.filter = filter;
        self.scroll = 0;
        self.grid.zoom = None;
        self.grid.cursor = None;
        self.message = None;
        self.reload(store);
    }

    /// Whether the first run is the pinned baseline the others are measured against.
    pub fn has_baseline(&self) -> bool {
        self.pinned.is_some() && self.ids.first() == self.pinned.as_ref()
    }

    /// Re-reads everything (a run still training adds points).
    pub fn reload(&mut self, store: &RunStore) {
        self.fresh.read();
        if self.ids.is_empty() {
            return;
        }
        if let Err(e) = self.load(store) {
            self.message = Some(format!("reading the runs: {e}"));
        }
    }

}

impl Component for CompareTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        if let (Some(prompt), Some(comparison)) = (self.register.take(), &self.comparison) {
            match prompt_key(prompt, key, comparison, ctx.keys) {
                PromptOutcome::Open(prompt) => self.register = Some(prompt),
                PromptOutcome::Cancelled => self.message = Some("not registered".into()),
                PromptOutcome::Register(run, model) => {
                    self.message = Some(format!("registering run {run} as a version of {model}…"));
                    return EventState::action(Action::Write {
                        write: StoreWrite::Register { run, model },
                        asked_by: Tab::Compare,
                    });
                }
            }
            return EventState::Consumed;
        }
        if self.section == Section::Curves && self.comparison.is_some() {
            let outcome = self.with_grid(|grid, panels| grid.handle_key(key, ctx.keys, panels));
            if outcome == GridOutcome::Consumed {
                return EventState::Consumed;
            }
        }
        match ctx.keys.lookup(&COMPARE_KEYS, key) {
            Some(command) => match self.run_command(command, ctx.store) {
                Some(action) => EventState::action(action),
                None => EventState::Consumed,
            },
            None => EventState::NotConsumed,
        }
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        match action {
            Action::Open(Target::Compare { runs, filter }) => {
                self.open(ctx.store, runs.clone(), filter.clone())
            }
            Action::StoreChanged => self.fresh.mark_stale(),
            Action::Pin(pinned) => {
                self.pinned = *pinned;
                if !self.asked.is_empty() {
                    self.ids = with_baseline(&self.asked, self.pinned);
                    self.reload(ctx.store);
                }
            }
            Action::Written {
                asked_by: Tab::Compare,
                result,
                ..
            } => {
                self.message = Some(written_text(result));
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_show(&mut self, ctx: &PaneContext<'_>) -> Vec<Action> {
        if self.fresh.is_stale() {
            self.reload(ctx.store);
        }
        Vec::new()
    }

    /// A compared run still training adds points: re-read while the tab is in front.
    fn on_tick(&mut self, ctx: &PaneContext<'_>) -> Tick {
        if self.fresh.due() && Tab::front(ctx) == Tab::Compare {
            self.reload(ctx.store);
            return Tick::redraw(true);
        }
        Tick::default()
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx);
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        if self.register.is_some() {
            let mut help = keys.help(&register::REGISTER_KEYS);
            help.extend(keys.help(&INPUT_KEYS));
            help
        } else if self.section == Section::Curves {
            let mut help = self.grid.help(keys);
            if !self.grid.captures_text() {
                help.extend(keys.help_beside(&COMPARE_KEYS, &GRID_KEYS));
            }
            help
        } else {
            keys.help(&COMPARE_KEYS)
        }
    }

    fn title(&self) -> &'static str {
        "Compare"
    }

    fn captures_text(&self) -> bool {
        self.register.is_some() || (self.section == Section::Curves && self.grid.captures_text())
    }
}

/// The runs asked, with the pinned run first (added when it was not among them).
fn with_baseline(asked: &[RunId], pinned: Option<RunId>) -> Vec<RunId> {
    let mut ids: Vec<RunId> = pinned.into_iter().collect();
    ids.extend(asked.iter().copied().filter(|id| Some(*id) != pinned));
    ids
}
