//! The Monitor tab: a registered model's error per period against the actuals added
//! (`shelfcast actuals add`), as a chart with the reference band from its validation and the
//! alerted periods marked; the segments (the values of a series key, such as stores) sorted by
//! how much worse they got; Enter on a segment shows its own chart and its forecast against the
//! actuals per period (Esc goes back); `h` writes the HTML report under `reports/`. The report is
//! `monitor::monitor`'s, computed off the UI task.
//!
//! State and keys live here; drawing in `view.rs`.

mod view;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use crate::monitor::score::Period;
use crate::monitor::{MonitorReport, MonitorRequest};
use crate::store::RunStore;
use crate::tui::action::{Action, Job};
use crate::tui::component::{Component, EventState, PaneContext, RenderContext};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::keymap_file::KeySection;
use crate::tui::widgets::table::{CursorMove, move_cursor};

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&MONITOR_KEYS];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorCommand {
    Down,
    Up,
    Open,
    Back,
    NextModel,
    NextSegment,
    Period,
    Report,
    Reload,
}

key_table! {
    pub MONITOR_KEYS: MonitorCommand = "monitor" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => MonitorCommand::Down, "next segment";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => MonitorCommand::Up, "previous segment";
        open: [KeySpec::plain(KeyCode::Enter)] => MonitorCommand::Open, "the segment's own chart and its forecast against the actuals";
        back: [KeySpec::plain(KeyCode::Esc), KeySpec::plain(KeyCode::Backspace)] => MonitorCommand::Back, "back to every segment";
        next_model: [KeySpec::char('m')] => MonitorCommand::NextModel, "next registered model";
        next_segment: [KeySpec::char('s')] => MonitorCommand::NextSegment, "segment by the next series key";
        period: [KeySpec::char('b')] => MonitorCommand::Period, "periods: week, month, day";
        report: [KeySpec::char('h')] => MonitorCommand::Report, "write the HTML report under reports/";
        reload: [KeySpec::char('r')] => MonitorCommand::Reload, "score again (after new actuals)";
    }
}

pub struct MonitorTab {
    /// The split between its two areas (`<` `>`), kept while the TUI runs.
    pub split: crate::tui::widgets::split::Split,
    /// Registered model names.
    pub models: Vec<String>,
    pub model: usize,
    /// The model's series key columns; the segment is one of them.
    pub keys: Vec<String>,
    pub segment: usize,
    pub by: Period,
    /// The segment opened with Enter.
    pub opened: Option<String>,
    pub table: TableState,
    pub running: bool,
    asked: Option<MonitorRequest>,
    /// Every segment's report (the table), and the opened segment's.
    pub report: Option<MonitorReport>,
    pub detail: Option<MonitorReport>,
    pub message: Option<(bool, String)>,
}

impl MonitorTab {
    pub fn new(_ctx: &PaneContext<'_>) -> Self {
        Self {
            split: crate::tui::widgets::split::Split::new(55),
            models: Vec::new(),
            model: 0,
            keys: Vec::new(),
            segment: 0,
            by: Period::Week,
            opened: None,
            table: TableState::default(),
            running: false,
            asked: None,
            report: None,
            detail: None,
            message: None,
        }
    }

    fn read_models(&mut self, store: &RunStore) {
        let mut names: Vec<String> = store
            .model_versions(None)
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.model_name)
            .collect();
        names.sort();
        names.dedup();
        let current = self.models.get(self.model).cloned();
        self.models = names;
        self.model = current
            .and_then(|c| self.models.iter().position(|m| *m == c))
            .unwrap_or(0);
        self.keys = self
            .models
            .get(self.model)
            .and_then(|name| {
                crate::registry::resolve(store, &crate::registry::ModelRef::Latest(name.clone()))
                    .ok()
            })
            .and_then(|v| {
                serde_json::from_str::<crate::ml::signature::Signature>(&v.signature_json).ok()
            })
            .and_then(|s| s.derived.map(|l| l.groups))
            .unwrap_or_default();
        self.segment = self.segment.min(self.keys.len().saturating_sub(1));
    }

    /// The request the tab describes.
    pub fn request(&self) -> Option<MonitorRequest> {
        let model = self.models.get(self.model)?;
        Some(MonitorRequest {
            by: self.by,
            segment: self.keys.get(self.segment).cloned(),
            segment_value: self.opened.clone(),
            ..MonitorRequest::new(model)
        })
    }

    fn rerun(&mut self, html: Option<PathBuf>) -> Vec<Action> {
        let Some(request) = self.request() else {
            self.message = Some((false, "no registered model yet".into()));
            return Vec::new();
        };
        self.running = true;
        self.asked = Some(request.clone());
        vec![Action::Run(Job::Monitor { request, html })]
    }

    /// The segment under the cursor.
    fn selected_segment(&self) -> Option<String> {
        let report = self.report.as_ref()?;
        report
            .segments
            .get(self.table.selected()?)
            .map(|s| s.value.clone())
    }

    fn report_path(&self, ctx: &PaneContext<'_>) -> Option<PathBuf> {
        let model = self.models.get(self.model)?;
        let mut name = format!("monitor-{model}");
        if let Some(value) = &self.opened {
            name.push('-');
            name.push_str(value);
        }
        let name: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        Some(ctx.project.reports_dir().join(format!("{name}.html")))
    }
}

