//! The Compare tab: two or more runs side by side, in sections — params (differences
//! highlighted, or only the differences), final metrics (the best per row marked), overlaid
//! curves of a chosen metric (by step or wall time, smoothed or not, zoomed to a step range,
//! downsampled with LTTB), feature importances, and a scatter of a metric against a param over
//! every run the Runs tab's filter matches. `e` exports the curves as SVG and the tables as
//! Markdown and CSV under `reports/`.
//!
//! State and keys live here; the register prompt in `register.rs`; drawing in `view.rs`.

mod commands;
mod load;
mod register;
mod view;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

pub use register::RegisterPrompt;
use register::{PromptOutcome, open_prompt, prompt_key};
use crate::compare::{Comparison, DEFAULT_CURVE, compare_curves, compare_runs, export_comparison};
use crate::project::Project;
use crate::store::{Curve, Filter, RunId, RunQuery, RunStore};
use crate::tui::action::{written_text, Action, StoreWrite, Target};
use crate::tui::component::{Component, Freshness, EventState, PaneContext, RenderContext, Tick};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::keymap_file::KeySection;
use crate::tui::panes::Tab;
use crate::tui::widgets::text_input::INPUT_KEYS;

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&COMPARE_KEYS, &register::REGISTER_KEYS];

/// Points per curve drawn: about two per braille column of a wide terminal.
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
    TimeAxis,
    Smooth,
    ZoomIn,
    ZoomReset,
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
        next_metric: [KeySpec::char('m')] => CompareCommand::NextMetric, "curves / scatter: next metric";
        previous_metric: [KeySpec::char('M')] => CompareCommand::PreviousMetric, "curves / scatter: previous metric";
        next_param: [KeySpec::char('p')] => CompareCommand::NextParam, "scatter: next param";
        time_axis: [KeySpec::char('t')] => CompareCommand::TimeAxis, "curves: x axis by step or by wall time";
        smooth: [KeySpec::char('s')] => CompareCommand::Smooth, "curves: smoothing on or off";
        zoom_in: [KeySpec::char('z')] => CompareCommand::ZoomIn, "curves: zoom to the middle half of the steps";
        zoom_reset: [KeySpec::char('Z')] => CompareCommand::ZoomReset, "curves: every step again";
        export: [KeySpec::char('e')] => CompareCommand::Export, "export: curves as SVG, tables as Markdown and CSV (reports/)";
        register: [KeySpec::char('r')] => CompareCommand::Register, "register a run as a model version (the best first; Tab another)";
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
    /// Metrics with a curve (more than one point in some run), for the curves section.
    pub curve_keys: Vec<String>,
    pub curve_key: String,
    pub curves: Vec<Curve>,
    pub time_axis: bool,
    pub smoothed: bool,
    /// The step range shown (`None`: every step).
    pub zoom: Option<(i64, i64)>,
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
            curve_keys: Vec::new(),
            curve_key: DEFAULT_CURVE.to_string(),
            curves: Vec::new(),
            time_axis: false,
            smoothed: false,
            zoom: None,
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
        self.ids = ids;
        self.filter = filter;
        self.scroll = 0;
        self.zoom = None;
        self.message = None;
        self.reload(store);
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
        } else {
            keys.help(&COMPARE_KEYS)
        }
    }

    fn title(&self) -> &'static str {
        "Compare"
    }

    fn captures_text(&self) -> bool {
        self.register.is_some()
    }
}
