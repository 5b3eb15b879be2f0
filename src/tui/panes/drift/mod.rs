//! The Drift tab: pick the reference and the current data (files of `data/`, a period of each,
//! or a model's training data and its logged predictions), Enter runs the check off the UI task
//! with progress; the dataset verdict as a banner, a table of columns (test, score, threshold,
//! verdict), the selected column's two distributions overlaid, and the past reports from the
//! store. The check, the HTML report under `reports/` and its record are the CLI's
//! (`drift::run::run_drift`).
//!
//! State and keys live here; drawing in `view.rs`.

mod editing;
mod view;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use crate::drift::DriftReport;
use crate::drift::run::{DriftOutcome, DriftRequest};
use crate::store::{DriftReportRow, RunStore};
use crate::tui::action::{Action, Job};
use crate::tui::component::{Component, EventState, PaneContext, RenderContext};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::keymap_file::KeySection;
use crate::tui::widgets::table::{CursorMove, move_cursor};
use crate::tui::widgets::text_input::{INPUT_KEYS, InputOutcome, TextInput};

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&DRIFT_KEYS];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftCommand {
    Down,
    Up,
    NextReference,
    PreviousReference,
    NextCurrent,
    PreviousCurrent,
    NextModel,
    ReferencePeriod,
    CurrentPeriod,
    Run,
    PastReport,
}

key_table! {
    pub DRIFT_KEYS: DriftCommand = "drift" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => DriftCommand::Down, "next column";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => DriftCommand::Up, "previous column";
        next_reference: [KeySpec::char('r')] => DriftCommand::NextReference, "next reference (files; the model's training data)";
        previous_reference: [KeySpec::char('R')] => DriftCommand::PreviousReference, "previous reference";
        next_current: [KeySpec::char('c')] => DriftCommand::NextCurrent, "next current data (files; the model's logged predictions)";
        previous_current: [KeySpec::char('C')] => DriftCommand::PreviousCurrent, "previous current data";
        next_model: [KeySpec::char('m')] => DriftCommand::NextModel, "model: none, or a registered model (its columns, its training data)";
        reference_period: [KeySpec::char('p')] => DriftCommand::ReferencePeriod, "type the reference period (2016, 2016-01..2016-06; empty: all)";
        current_period: [KeySpec::char('P')] => DriftCommand::CurrentPeriod, "type the current period";
        run: [KeySpec::plain(KeyCode::Enter)] => DriftCommand::Run, "run the check (writes the HTML report under reports/)";
        past_report: [KeySpec::char('o')] => DriftCommand::PastReport, "open the next past report";
    }
}

/// The period being typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodField {
    Reference,
    Current,
}

/// The two special sides a model adds to the file choices.
pub const TRAINING_DATA: &str = "the model's training data";
pub const LOGGED: &str = "the model's logged predictions";

pub struct DriftTab {
    /// The split between its two areas (`<` `>`), kept while the TUI runs.
    pub split: crate::tui::widgets::split::Split,
    /// Data files, relative to the project (`data/x.csv`).
    pub files: Vec<String>,
    /// Registered model references (`NAME@champion`, ...); the choice 0 is none.
    pub models: Vec<String>,
    pub model: usize,
    pub reference: usize,
    pub current: usize,
    pub reference_period: String,
    pub current_period: String,
    /// The period being typed, and its line.
    pub editing: Option<(PeriodField, TextInput)>,
    pub running: bool,
    pub progress: (usize, usize, String),
    pub report: Option<DriftReport>,
    pub html: Option<String>,
    pub table: TableState,
    pub past: Vec<DriftReportRow>,
    past_cursor: Option<usize>,
    pub message: Option<(bool, String)>,
    /// The last check's error in full.
    pub error: Option<String>,
}

impl DriftTab {
    pub fn new(_ctx: &PaneContext<'_>) -> Self {
        Self {
            split: crate::tui::widgets::split::Split::new(58),
            files: Vec::new(),
            models: Vec::new(),
            model: 0,
            reference: 0,
            current: 0,
            reference_period: String::new(),
            current_period: String::new(),
            editing: None,
            running: false,
            progress: (0, 0, String::new()),
            report: None,
            html: None,
            table: TableState::default(),
            past: Vec::new(),
            past_cursor: None,
            message: None,
            error: None,
        }
    }

