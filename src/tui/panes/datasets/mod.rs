//! The Datasets pane: the files in `data/` (live), and for the selected one its schema, column
//! profiles, a histogram of the selected column and a scrollable sample of rows.
//!
//! State and keys live here; drawing lives in `view.rs`. Profiling never runs here: the pane asks
//! for the next file's profile as a job (`Action::Run`) and takes the outcome; it tells the other
//! panes what `data/` holds (`Action::DataFiles`).

mod column_view;
mod commands;
mod view;

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{ListState, TableState};

use crate::data::{self, DatasetFile, DatasetProfile, ProfileStage};
use crate::store::RunStore;
use crate::text::{clean, clean_profile};
use crate::tui::action::{Action, DataFile, Job, Target};
use crate::tui::component::{Component, EventState, PaneContext, RenderContext, StatusNote};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::keymap_file::KeySection;

#[derive(Clone, Debug, PartialEq)]
pub enum EntryState {
    /// Waiting for its turn to be profiled.
    Pending,
    Profiling(ProfileStage),
    Ready {
        profile: Arc<DatasetProfile>,
        from_cache: bool,
    },
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct DatasetEntry {
    pub file: DatasetFile,
    pub state: EntryState,
    /// Ask for a fresh profile even if the store has one (the `r` key).
    pub force: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Files,
    Columns,
    Rows,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetsCommand {
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Left,
    Right,
    FocusNext,
    FocusPrev,
    Open,
    Reprofile,
    Train,
}

const PAGE: usize = 10;

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&DATASETS_KEYS];

key_table! {
    pub DATASETS_KEYS: DatasetsCommand = "datasets" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => DatasetsCommand::Down, "next file, column or row";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => DatasetsCommand::Up, "previous file, column or row";
        top: [KeySpec::char('g'), KeySpec::plain(KeyCode::Home)] => DatasetsCommand::Top, "first";
        bottom: [KeySpec::char('G'), KeySpec::plain(KeyCode::End)] => DatasetsCommand::Bottom, "last";
        page_down: [KeySpec::plain(KeyCode::PageDown), KeySpec::ctrl('d')] => DatasetsCommand::PageDown, "ten down";
        page_up: [KeySpec::plain(KeyCode::PageUp), KeySpec::ctrl('u')] => DatasetsCommand::PageUp, "ten up";
        left: [KeySpec::char('h'), KeySpec::plain(KeyCode::Left)] => DatasetsCommand::Left, "sample rows: scroll left";
        right: [KeySpec::char('l'), KeySpec::plain(KeyCode::Right)] => DatasetsCommand::Right, "sample rows: scroll right";
        focus_next: [KeySpec::plain(KeyCode::Tab)] => DatasetsCommand::FocusNext, "focus files → columns → rows";
        focus_back: [KeySpec::plain(KeyCode::BackTab)] => DatasetsCommand::FocusPrev, "focus back";
        open: [KeySpec::plain(KeyCode::Enter)] => DatasetsCommand::Open, "open the file's columns";
        reprofile: [KeySpec::char('r')] => DatasetsCommand::Reprofile, "profile the file again (ignore the cache)";
        train: [KeySpec::char('t')] => DatasetsCommand::Train, "train a model on this file (opens the Train tab)";
    }
}

pub struct DatasetsTab {
    pub data_dir: PathBuf,
    /// How the project reads its files (missing-value tokens), from its config.
    pub read_options: crate::data::ReadOptions,
    pub entries: Vec<DatasetEntry>,
    pub files_state: ListState,
    pub columns_state: TableState,
    pub row_offset: usize,
    pub column_offset: usize,
    pub focus: Focus,
    /// The file a background job is profiling now (one at a time).
    pub busy: Option<PathBuf>,
    pub scan_error: Option<String>,
    /// Why the project's read settings could not be used (said once, at start).
    config_error: Option<String>,
}

