//! App state: the store, the panes, the overlay and the status line. Owned by the event loop;
//! everything that changes it comes through `handle_key`, `update` or `on_tick`.

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::action::Action;
use super::component::{Component, EventState};
use super::keymap::{GLOBAL_KEYS, GlobalCommand, help_of, lookup};
use super::panes::DatasetsTab;
use super::theme::Theme;
use super::widgets::{help::render_help, status};
use crate::store::RunStore;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub struct App {
    pub project_name: String,
    pub store: RunStore,
    pub datasets: DatasetsTab,
    pub theme: Theme,
    pub show_help: bool,
    pub status: String,
    pub should_quit: bool,
    spinner_step: usize,
    last_data_version: Option<i64>,
}

impl App {
    pub fn new(
        project_name: String,
        data_dir: std::path::PathBuf,
        store: RunStore,
        theme: Theme,
    ) -> Self {
        let mut datasets = DatasetsTab::new(data_dir);
        datasets.rescan(&store);
        let last_data_version = store.data_version().ok();
        Self {
            project_name,
            store,
            datasets,
            theme,
            show_help: false,
            status: String::new(),
            should_quit: false,
            spinner_step: 0,
            last_data_version,
        }
    }

    pub fn spinner(&self) -> char {
        SPINNER[self.spinner_step % SPINNER.len()]
    }

    pub fn handle_key(&mut self, key: &KeyEvent) {
        // Key repeat and release events (kitty protocol, Windows) would move selections twice.
        if key.kind != KeyEventKind::Press {
            return;
        }
        if !self.show_help && self.datasets.handle_key(key) == EventState::Consumed {
            return;
        }
        match lookup(GLOBAL_KEYS, key) {
            Some(GlobalCommand::Quit) => self.should_quit = true,
            Some(GlobalCommand::ToggleHelp) => self.show_help = !self.show_help,
            Some(GlobalCommand::CloseOverlay) => self.show_help = false,
            None => {}
        }
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
                    None
                }
                other => self.datasets.update(other),
            };
        }
    }

    /// The slow tick: advances the spinner and notices commits by other processes. Returns
    /// whether anything visible changed.
    pub fn on_tick(&mut self) -> bool {
        let mut dirty = false;
        if self.datasets.is_profiling() {
            self.spinner_step += 1;
            dirty = true;
        }
        let version = self.store.data_version().ok();
        if version != self.last_data_version {
            self.last_data_version = version;
            self.datasets.refresh_from_cache(&self.store);
            dirty = true;
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
        status::render_tabs(frame, tabs_area, &self.theme, &[self.datasets.title()], 0);
        let spinner = self.spinner();
        self.datasets.render(frame, body, &self.theme, spinner);
        let mut left = format!(
            "{} · runs.db · {} datasets",
            self.project_name,
            self.datasets.entries.len()
        );
        if let Some(path) = &self.datasets.busy
            && let Some(entry) = self.datasets.entries.iter().find(|e| &e.file.path == path)
        {
            left.push_str(&format!(
                " · {spinner} profiling {}",
                super::format::clean(&entry.file.relative)
            ));
        }
        if !self.status.is_empty() {
            left.push_str(" · ");
            left.push_str(&self.status);
        }
        status::render_status(frame, status_area, &self.theme, &left, "? keys  q quit ");
        if self.show_help {
            render_help(
                frame,
                body,
                &self.theme,
                self.datasets.title(),
                &self.datasets.commands(),
                &help_of(GLOBAL_KEYS),
            );
        }
    }
}