    /// The files of `data/` and the registered models; the first time, a sensible pair: the
    /// first file against a later one whose name says so (the sample's drifted half-year).
    pub fn set_choices(&mut self, files: Vec<String>, models: Vec<String>) {
        let first = self.files.is_empty();
        let keep = |list: &[String], index: usize, new: &[String]| {
            list.get(index)
                .and_then(|name| new.iter().position(|n| n == name))
        };
        let reference = keep(&self.choices(true), self.reference, &files);
        let current = keep(&self.choices(false), self.current, &files);
        self.files = files;
        self.models = models;
        self.model = self.model.min(self.models.len());
        if first {
            // A later period (the sample's `_2024h1`) against the file it continues.
            let stem = |f: &str| {
                std::path::Path::new(f)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            };
            let pair = self.files.iter().enumerate().find_map(|(c, current)| {
                self.files
                    .iter()
                    .position(|reference| {
                        reference != current
                            && !stem(reference).is_empty()
                            && stem(current).starts_with(&format!("{}_", stem(reference)))
                            && reference.rsplit('.').next() == current.rsplit('.').next()
                    })
                    .map(|r| (r, c))
            });
            (self.reference, self.current) = pair.unwrap_or((0, self.files.len().min(1)));
        } else {
            self.reference = reference.unwrap_or(self.reference);
            self.current = current.unwrap_or(self.current);
        }
    }

    pub fn reload_past(&mut self, store: &RunStore) {
        match store.drift_reports(50) {
            Ok(rows) => self.past = rows,
            Err(e) => self.message = Some((true, format!("reading past reports: {e}"))),
        }
    }

    /// The choices of one side: the files, plus the model's training data (reference) or its
    /// logged predictions (current) when a model is chosen.
    pub fn choices(&self, reference: bool) -> Vec<String> {
        let mut choices = self.files.clone();
        if self.model > 0 {
            choices.push(if reference { TRAINING_DATA } else { LOGGED }.to_string());
        }
        choices
    }

    pub fn chosen_model(&self) -> Option<&str> {
        self.model
            .checked_sub(1)
            .and_then(|i| self.models.get(i))
            .map(String::as_str)
    }

    fn side_spec(&self, reference: bool) -> Option<String> {
        let choices = self.choices(reference);
        let (index, period) = if reference {
            (self.reference, &self.reference_period)
        } else {
            (self.current, &self.current_period)
        };
        let choice = choices.get(index)?;
        Some(match choice.as_str() {
            TRAINING_DATA => return None,
            LOGGED => "logged".to_string(),
            file if period.trim().is_empty() => file.to_string(),
            file => format!("{file}@{}", period.trim()),
        })
    }

    /// The request the form describes.
    pub fn request(&self) -> Result<DriftRequest, String> {
        if self.files.is_empty() {
            return Err("no dataset in data/ to check".into());
        }
        let current = self
            .side_spec(false)
            .ok_or_else(|| "choose the current data".to_string())?;
        let reference = self.side_spec(true);
        if reference.is_none() && self.chosen_model().is_none() {
            return Err("choose the reference data".into());
        }
        Ok(DriftRequest {
            reference,
            current,
            model: self.chosen_model().map(String::from),
            ..DriftRequest::default()
        })
    }

    fn show(&mut self, report: DriftReport) {
        // Drifted columns first, as in the HTML report.
        let mut report = report;
        report.columns.sort_by_key(|c| !c.drifted);
        self.table.select((!report.columns.is_empty()).then_some(0));
        self.report = Some(report);
    }

    fn step(index: &mut usize, len: usize, forward: bool) {
        if len == 0 {
            return;
        }
        *index = if forward {
            (*index + 1) % len
        } else {
            (*index + len - 1) % len
        };
    }

}

