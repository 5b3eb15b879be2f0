//! App state: the store, the panes (Datasets, Train, Runs), the overlay and the status line.
//! Owned by the event loop; everything that changes it comes through `handle_key`, `update` or
//! `on_tick`.

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::action::Action;
use super::component::{Component, EventState};
use super::keymap::{GLOBAL_KEYS, GlobalCommand, help_of, lookup};
use super::panes::{CompareTab, DatasetsTab, DriftTab, ModelsTab, PredictTab, RunsTab, TrainTab};
use super::theme::Theme;
use super::widgets::{help::render_help, status};
use crate::project::Project;
use crate::store::RunStore;

/// The shortest time between two re-reads of the runs table while workers commit.
const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
/// How often an open TUI checks that the workers of live runs are still there.
const REAP_EVERY: std::time::Duration = std::time::Duration::from_millis(1000);

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Datasets,
    Train,
    Runs,
    Compare,
    Models,
    Predict,
    Drift,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Datasets,
        Tab::Train,
        Tab::Runs,
        Tab::Compare,
        Tab::Models,
        Tab::Predict,
        Tab::Drift,
    ];

    fn index(self) -> usize {
        Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

pub struct App {
    pub project_name: String,
    pub store: RunStore,
    pub datasets: DatasetsTab,
    pub train: TrainTab,
    pub runs: RunsTab,
    pub compare: CompareTab,
    pub models: ModelsTab,
    pub predict: PredictTab,
    pub drift: DriftTab,
    pub active: Tab,
    pub theme: Theme,
    pub show_help: bool,
    pub status: String,
    pub should_quit: bool,
    spinner_step: usize,
    last_data_version: Option<i64>,
    /// Another process committed since the tables were last read.
    store_changed: bool,
    last_reload: std::time::Instant,
    last_reap: std::time::Instant,
}

impl App {
    pub fn new(project: &Project, store: RunStore, theme: Theme) -> Self {
        let mut datasets = DatasetsTab::new(project.data_dir());
        let mut status = String::new();
        match project.read_options() {
            Ok(options) => datasets.read_options = options,
            Err(error) => status = format!("{error}; reading files with the default settings"),
        }
        datasets.rescan(&store);
        let mut train = TrainTab::new(&project.root);
        train.set_datasets(datasets.train_choices());
        let mut runs = RunsTab::new(project.clone());
        runs.reload(&store);
        let compare = CompareTab::new(project.clone());
        let mut models = ModelsTab::default();
        models.reload(&store);
        let mut predict = PredictTab::new();
        predict.reload(&store);
        let last_data_version = store.data_version().ok();
        Self {
            project_name: project.display_name(),
            store,
            datasets,
            train,
            runs,
            compare,
            models,
            predict,
            drift: DriftTab::new(),
            active: Tab::Datasets,
            theme,
            show_help: false,
            status,
            should_quit: false,
            spinner_step: 0,
            last_data_version,
            store_changed: false,
            last_reload: std::time::Instant::now(),
            last_reap: std::time::Instant::now(),
        }
    }

    pub fn spinner(&self) -> char {
        SPINNER[self.spinner_step % SPINNER.len()]
    }

    fn pane(&mut self) -> &mut dyn Component {
        match self.active {
            Tab::Datasets => &mut self.datasets,
            Tab::Train => &mut self.train,
            Tab::Runs => &mut self.runs,
            Tab::Compare => &mut self.compare,
            Tab::Models => &mut self.models,
            Tab::Predict => &mut self.predict,
            Tab::Drift => &mut self.drift,
        }
    }

    fn pane_ref(&self) -> &dyn Component {
        match self.active {
            Tab::Datasets => &self.datasets,
            Tab::Train => &self.train,
            Tab::Runs => &self.runs,
            Tab::Compare => &self.compare,
            Tab::Models => &self.models,
            Tab::Predict => &self.predict,
            Tab::Drift => &self.drift,
        }
    }

    pub fn switch_to(&mut self, tab: Tab) {
        self.active = tab;
        match tab {
            Tab::Train => self.train.set_datasets(self.datasets.train_choices()),
            // The registry changes by this connection too (register from the Runs tab), which
            // `data_version` does not count: re-read it on showing.
            Tab::Models => self.models.reload(&self.store),
            // An alias may have moved (Models tab, CLI): the form follows it.
            Tab::Predict => {
                self.predict.reload(&self.store);
                self.predict.service(&mut self.store);
            }
            Tab::Drift => self.refresh_drift_choices(),
            // Commits by workers since the tables were last read show as soon as the tab does.
            Tab::Runs | Tab::Compare if self.store_changed => {
                self.store_changed = false;
                self.last_reload = std::time::Instant::now();
                self.runs.reload(&self.store);
                self.compare.reload(&self.store);
            }
            Tab::Runs | Tab::Compare | Tab::Datasets => {}
        }
    }

    pub fn handle_key(&mut self, key: &KeyEvent) {
        // Key repeat and release events (kitty protocol, Windows) would move selections twice.
        if key.kind != KeyEventKind::Press {
            return;
        }
        // While a form field takes text, every key is text (a `q` in a run name must not quit).
        let typing = match self.active {
            Tab::Train => self.train.captures_text(),
            Tab::Runs => self.runs.captures_text(),
            Tab::Predict => self.predict.captures_text(),
            Tab::Compare => self.compare.register.is_some(),
            Tab::Drift => self.drift.captures_text(),
            Tab::Datasets | Tab::Models => false,
        };
        if typing && !self.show_help {
            self.pane().handle_key(key);
            self.after_pane_key();
            return;
        }
        if !self.show_help && self.pane().handle_key(key) == EventState::Consumed {
            self.after_pane_key();
            return;
        }
        if self.active == Tab::Compare
            && !self.show_help
            && key.code == crossterm::event::KeyCode::Esc
        {
            self.switch_to(Tab::Runs);
            return;
        }
        match lookup(GLOBAL_KEYS, key) {
            Some(GlobalCommand::Quit) => self.should_quit = true,
            Some(GlobalCommand::ToggleHelp) => self.show_help = !self.show_help,
            Some(GlobalCommand::CloseOverlay) => self.show_help = false,
            Some(GlobalCommand::Tab(index)) => {
                if let Some(tab) = Tab::ALL.get(index) {
                    self.show_help = false;
                    self.switch_to(*tab);
                }
            }
            None => {}
        }
    }

    /// Follows up on what a pane's key asked of the App (which owns the store).
    fn after_pane_key(&mut self) {
        if let Some(path) = self.datasets.train_requested.take() {
            self.switch_to(Tab::Train);
            self.train.choose_dataset(&path);
        }
        self.runs.service(&mut self.store);
        if let Some(ids) = self.runs.compare_requested.take() {
            self.active = Tab::Compare;
            self.compare
                .open(&self.store, ids, self.runs.filter.clone());
        }
        self.compare.service(&mut self.store);
        self.models.service(&mut self.store);
        if let Some(reference) = self.models.predict_requested.take() {
            self.active = Tab::Predict;
            self.predict.open(&self.store, reference);
        }
        self.predict.service(&mut self.store);
        self.drift.service(&self.store);
    }

    /// The Drift tab's choices: the files of data/ and the registered models' aliases.
    fn refresh_drift_choices(&mut self) {
        let files: Vec<String> = self
            .datasets
            .entries
            .iter()
            .map(|e| format!("data/{}", e.file.relative))
            .collect();
        let mut models: Vec<String> = Vec::new();
        for version in self.store.model_versions(None).unwrap_or_default() {
            for alias in &version.aliases {
                models.push(format!("{}@{alias}", version.model_name));
            }
        }
        models.sort();
        models.dedup();
        self.drift.set_choices(files, models);
        self.drift.reload_past(&self.store);
    }

    pub fn update(&mut self, action: Action) {
        let mut next = Some(action);
        while let Some(action) = next.take() {
            next = match action {
                Action::Quit => {
                    self.should_quit = true;
                    None
                }
                Action::Status(text) => {
                    self.status = text;
                    None
                }
                Action::DatasetsChanged => {
                    self.datasets.rescan(&self.store);
                    self.train.set_datasets(self.datasets.train_choices());
                    None
                }
                Action::Launched(result) => self.train.update(Action::Launched(result)),
                Action::ModelLoaded(load) => {
                    self.predict.update(Action::ModelLoaded(load));
                    // The saved forms of the model just loaded.
                    self.predict.service(&mut self.store);
                    None
                }
                Action::DriftProgress { .. } => self.drift.update(action),
                Action::DriftDone(result) => {
                    self.drift.update(Action::DriftDone(result));
                    self.drift.reload_past(&self.store);
                    None
                }
                Action::OpenRun(id) => {
                    self.switch_to(Tab::Runs);
                    self.runs.open_run(&self.store, id);
                    None
                }
                other => {
                    // Only a finished profile changes what the form can train on; progress
                    // actions stream in and must not copy every profile each time.
                    let profiled = matches!(other, Action::ProfileDone { .. });
                    let follow_up = self.datasets.update(other);
                    if profiled {
                        self.train.set_datasets(self.datasets.train_choices());
                    }
                    follow_up
                }
            };
        }
    }

    /// The slow tick: advances the spinner, notices commits by other processes (a worker's
    /// steps) and re-reads a live run's log. Returns whether anything visible changed.
    pub fn on_tick(&mut self) -> bool {
        let mut dirty = false;
        let live =
            self.runs.is_live() || self.runs.rows.iter().any(|r| !r.run.status.is_terminal());
        if self.datasets.is_profiling()
            || self.train.launching
            || self.predict.loading
            || self.drift.running
            || live
        {
            self.spinner_step += 1;
            dirty = true;
        }
        // A worker killed with -9 is noticed while the analyst watches, within a second.
        if live && self.last_reap.elapsed() >= REAP_EVERY {
            self.last_reap = std::time::Instant::now();
            match self.store.reap_dead_runs() {
                Ok(reaped) if !reaped.is_empty() => {
                    let ids: Vec<String> = reaped.iter().map(|id| id.to_string()).collect();
                    self.status = format!("run {} failed: its worker is gone", ids.join(", "));
                    self.store_changed = true;
                    self.last_reload = std::time::Instant::now() - RELOAD_EVERY;
                }
                Ok(_) => {}
                Err(error) => self.status = format!("checking workers: {error}"),
            }
        }
        let version = self.store.data_version().ok();
        if version != self.last_data_version {
            self.last_data_version = version;
            self.datasets.refresh_from_cache(&self.store);
            self.store_changed = true;
        }
        // A training worker commits about four times a second. The table of every run is
        // re-read at most every RELOAD_EVERY, and only while a tab that shows it is in front
        // (the status line's counts follow at that pace too); the others catch up when shown.
        let showing = matches!(
            self.active,
            Tab::Runs | Tab::Compare | Tab::Models | Tab::Predict
        ) || self.runs.rows.iter().any(|r| !r.run.status.is_terminal());
        if self.store_changed && showing && self.last_reload.elapsed() >= RELOAD_EVERY {
            self.store_changed = false;
            self.last_reload = std::time::Instant::now();
            self.runs.reload(&self.store);
            match self.active {
                Tab::Models => self.models.reload(&self.store),
                Tab::Predict => self.predict.reload(&self.store),
                Tab::Compare => self.compare.reload(&self.store),
                _ => {}
            }
            dirty = true;
        }
        if self.runs.is_live() {
            self.runs.refresh_log();
        }
        dirty
    }

    pub fn render(&mut self, frame: &mut Frame<'_>) {
        let [tabs_area, body, status_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let titles = [
            self.datasets.title(),
            self.train.title(),
            self.runs.title(),
            self.compare.title(),
            self.models.title(),
            self.predict.title(),
            self.drift.title(),
        ];
        status::render_tabs(frame, tabs_area, &self.theme, &titles, self.active.index());
        let spinner = self.spinner();
        let theme = self.theme.clone();
        self.pane().render(frame, body, &theme, spinner);
        let running = self
            .runs
            .rows
            .iter()
            .filter(|r| !r.run.status.is_terminal())
            .count();
        let mut left = format!(
            "{} · runs.db · {} datasets · {} runs",
            self.project_name,
            self.datasets.entries.len(),
            self.runs.rows.len()
        );
        if running > 0 {
            left.push_str(&format!(" · {spinner} {running} training"));
        }
        if let Some(path) = &self.datasets.busy
            && let Some(entry) = self.datasets.entries.iter().find(|e| &e.file.path == path)
        {
            left.push_str(&format!(
                " · {spinner} profiling {}",
                crate::text::clean(&entry.file.relative)
            ));
        }
        if !self.status.is_empty() {
            left.push_str(" · ");
            left.push_str(&self.status);
        }
        status::render_status(
            frame,
            status_area,
            &self.theme,
            &left,
            "1-7 tabs  ? keys  q quit ",
        );
        if self.show_help {
            let pane = self.pane_ref();
            render_help(
                frame,
                body,
                &self.theme,
                pane.title(),
                &pane.commands(),
                &help_of(GLOBAL_KEYS),
            );
        }
    }
}
