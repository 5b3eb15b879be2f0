//! The Runs pane: a list of runs (status, name, model, main metric, duration) and, on Enter, one
//! run's live view: its loss curves per step, a progress gauge with ETA, the worker log's tail,
//! and the final metrics and feature importances once it has them. Everything is read from the
//! store and the run's folder; a worker in another process writes them, and the pane reloads when
//! the store's `data_version` moves (checked every tick), so a new step shows within a second.
//!
//! State, loading and keys live here; drawing lives in `runs_view.rs`.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use crate::jobs::worker::{TRAIN_LOSS, VALID_LOSS};
use crate::jobs::{run_dir, run_model_dir};
use crate::ml::artifact::MetricsFile;
use crate::ml::forest::FOREST_CHUNK;
use crate::project::Project;
use crate::store::{Run, RunId, RunQuery, RunStore, StoreError};
use crate::tui::action::Action;
use crate::tui::component::{Component, EventState};
use crate::tui::keymap::{Binding, KeyHelp, KeySpec, help_of, lookup};
use crate::tui::theme::Theme;

/// How much of the end of a worker log is read for the tail.
const LOG_TAIL_BYTES: u64 = 16 * 1024;

/// A run as the list shows it.
#[derive(Clone, Debug)]
pub struct RunRow {
    pub run: Run,
    /// The headline validation metric (name, last value), when logged.
    pub headline: Option<(String, f64)>,
    /// Steps logged so far (for running runs).
    pub steps: usize,
}

/// Everything the run view draws.
#[derive(Clone, Debug, Default)]
pub struct RunDetail {
    pub run: Option<Run>,
    pub params: Vec<(String, String)>,
    pub loss_name: String,
    pub train_curve: Vec<(f64, f64)>,
    pub valid_curve: Vec<(f64, f64)>,
    pub planned_steps: Option<usize>,
    /// Milliseconds between the first and last logged step, for the ETA.
    pub step_span_ms: Option<i64>,
    pub log_tail: Vec<String>,
    pub metrics: Option<MetricsFile>,
    pub load_error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsCommand {
    Down,
    Up,
    Top,
    Bottom,
    Open,
    Back,
    Cancel,
    Confirm,
}

pub const RUNS_KEYS: &[Binding<RunsCommand>] = &[
    Binding {
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        label: "j / ↓",
        desc: "next run",
        command: RunsCommand::Down,
    },
    Binding {
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        label: "k / ↑",
        desc: "previous run",
        command: RunsCommand::Up,
    },
    Binding {
        keys: &[KeySpec::char('g'), KeySpec::plain(KeyCode::Home)],
        label: "g / Home",
        desc: "newest",
        command: RunsCommand::Top,
    },
    Binding {
        keys: &[KeySpec::char('G'), KeySpec::plain(KeyCode::End)],
        label: "G / End",
        desc: "oldest",
        command: RunsCommand::Bottom,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Enter)],
        label: "Enter",
        desc: "open the run: live curves, log, metrics",
        command: RunsCommand::Open,
    },
    Binding {
        keys: &[
            KeySpec::plain(KeyCode::Esc),
            KeySpec::plain(KeyCode::Backspace),
        ],
        label: "Esc",
        desc: "back to the list",
        command: RunsCommand::Back,
    },
    Binding {
        keys: &[KeySpec::char('c')],
        label: "c",
        desc: "cancel the run (asks first)",
        command: RunsCommand::Cancel,
    },
    Binding {
        keys: &[KeySpec::char('y')],
        label: "y",
        desc: "yes, cancel it",
        command: RunsCommand::Confirm,
    },
];

pub struct RunsTab {
    pub project: Project,
    pub rows: Vec<RunRow>,
    pub table: TableState,
    /// The run open in the run view.
    pub open: Option<RunId>,
    pub detail: RunDetail,
    /// A cancel waiting for `y`.
    pub confirm_cancel: Option<RunId>,
    /// Work for `service`, which has the store.
    pub pending_cancel: Option<RunId>,
    pub pending_reload: bool,
    pub message: Option<String>,
}