impl DatasetsTab {
    pub fn new(ctx: &PaneContext<'_>) -> Self {
        let (read_options, config_error) = match ctx.project.read_options() {
            Ok(options) => (options, None),
            Err(error) => (
                data::ReadOptions::default(),
                Some(format!("{error}; reading files with the default settings")),
            ),
        };
        let mut tab = Self {
            data_dir: ctx.project.data_dir(),
            read_options,
            entries: Vec::new(),
            files_state: ListState::default(),
            columns_state: TableState::default(),
            row_offset: 0,
            column_offset: 0,
            focus: Focus::Files,
            busy: None,
            scan_error: None,
            config_error,
        };
        tab.rescan(ctx.store);
        tab
    }

    pub fn selected(&self) -> Option<&DatasetEntry> {
        self.files_state
            .selected()
            .and_then(|i| self.entries.get(i))
    }

    pub fn selected_profile(&self) -> Option<&DatasetProfile> {
        match &self.selected()?.state {
            EntryState::Ready { profile, .. } => Some(profile),
            _ => None,
        }
    }

    /// Re-reads `data/`: new files appear, removed ones go, changed ones are profiled again.
    /// Files whose bytes the store has profiled before are ready at once.
    pub fn rescan(&mut self, store: &RunStore) {
        let files = match data::discover(&self.data_dir) {
            Ok(files) => {
                self.scan_error = None;
                files
            }
            Err(e) => {
                self.scan_error = Some(e.to_string());
                return;
            }
        };
        let selected_path = self.selected().map(|e| e.file.path.clone());
        let mut previous = std::mem::take(&mut self.entries);
        self.entries = files
            .into_iter()
            .map(|file| {
                let kept = previous
                    .iter()
                    .position(|e| e.file == file)
                    .map(|i| previous.swap_remove(i));
                kept.unwrap_or_else(|| {
                    let state = match data::cached_profile(store, &file, &self.read_options) {
                        Ok(Some(outcome)) => ready(outcome.profile, true),
                        _ => EntryState::Pending,
                    };
                    DatasetEntry {
                        file,
                        state,
                        force: false,
                    }
                })
            })
            .collect();
        let index = selected_path
            .and_then(|p| self.entries.iter().position(|e| e.file.path == p))
            .or(if self.entries.is_empty() {
                None
            } else {
                Some(0)
            })
            .map(|i| i.min(self.entries.len().saturating_sub(1)));
        if index != self.files_state.selected() {
            self.select_file(index);
        }
    }

    /// Files still waiting whose profile another process may have stored meanwhile.
    pub fn refresh_from_cache(&mut self, store: &RunStore) {
        for entry in &mut self.entries {
            if entry.state == EntryState::Pending
                && let Ok(Some(outcome)) =
                    data::cached_profile(store, &entry.file, &self.read_options)
            {
                entry.state = ready(outcome.profile, true);
            }
        }
    }

    /// The profile job for the next file (the selected one first), or none while one runs.
    /// Marks the file as being profiled; the job answers with `ProfileDone`.
    fn schedule(&mut self) -> Option<Action> {
        if self.busy.is_some() {
            return None;
        }
        let selected = self.files_state.selected();
        let index = selected
            .filter(|&i| {
                self.entries
                    .get(i)
                    .is_some_and(|e| e.state == EntryState::Pending)
            })
            .or_else(|| {
                self.entries
                    .iter()
                    .position(|e| e.state == EntryState::Pending)
            })?;
        let entry = &mut self.entries[index];
        entry.state = EntryState::Profiling(ProfileStage::Scanning {
            done: 0,
            total: entry.file.bytes,
        });
        self.busy = Some(entry.file.path.clone());
        let use_cache = !std::mem::take(&mut entry.force);
        Some(Action::Run(Job::Profile {
            file: entry.file.clone(),
            options: self.read_options.clone(),
            use_cache,
        }))
    }

    /// What `data/` holds, for the panes that offer its files (Train, Drift).
    fn data_files(&self) -> Action {
        Action::DataFiles(Arc::new(
            self.entries
                .iter()
                .map(|e| DataFile {
                    relative: e.file.relative.clone(),
                    path: e.file.path.clone(),
                    profile: match &e.state {
                        EntryState::Ready { profile, .. } => Some(Arc::clone(profile)),
                        _ => None,
                    },
                })
                .collect(),
        ))
    }