impl Component for DriftTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        if self.editing.is_some() {
            self.edit_key(key, ctx.keys);
            return EventState::Consumed;
        }
        let Some(command) = ctx.keys.lookup(&DRIFT_KEYS, key) else {
            return EventState::NotConsumed;
        };
        let columns = self.report.as_ref().map_or(0, |r| r.columns.len());
        match command {
            DriftCommand::Down => move_cursor(&mut self.table, columns, CursorMove::Down),
            DriftCommand::Up => move_cursor(&mut self.table, columns, CursorMove::Up),
            DriftCommand::NextReference | DriftCommand::PreviousReference => {
                let len = self.choices(true).len();
                Self::step(
                    &mut self.reference,
                    len,
                    command == DriftCommand::NextReference,
                );
            }
            DriftCommand::NextCurrent | DriftCommand::PreviousCurrent => {
                let len = self.choices(false).len();
                Self::step(&mut self.current, len, command == DriftCommand::NextCurrent);
            }
            DriftCommand::NextModel => {
                self.model = (self.model + 1) % (self.models.len() + 1);
                let (r, c) = (self.choices(true).len(), self.choices(false).len());
                self.reference = self.reference.min(r.saturating_sub(1));
                self.current = self.current.min(c.saturating_sub(1));
            }
            DriftCommand::ReferencePeriod => self.start_editing(PeriodField::Reference),
            DriftCommand::CurrentPeriod => self.start_editing(PeriodField::Current),
            DriftCommand::Run if self.running => {}
            // A check reads two datasets and tests every column: off the UI task, with progress.
            DriftCommand::Run => match self.request() {
                Ok(request) => {
                    self.running = true;
                    self.progress = (0, 0, String::new());
                    self.message = None;
                    return EventState::action(Action::Run(Job::Drift(Box::new(request))));
                }
                Err(problem) => self.message = Some((true, problem)),
            },
            DriftCommand::PastReport => {
                if self.past.is_empty() {
                    self.message = Some((false, "no past report yet".into()));
                } else {
                    let next = self.past_cursor.map_or(0, |i| (i + 1) % self.past.len());
                    self.past_cursor = Some(next);
                    let id = self.past[next].id;
                    self.open_past(ctx.store, id);
                }
            }
        }
        EventState::Consumed
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        match action {
            Action::DataFiles(files) => {
                let files = files
                    .iter()
                    .map(|f| format!("data/{}", f.relative))
                    .collect();
                let models = self.models.clone();
                self.set_choices(files, models);
            }
            Action::DriftProgress {
                done,
                total,
                column,
            } => self.progress = (*done, *total, column.clone()),
            Action::DriftDone(result) => {
                self.running = false;
                match result.as_ref() {
                    Ok(outcome) => {
                        let DriftOutcome {
                            report,
                            html_shown,
                            report_id,
                            ..
                        } = outcome;
                        let (report, html_shown) = (report.clone(), html_shown.clone());
                        // Columns one side lacks were left out: say which, beside the report.
                        let absent: Vec<String> = report
                            .skipped
                            .iter()
                            .filter(|s| s.reason.contains("--strict makes this an error"))
                            .map(|s| {
                                let why = s.reason.split(':').next().unwrap_or("");
                                format!("{}: {why}", s.column)
                            })
                            .collect();
                        let mut text = format!("report {report_id} written to {html_shown}");
                        if !absent.is_empty() {
                            text.push_str(&format!(
                                "; checked on the common columns, not on {}",
                                absent.join(", ")
                            ));
                        }
                        self.message = Some((false, text));
                        self.html = Some(html_shown);
                        self.past_cursor = None;
                        self.error = None;
                        self.show(report);
                    }
                    Err(e) => {
                        // The whole error (a schema difference lists every column) is shown
                        // where the table would be.
                        self.report = None;
                        self.message = Some((true, e.lines().next().unwrap_or("").to_string()));
                        self.error = Some(e.clone());
                    }
                }
                self.reload_past(ctx.store);
            }
            _ => {}
        }
        Vec::new()
    }

    /// The registered models may have moved since the tab was last shown.
    fn on_show(&mut self, ctx: &PaneContext<'_>) -> Vec<Action> {
        self.read_models(ctx.store);
        self.reload_past(ctx.store);
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
            keys.help(&DRIFT_KEYS)
        }
    }

    fn captures_text(&self) -> bool {
        self.editing.is_some()
    }

    fn is_busy(&self) -> bool {
        self.running
    }

    fn title(&self) -> &'static str {
        "Drift"
    }
}
