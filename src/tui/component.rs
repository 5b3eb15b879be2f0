//! The contract every pane keeps: it owns its state, handles its keys (answering with what
//! happened), takes the actions on the bus, renders itself and lists its keys for the help
//! overlay and the footer. The App holds the panes as `dyn Component` by tab and calls nothing
//! else, so a new tab is a new pane folder and one line in the tab list.

use std::any::Any;
use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::Action;
use super::keymap::{KeyHelp, Keymap};
use super::theme::Theme;
use crate::project::Project;
use crate::store::RunStore;

/// What a key did.
#[derive(Debug)]
pub enum EventState {
    /// The pane used it.
    Consumed,
    /// Not the pane's: the global keys may take it.
    NotConsumed,
    /// The pane used it and asks for more (a tab opened, a job, a store write). Boxed: an
    /// action carries a job or a write, and most keys answer with none.
    Action(Box<Action>),
}

impl EventState {
    pub fn action(action: Action) -> Self {
        EventState::Action(Box::new(action))
    }

    pub fn is_consumed(&self) -> bool {
        !matches!(self, EventState::NotConsumed)
    }
}

/// What a pane may read while it handles a key or an action: the store (writes go through
/// `Action::Write`), the project and the live keymap.
pub struct PaneContext<'a> {
    pub project: &'a Project,
    pub store: &'a RunStore,
    pub keys: &'a Keymap,
    /// The place of the tab in front in the tab list (`Tab::front` names it): an index, so the
    /// contract knows no tab.
    pub front: usize,
}

/// The drawing inputs every pane gets.
pub struct RenderContext<'a> {
    pub theme: &'a Theme,
    pub keys: &'a Keymap,
    pub spinner: char,
}

/// What a tick did to a pane.
#[derive(Debug, Default)]
pub struct Tick {
    /// Something visible changed.
    pub redraw: bool,
    /// Follow-ups for the bus.
    pub actions: Vec<Action>,
}

impl Tick {
    pub fn redraw(redraw: bool) -> Self {
        Self {
            redraw,
            actions: Vec::new(),
        }
    }
}

/// Whether a pane's copy of the store is behind (another process committed since it read), and
/// when it last read: a pane re-reads when shown, and at most every `RELOAD_EVERY` while it is
/// (a training worker commits about four times a second).
#[derive(Debug)]
pub struct Freshness {
    stale: bool,
    read_at: Instant,
}

impl Default for Freshness {
    fn default() -> Self {
        Self {
            stale: false,
            read_at: Instant::now(),
        }
    }
}

impl Freshness {
    pub const RELOAD_EVERY: Duration = Duration::from_millis(500);

    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// The pane has just read the store.
    pub fn read(&mut self) {
        self.stale = false;
        self.read_at = Instant::now();
    }

    /// Read longer ago than `RELOAD_EVERY`: a pane that follows another process's files (not
    /// only the store) re-reads on this too.
    pub fn aged(&self) -> bool {
        self.read_at.elapsed() >= Self::RELOAD_EVERY
    }

    /// Stale, and read long enough ago to read again now.
    pub fn due(&self) -> bool {
        self.stale && self.read_at.elapsed() >= Self::RELOAD_EVERY
    }
}

/// A part of the status bar a pane contributes: counts come first, then activity, each in
/// rank order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatusNote {
    pub rank: u8,
    pub text: String,
}

pub trait Component: AsAny {
    fn title(&self) -> &'static str;

    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState;

    /// Every action on the bus reaches every pane; the follow-ups go back on the bus.
    fn update(&mut self, _action: &Action, _ctx: &PaneContext<'_>) -> Vec<Action> {
        Vec::new()
    }

    /// The tab came to the front.
    fn on_show(&mut self, _ctx: &PaneContext<'_>) -> Vec<Action> {
        Vec::new()
    }

    /// The slow tick (about ten a second).
    fn on_tick(&mut self, _ctx: &PaneContext<'_>) -> Tick {
        Tick::default()
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>);

    /// The keys that act now, for the help overlay.
    fn help(&self, keys: &Keymap) -> Vec<KeyHelp>;

    /// Whether keys typed now are text, so that global keys (`q`, the tab digits) must not act.
    fn captures_text(&self) -> bool {
        false
    }

    /// Whether work of this pane is under way (the spinner turns, dead workers are looked for).
    fn is_busy(&self) -> bool {
        false
    }

    fn status(&self, _spinner: char) -> Vec<StatusNote> {
        Vec::new()
    }

    /// `<` `>`: widen (or narrow) the pane's first area; false when it has no split to move or
    /// the split is at its limit.
    fn resize(&mut self, _wider: bool) -> bool {
        false
    }
}

/// Lets tests and the benchmark read a pane's state by its type (`App::pane::<RunsTab>()`),
/// while the App itself sees only `dyn Component`.
pub trait AsAny: Any {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