    pub fn is_profiling(&self) -> bool {
        self.busy.is_some()
    }

    fn select_file(&mut self, index: Option<usize>) {
        self.files_state.select(index);
        self.columns_state = TableState::default();
        if self
            .selected_profile()
            .is_some_and(|p| !p.columns.is_empty())
        {
            self.columns_state.select(Some(0));
        }
        self.row_offset = 0;
        self.column_offset = 0;
    }

    pub fn selected_column(&self) -> Option<usize> {
        self.columns_state.selected()
    }

    fn apply_done(&mut self, file: DatasetFile, result: Result<Box<data::ProfileOutcome>, String>) {
        if self.busy.as_ref() == Some(&file.path) {
            self.busy = None;
        }
        let Some(entry) = self.entries.iter_mut().find(|e| e.file.path == file.path) else {
            return;
        };
        // The file changed while it was being profiled: profile the new bytes.
        if entry.file != file {
            entry.state = EntryState::Pending;
            return;
        }
        entry.state = match result {
            Ok(outcome) => ready(outcome.profile, outcome.from_cache),
            Err(message) => EntryState::Failed(clean(&message)),
        };
        let selected_now = self.selected().is_some_and(|e| e.file.path == file.path);
        if selected_now && self.columns_state.selected().is_none() {
            self.columns_state.select(Some(0));
        }
    }
}

/// A ready entry, its profile's texts cleaned for the terminal.
fn ready(mut profile: DatasetProfile, from_cache: bool) -> EntryState {
    clean_profile(&mut profile);
    EntryState::Ready {
        profile: Arc::new(profile),
        from_cache,
    }
}

impl Component for DatasetsTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        match ctx.keys.lookup(&DATASETS_KEYS, key) {
            Some(command) => match self.run_command(command) {
                Some(action) => EventState::action(action),
                None => EventState::Consumed,
            },
            None => EventState::NotConsumed,
        }
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        let mut follow = Vec::new();
        match action {
            Action::Start => {
                follow.extend(self.config_error.take().map(Action::Status));
                follow.push(self.data_files());
                follow.extend(self.schedule());
            }
            Action::DataFolderChanged => {
                self.rescan(ctx.store);
                follow.push(self.data_files());
                follow.extend(self.schedule());
            }
            // Another process may have profiled a file still waiting here.
            Action::StoreChanged => self.refresh_from_cache(ctx.store),
            Action::ProfileProgress { path, stage } => {
                if let Some(entry) = self.entries.iter_mut().find(|e| &e.file.path == path)
                    && matches!(entry.state, EntryState::Profiling(_))
                {
                    entry.state = EntryState::Profiling(stage.clone());
                }
            }
            Action::ProfileDone { file, result } => {
                let result = match result {
                    Ok(outcome) => Ok(outcome.clone()),
                    Err(message) => {
                        follow.push(Action::Status(format!(
                            "{}: could not be profiled",
                            file.relative
                        )));
                        Err(message.clone())
                    }
                };
                self.apply_done(file.clone(), result);
                // Only a finished profile changes what the forms can use; progress does not.
                follow.push(self.data_files());
                follow.extend(self.schedule());
            }
            _ => {}
        }
        follow
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx.theme, ctx.spinner);
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        keys.help(&DATASETS_KEYS)
    }

    fn title(&self) -> &'static str {
        "Datasets"
    }

    fn is_busy(&self) -> bool {
        self.busy.is_some()
    }

    fn status(&self, spinner: char) -> Vec<StatusNote> {
        let mut notes = vec![StatusNote {
            rank: 0,
            text: format!("{} datasets", self.entries.len()),
        }];
        if let Some(path) = &self.busy
            && let Some(entry) = self.entries.iter().find(|e| &e.file.path == path)
        {
            notes.push(StatusNote {
                rank: 3,
                text: format!("{spinner} profiling {}", clean(&entry.file.relative)),
            });
        }
        notes
    }
}