fn consumed_with(actions: Vec<Action>) -> EventState {
    match actions.into_iter().next() {
        Some(action) => EventState::action(action),
        None => EventState::Consumed,
    }
}

impl Component for MonitorTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        let Some(command) = ctx.keys.lookup(&MONITOR_KEYS, key) else {
            return EventState::NotConsumed;
        };
        let segments = self.report.as_ref().map_or(0, |r| r.segments.len());
        let actions = match command {
            MonitorCommand::Down | MonitorCommand::Up if self.opened.is_none() => {
                let step = if command == MonitorCommand::Down {
                    CursorMove::Down
                } else {
                    CursorMove::Up
                };
                move_cursor(&mut self.table, segments, step);
                Vec::new()
            }
            MonitorCommand::Down | MonitorCommand::Up => Vec::new(),
            MonitorCommand::Open => match self.selected_segment() {
                Some(value) if self.opened.is_none() => {
                    self.opened = Some(value);
                    self.rerun(None)
                }
                _ => Vec::new(),
            },
            MonitorCommand::Back => {
                if self.opened.take().is_none() {
                    return EventState::NotConsumed;
                }
                self.detail = None;
                Vec::new()
            }
            MonitorCommand::NextModel if self.models.len() < 2 => {
                self.message = Some((false, "only one registered model".into()));
                Vec::new()
            }
            MonitorCommand::NextModel => {
                self.read_models(ctx.store);
                if !self.models.is_empty() {
                    self.model = (self.model + 1) % self.models.len();
                }
                self.read_models(ctx.store);
                self.opened = None;
                self.report = None;
                self.detail = None;
                self.rerun(None)
            }
            MonitorCommand::NextSegment => {
                if !self.keys.is_empty() {
                    self.segment = (self.segment + 1) % self.keys.len();
                }
                self.table.select(Some(0));
                self.opened = None;
                self.detail = None;
                self.rerun(None)
            }
            MonitorCommand::Period => {
                self.by = match self.by {
                    Period::Week => Period::Month,
                    Period::Month => Period::Day,
                    Period::Day => Period::Week,
                };
                self.rerun(None)
            }
            MonitorCommand::Report => {
                let path = self.report_path(ctx);
                self.rerun(path)
            }
            MonitorCommand::Reload => self.rerun(None),
        };
        consumed_with(actions)
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        match action {
            Action::MonitorDone { request, result } if self.asked.as_ref() == Some(request) => {
                self.running = false;
                self.asked = None;
                match result.as_ref() {
                    Ok((report, written)) => {
                        if request.segment_value.is_some() {
                            self.detail = Some(report.clone());
                        } else {
                            let len = report.segments.len();
                            let at = self.table.selected().unwrap_or(0).min(len.saturating_sub(1));
                            self.table.select((len > 0).then_some(at));
                            self.report = Some(report.clone());
                        }
                        self.message = written.as_ref().map(|path| {
                            let shown = std::path::Path::new(path)
                                .strip_prefix(&ctx.project.root)
                                .map_or(path.clone(), |p| p.display().to_string());
                            (false, format!("wrote {shown}"))
                        });
                    }
                    Err(e) => self.message = Some((true, e.clone())),
                }
            }
            Action::Written { write, .. } if write.touches_models() => self.read_models(ctx.store),
            _ => {}
        }
        Vec::new()
    }

    /// New actuals may have arrived since the tab was last shown.
    fn on_show(&mut self, ctx: &PaneContext<'_>) -> Vec<Action> {
        self.read_models(ctx.store);
        if self.running {
            return Vec::new();
        }
        self.rerun(None)
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx);
    }

    fn resize(&mut self, wider: bool) -> bool {
        self.split.resize(wider)
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        keys.help(&MONITOR_KEYS)
    }

    fn is_busy(&self) -> bool {
        self.running
    }

    fn title(&self) -> &'static str {
        "Monitor"
    }
}