impl RunsTab {
    pub fn new(project: Project) -> Self {
        Self {
            project,
            rows: Vec::new(),
            table: TableState::default(),
            open: None,
            detail: RunDetail::default(),
            confirm_cancel: None,
            pending_cancel: None,
            pending_reload: false,
            message: None,
        }
    }

    pub fn selected(&self) -> Option<&RunRow> {
        self.table.selected().and_then(|i| self.rows.get(i))
    }

    /// Re-reads the list (and the open run) from the store.
    pub fn reload(&mut self, store: &RunStore) {
        match load_rows(store) {
            Ok(rows) => {
                let selected = self.selected().map(|r| r.run.id);
                self.rows = rows;
                let index = selected
                    .and_then(|id| self.rows.iter().position(|r| r.run.id == id))
                    .or((!self.rows.is_empty()).then_some(0));
                self.table.select(index);
            }
            Err(e) => self.message = Some(format!("reading runs: {e}")),
        }
        if let Some(id) = self.open {
            self.detail = load_detail(&self.project, store, id);
        }
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
            self.detail.log_tail = log_tail(&run_dir(&self.project, id).join("worker.log"));
        }
    }

    fn move_selection(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        if self.rows.is_empty() {
            return;
        }
        let current = self.table.selected().unwrap_or(0);
        self.table.select(Some(to(current, self.rows.len())));
    }

    /// The run the keys act on: the open one, or the selected one in the list.
    fn target(&self) -> Option<&Run> {
        match self.open {
            Some(_) => self.detail.run.as_ref(),
            None => self.selected().map(|r| &r.run),
        }
    }
}

/// Metrics read for the list: the first one a run has is its headline.
const HEADLINE_KEYS: [&str; 3] = ["rmse", "roc_auc", "log_loss"];

/// The list in one query: each run's headline metric and last step come from the series
/// summaries, never from the points.
fn load_rows(store: &RunStore) -> Result<Vec<RunRow>, StoreError> {
    let rows = store.query_runs(&RunQuery {
        metrics: HEADLINE_KEYS.iter().map(|k| k.to_string()).collect(),
        ..Default::default()
    })?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let headline = HEADLINE_KEYS
                .iter()
                .zip(&row.metrics)
                .find_map(|(key, value)| value.map(|v| (key.to_string(), v)));
            let steps = if row.run.status.is_terminal() {
                0
            } else {
                row.last_step.map_or(0, |s| s as usize + 1)
            };
            RunRow {
                run: row.run,
                headline,
                steps,
            }
        })
        .collect())
}

/// The run's planned steps, from its params (boosting rounds, or forest chunks).
pub fn planned_steps(params: &[(String, String)]) -> Option<usize> {
    let value = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let model = params
        .iter()
        .find(|(k, _)| k == "model")
        .map(|(_, v)| v.as_str());
    match model {
        Some("gbdt") => value("model.rounds"),
        Some("random_forest") => value("model.trees").map(|t| t.div_ceil(FOREST_CHUNK)),
        Some(_) => Some(1),
        None => None,
    }
}

pub fn load_detail(project: &Project, store: &RunStore, id: RunId) -> RunDetail {
    let mut detail = RunDetail::default();
    let result = (|| -> Result<(), StoreError> {
        let run = store.get_run(id)?;
        detail.params = store.params(id)?;
        detail.planned_steps = planned_steps(&detail.params);
        let train = store.metric_history(id, TRAIN_LOSS)?;
        let valid = store.metric_history(id, VALID_LOSS)?;
        let curve = |points: &[crate::store::MetricPoint]| {
            points
                .iter()
                .map(|p| (p.step as f64 + 1.0, p.value))
                .collect::<Vec<_>>()
        };
        detail.train_curve = curve(&train);
        detail.valid_curve = curve(&valid);
        detail.step_span_ms = match (valid.first(), valid.last()) {
            (Some(a), Some(b)) if valid.len() > 1 => Some(b.timestamp_ms - a.timestamp_ms),
            _ => None,
        };
        detail.loss_name = loss_name(&detail.params);
        if run.status.is_terminal() {
            detail.metrics = read_metrics(&run_model_dir(project, id).join("metrics.json"));
        }
        detail.run = Some(run);
        Ok(())
    })();
    if let Err(e) = result {
        detail.load_error = Some(e.to_string());
    }
    detail.log_tail = log_tail(&run_dir(project, id).join("worker.log"));
    detail
}

