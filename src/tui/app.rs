//! App state: the store connection, the panes by tab, the overlay and the status line. Owned by
//! the event loop; everything that changes it comes through `handle_key`, `update` (the bus) or
//! `on_tick`. The App names no pane: it builds them from the tab list (`panes::build`), sends
//! keys to the one in front and every action to all of them, applies store writes, queues jobs
//! for the event loop, and draws the frame around the pane in front.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::action::{Action, Job};
use super::component::{Component, EventState, PaneContext, RenderContext};
use super::keymap::{GLOBAL_KEYS, GlobalCommand, KeyHelp, Keymap};
use super::panes::{self, Tab};
use super::theme::Theme;
use super::widgets::{help::render_help, status};
use crate::project::Project;
use crate::store::RunStore;

/// How often an open TUI checks that the workers of live runs are still there.
const REAP_EVERY: Duration = Duration::from_millis(1000);

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub struct App {
    pub project: Project,
    pub project_name: String,
    pub store: RunStore,
    pub keys: Keymap,
    /// In `Tab::ALL` order.
    panes: Vec<Box<dyn Component>>,
    pub active: Tab,
    pub theme: Theme,
    pub show_help: bool,
    pub status: String,
    pub should_quit: bool,
    /// Blocking work asked for, taken by the event loop (`take_jobs`).
    jobs: Vec<Job>,
    spinner_step: usize,
    last_data_version: Option<i64>,
    last_reap: Instant,
}

impl App {
    pub fn new(project: &Project, store: RunStore, theme: Theme) -> Self {
        Self::with_keys(project, store, theme, Keymap::default())
    }

    pub fn with_keys(project: &Project, store: RunStore, theme: Theme, keys: Keymap) -> Self {
        let panes = {
            let ctx = PaneContext {
                project,
                store: &store,
                keys: &keys,
                front: 0,
            };
            panes::build(&ctx)
        };
        let last_data_version = store.data_version().ok();
        let mut app = Self {
            project: project.clone(),
            project_name: project.display_name(),
            store,
            keys,
            panes,
            active: Tab::ALL[0],
            theme,
            show_help: false,
            status: String::new(),
            should_quit: false,
            jobs: Vec::new(),
            spinner_step: 0,
            last_data_version,
            last_reap: Instant::now(),
        };
        app.update(Action::Start);
        app
    }

    /// The pane of type `T` (tests and the benchmark read pane state this way).
    pub fn pane<T: Component>(&self) -> Option<&T> {
        self.panes
            .iter()
            .find_map(|p| p.as_ref().as_any().downcast_ref())
    }

    pub fn pane_mut<T: Component>(&mut self) -> Option<&mut T> {
        self.panes
            .iter_mut()
            .find_map(|p| p.as_mut().as_any_mut().downcast_mut())
    }

    /// The jobs asked for since the last call, for the event loop to start.
    pub fn take_jobs(&mut self) -> Vec<Job> {
        std::mem::take(&mut self.jobs)
    }

    pub fn spinner(&self) -> char {
        SPINNER[self.spinner_step % SPINNER.len()]
    }

    fn front(&self) -> &dyn Component {
        self.panes[self.active.index()].as_ref()
    }

    /// Brings `tab` to the front (its pane re-reads what may have changed).
    pub fn switch_to(&mut self, tab: Tab) {
        self.update(Action::ShowTab(tab));
    }

    fn show(&mut self, tab: Tab) -> Vec<Action> {
        self.active = tab;
        let ctx = PaneContext {
            project: &self.project,
            store: &self.store,
            keys: &self.keys,
            front: tab.index(),
        };
        self.panes[tab.index()].on_show(&ctx)
    }

    pub fn handle_key(&mut self, key: &KeyEvent) {
        // Key repeat and release events (kitty protocol, Windows) would move selections twice.
        if key.kind != KeyEventKind::Press {
            return;
        }
        if !self.show_help {
            let ctx = PaneContext {
                project: &self.project,
                store: &self.store,
                keys: &self.keys,
                front: self.active.index(),
            };
            let pane = &mut self.panes[self.active.index()];
            // While a field takes text, every key is text (a `q` in a run name must not quit).
            let typing = pane.captures_text();
            match pane.handle_key(key, &ctx) {
                EventState::Consumed => return,
                EventState::Action(action) => return self.update(*action),
                EventState::NotConsumed if typing => return,
                EventState::NotConsumed => {}
            }
        }
        match self.keys.lookup(&GLOBAL_KEYS, key) {
            Some(GlobalCommand::Quit) => self.should_quit = true,
            Some(GlobalCommand::ToggleHelp) => self.show_help = !self.show_help,
            Some(GlobalCommand::CloseOverlay) => self.show_help = false,
            Some(GlobalCommand::Resize { wider })
                if !self.panes[self.active.index()].resize(wider) =>
            {
                self.status = "nothing to resize here, or it is at its limit".into();
            }
            // A note from an earlier refusal would linger beside the moved split.
            Some(GlobalCommand::Resize { .. }) => self.status.clear(),
            Some(GlobalCommand::Tab(index)) => {
                if let Some(tab) = Tab::ALL.get(index) {
                    self.show_help = false;
                    self.switch_to(*tab);
                }
            }
            None => {}
        }
    }

    /// Puts `action` on the bus: the App takes what is its own (quitting, the status line,
    /// tabs, jobs, store writes) and every pane sees the rest, follow-ups in order.
    pub fn update(&mut self, action: Action) {
        let mut queue = VecDeque::from([action]);
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Quit => self.should_quit = true,
                Action::Status(text) => self.status = text,
                Action::ShowTab(tab) => queue.extend(self.show(tab)),
                Action::Run(job) => self.jobs.push(job),
                Action::Write { write, asked_by } if write.is_slow() => {
                    self.jobs.push(Job::Write { write, asked_by });
                }
                Action::Write { write, asked_by } => {
                    let result = super::writes::apply(&write, &self.project, &mut self.store);
                    queue.push_back(Action::Written {
                        write,
                        asked_by,
                        result,
                    });
                }
                Action::Open(target) => {
                    queue.extend(self.show(target.tab()));
                    queue.extend(self.broadcast(&Action::Open(target)));
                }
                other => queue.extend(self.broadcast(&other)),
            }
        }
    }

    fn broadcast(&mut self, action: &Action) -> Vec<Action> {
        let ctx = PaneContext {
            project: &self.project,
            store: &self.store,
            keys: &self.keys,
            front: self.active.index(),
        };
        self.panes
            .iter_mut()
            .flat_map(|pane| pane.update(action, &ctx))
            .collect()
    }

    /// The slow tick: advances the spinner, looks for dead workers while runs are live, tells
    /// the panes when another process committed (a worker's steps), and lets each pane catch
    /// up at its own pace. Returns whether anything visible changed.
    pub fn on_tick(&mut self) -> bool {
        let mut dirty = false;
        let busy = self.panes.iter().any(|p| p.is_busy());
        if busy {
            self.spinner_step += 1;
            dirty = true;
        }
        // A worker killed with -9 is noticed while the analyst watches, within a second.
        if busy && self.last_reap.elapsed() >= REAP_EVERY {
            self.last_reap = Instant::now();
            match self.store.reap_dead_runs() {
                Ok(reaped) if !reaped.is_empty() => {
                    let ids: Vec<String> = reaped.iter().map(|id| id.to_string()).collect();
                    self.status = format!("run {} failed: its worker is gone", ids.join(", "));
                    self.update(Action::StoreChanged);
                }
                Ok(_) => {}
                Err(error) => self.status = format!("checking workers: {error}"),
            }
        }
        let version = self.store.data_version().ok();
        if version != self.last_data_version {
            self.last_data_version = version;
            self.update(Action::StoreChanged);
        }
        let ctx = PaneContext {
            project: &self.project,
            store: &self.store,
            keys: &self.keys,
            front: self.active.index(),
        };
        let mut follow = Vec::new();
        for pane in &mut self.panes {
            let tick = pane.on_tick(&ctx);
            dirty |= tick.redraw;
            follow.extend(tick.actions);
        }
        for action in follow {
            self.update(action);
            dirty = true;
        }
        dirty
    }

    /// The global keys for help: the tab digits only as far as there are tabs.
    fn global_help(&self) -> Vec<KeyHelp> {
        GLOBAL_KEYS
            .bindings
            .iter()
            .filter(|b| match b.command {
                GlobalCommand::Tab(i) => i < Tab::ALL.len(),
                _ => true,
            })
            .map(|b| KeyHelp {
                keys: self.keys.label(&GLOBAL_KEYS, b),
                desc: b.desc,
            })
            .collect()
    }

    pub fn render(&mut self, frame: &mut Frame<'_>) {
        let [tabs_area, body, status_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let titles: Vec<&str> = self.panes.iter().map(|p| p.title()).collect();
        status::render_tabs(frame, tabs_area, &self.theme, &titles, self.active.index());
        let spinner = self.spinner();
        let ctx = RenderContext {
            theme: &self.theme,
            keys: &self.keys,
            spinner,
        };
        self.panes[self.active.index()].render(frame, body, &ctx);
        let mut notes: Vec<_> = self.panes.iter().flat_map(|p| p.status(spinner)).collect();
        notes.sort();
        let mut left = format!("{} · runs.db", self.project_name);
        for note in notes {
            left.push_str(" · ");
            left.push_str(&note.text);
        }
        if !self.status.is_empty() {
            left.push_str(" · ");
            left.push_str(&self.status);
        }
        // The tenth tab's key is 0.
        let digits = match Tab::ALL.len() {
            n if n >= 10 => "0-9".to_string(),
            n => format!("1-{n}"),
        };
        let right = format!(
            "{digits} tabs  {} keys  {} quit ",
            self.keys.key_for(&GLOBAL_KEYS, GlobalCommand::ToggleHelp),
            self.keys.key_for(&GLOBAL_KEYS, GlobalCommand::Quit)
        );
        status::render_status(frame, status_area, &self.theme, &left, &right);
        if self.show_help {
            let pane = self.front();
            render_help(
                frame,
                body,
                &self.theme,
                pane.title(),
                &pane.help(&self.keys),
                &self.global_help(),
                &format!(
                    "{} or {}",
                    self.keys.key_for(&GLOBAL_KEYS, GlobalCommand::ToggleHelp),
                    self.keys.key_for(&GLOBAL_KEYS, GlobalCommand::CloseOverlay)
                ),
            );
        }
    }
}