fn loss_name(params: &[(String, String)]) -> String {
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match (get("task"), get("model.objective")) {
        (_, Some("poisson")) => "Poisson negative log-likelihood".into(),
        (_, Some("tweedie")) => "Tweedie negative log-likelihood".into(),
        (Some("binary_classification"), _) => "log loss".into(),
        _ => "RMSE".into(),
    }
}

fn read_metrics(path: &Path) -> Option<MetricsFile> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The last lines of a log file, reading at most its last `LOG_TAIL_BYTES`.
pub fn log_tail(path: &Path) -> Vec<String> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = length.saturating_sub(LOG_TAIL_BYTES);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<String> = text.lines().map(crate::tui::format::clean).collect();
    if start > 0 && !lines.is_empty() {
        // The first line was cut by the window.
        lines.remove(0);
    }
    let keep = lines.len().saturating_sub(50);
    lines.split_off(keep)
}

impl Component for RunsTab {
    fn handle_key(&mut self, key: &KeyEvent) -> EventState {
        let Some(command) = lookup(RUNS_KEYS, key) else {
            if self.confirm_cancel.take().is_some() {
                self.message = Some("not cancelled".into());
                return EventState::Consumed;
            }
            return EventState::NotConsumed;
        };
        if command != RunsCommand::Confirm && self.confirm_cancel.take().is_some() {
            self.message = Some("not cancelled".into());
        }
        match command {
            RunsCommand::Down if self.open.is_none() => {
                self.move_selection(|i, n| (i + 1).min(n - 1))
            }
            RunsCommand::Up if self.open.is_none() => {
                self.move_selection(|i, _| i.saturating_sub(1))
            }
            RunsCommand::Top if self.open.is_none() => self.move_selection(|_, _| 0),
            RunsCommand::Bottom if self.open.is_none() => self.move_selection(|_, n| n - 1),
            RunsCommand::Open => {
                if let Some(id) = self.selected().map(|r| r.run.id) {
                    self.open = Some(id);
                    self.detail = RunDetail::default();
                    self.pending_reload = true;
                }
            }
            RunsCommand::Back if self.open.is_some() => self.open = None,
            RunsCommand::Back => return EventState::NotConsumed,
            RunsCommand::Cancel => {
                let target = self
                    .target()
                    .map(|run| (run.id, run.name.clone(), run.status));
                match target {
                    Some((id, name, status)) if !status.is_terminal() => {
                        self.confirm_cancel = Some(id);
                        self.message = Some(format!("cancel run {id} ({name})? y / any key"));
                    }
                    Some((id, _, status)) => {
                        self.message = Some(format!("run {id} is already {}", status.as_str()))
                    }
                    None => {}
                }
            }
            RunsCommand::Confirm => {
                if let Some(id) = self.confirm_cancel.take() {
                    self.pending_cancel = Some(id);
                }
            }
            _ => {}
        }
        EventState::Consumed
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

impl RunsTab {
    /// Carries out what the keys asked for that needs the store (the App owns it).
    pub fn service(&mut self, store: &mut RunStore) {
        if let Some(id) = self.pending_cancel.take() {
            self.message = Some(match store.request_cancel(id) {
                Ok(()) => format!("asked run {id} to stop; it stops at its next step"),
                Err(e) => format!("could not cancel run {id}: {e}"),
            });
            self.pending_reload = true;
        }
        if std::mem::take(&mut self.pending_reload) {
            self.reload(store);
        }
    }
}
