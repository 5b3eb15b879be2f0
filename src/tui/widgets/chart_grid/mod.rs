//! The one metrics grid (the run view's and Compare's): every series in small charts at once,
//! on the same x axis (step or time), `c` / `r` for the columns and rows (automatic from the
//! terminal size until chosen), `/` to filter the charts by name, Enter to make the focused
//! chart big, and the chart modes — log-Y per chart, smoothing, zoom to a range and back, and a
//! readout under a cursor moved point by point with ← →, with the best point of each line marked.
//! A pinned reference run is one more line of each chart, drawn dim.
//!
//! The panes build the panels (which run's series go in which chart) every frame from the
//! series they hold; this keeps the modes and draws (`draw.rs`). The arithmetic of a line is the
//! core's (`compare::chart`).

mod draw;

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Style;

use crate::compare::chart::{
    CursorMove, RunSeries, XAxis, page_points, step_cursor, x_range, zoom_in,
};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::widgets::text_input::{INPUT_KEYS, InputOutcome, TextInput};

/// The most columns or rows a grid is set to.
const MAX_CELLS: u16 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridCommand {
    NextChart,
    PreviousChart,
    Big,
    Columns,
    Rows,
    Filter,
    LogY,
    Smooth,
    TimeAxis,
    CursorLeft,
    CursorRight,
    CursorPageLeft,
    CursorPageRight,
    CursorFirst,
    CursorLast,
    ZoomIn,
    ZoomReset,
    Leave,
}

key_table! {
    pub GRID_KEYS: GridCommand = "charts" {
        next_chart: [KeySpec::char(']'), KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => GridCommand::NextChart, "charts: focus the next chart";
        previous_chart: [KeySpec::char('['), KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => GridCommand::PreviousChart, "charts: focus the previous chart";
        big: [KeySpec::plain(KeyCode::Enter)] => GridCommand::Big, "charts: the focused chart big, or the grid again";
        columns: [KeySpec::char('c')] => GridCommand::Columns, "charts: columns 1, 2, 3, 4, then as the terminal fits";
        rows: [KeySpec::char('r')] => GridCommand::Rows, "charts: rows 1, 2, 3, 4, then as the terminal fits";
        filter: [KeySpec::char('/')] => GridCommand::Filter, "charts: only those whose name holds the text";
        log_y: [KeySpec::char('y')] => GridCommand::LogY, "charts: log scale on the focused chart's y axis, or linear";
        smooth: [KeySpec::char('s')] => GridCommand::Smooth, "charts: smoothing on or off";
        time_axis: [KeySpec::char('t')] => GridCommand::TimeAxis, "charts: x axis by step or by wall time";
        cursor_left: [KeySpec::plain(KeyCode::Left)] => GridCommand::CursorLeft, "charts: readout cursor one point back";
        cursor_right: [KeySpec::plain(KeyCode::Right)] => GridCommand::CursorRight, "charts: readout cursor one point on";
        cursor_page_left: [KeySpec::plain(KeyCode::PageUp)] => GridCommand::CursorPageLeft, "charts: readout cursor a tenth of the points back";
        cursor_page_right: [KeySpec::plain(KeyCode::PageDown)] => GridCommand::CursorPageRight, "charts: readout cursor a tenth of the points on";
        cursor_first: [KeySpec::plain(KeyCode::Home)] => GridCommand::CursorFirst, "charts: readout cursor at the first point";
        cursor_last: [KeySpec::plain(KeyCode::End)] => GridCommand::CursorLast, "charts: readout cursor at the last point";
        zoom_in: [KeySpec::char('z')] => GridCommand::ZoomIn, "charts: zoom to half the range, about the cursor";
        zoom_reset: [KeySpec::char('Z')] => GridCommand::ZoomReset, "charts: the whole range again";
        leave: [KeySpec::plain(KeyCode::Esc)] => GridCommand::Leave, "charts: drop the cursor, then the big chart";
    }
}

/// One line of a chart: a series of one run.
pub struct ChartLine<'a> {
    pub runs: &'a RunSeries,
    pub key: &'a str,
    pub label: String,
    pub style: Style,
    /// The pinned reference run's line.
    pub reference: bool,
}

/// One chart of the grid.
pub struct ChartPanel<'a> {
    /// What the filter matches and log-Y is remembered by.
    pub name: String,
    pub title: String,
    pub lines: Vec<ChartLine<'a>>,
}

/// The grid's modes, kept by the pane that shows it.
#[derive(Clone, Debug, Default)]
pub struct ChartGrid {
    /// Chosen columns and rows (`None`: as the area fits).
    pub columns: Option<u16>,
    pub rows: Option<u16>,
    pub filter: String,
    /// The filter while it is typed (applied as it is typed).
    pub filter_input: Option<TextInput>,
    /// Index of the focused chart among those the filter keeps.
    pub focus: usize,
    pub big: bool,
    /// Charts (by name) drawn on a log scale.
    pub log_y: BTreeSet<String>,
    pub smoothed: bool,
    pub axis: XAxis,
    /// The x range shown (`None`: all of it), the same for every chart.
    pub zoom: Option<(f64, f64)>,
    /// The readout cursor's x, the same for every chart.
    pub cursor: Option<f64>,
    /// What the last key could not do.
    pub note: Option<String>,
}

/// What a key did to the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridOutcome {
    Consumed,
    NotConsumed,
}

impl ChartGrid {
    pub fn captures_text(&self) -> bool {
        self.filter_input.is_some()
    }

    /// The filter in force (the one being typed, as it is typed).
    pub fn filter_text(&self) -> &str {
        self.filter_input
            .as_ref()
            .map_or(self.filter.as_str(), |i| i.text())
    }

    /// The panels the filter keeps, by index.
    pub fn visible(&self, panels: &[ChartPanel<'_>]) -> Vec<usize> {
        let filter = self.filter_text().to_lowercase();
        panels
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                filter.is_empty()
                    || p.name.to_lowercase().contains(&filter)
                    || p.title.to_lowercase().contains(&filter)
                    || p.lines
                        .iter()
                        .any(|l| l.key.to_lowercase().contains(&filter))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The focused panel's index in `panels`.
    pub fn focused(&self, panels: &[ChartPanel<'_>]) -> Option<usize> {
        let visible = self.visible(panels);
        visible
            .get(self.focus.min(visible.len().saturating_sub(1)))
            .copied()
    }

    pub fn is_log(&self, panel: &ChartPanel<'_>) -> bool {
        self.log_y.contains(&panel.name)
    }

    /// Handles `key` with the grid's keys (the filter's line editor while it is typed).
    pub fn handle_key(
        &mut self,
        key: &KeyEvent,
        keys: &Keymap,
        panels: &[ChartPanel<'_>],
    ) -> GridOutcome {
        if let Some(input) = self.filter_input.as_mut() {
            match input.handle_key(key, keys) {
                InputOutcome::Accepted => {
                    self.filter = input.text().trim().to_string();
                    self.filter_input = None;
                }
                InputOutcome::Cancelled => self.filter_input = None,
                InputOutcome::Edited | InputOutcome::Ignored => {}
            }
            self.focus = 0;
            return GridOutcome::Consumed;
        }
        match keys.lookup(&GRID_KEYS, key) {
            Some(command) => self.command(command, panels),
            None => GridOutcome::NotConsumed,
        }
    }

    pub fn command(&mut self, command: GridCommand, panels: &[ChartPanel<'_>]) -> GridOutcome {
        self.note = None;
        let count = self.visible(panels).len();
        let focused = self.focused(panels).and_then(|i| panels.get(i));
        // The focused chart's longest line leads the cursor and the zoom (in Compare, the run
        // that went furthest).
        let lead = focused.and_then(|p| {
            p.lines
                .iter()
                .max_by_key(|l| l.runs.series.get(l.key).map_or(0, |c| c.steps.len()))
        });
        match command {
            GridCommand::NextChart if count > 0 => self.focus = (self.focus + 1) % count,
            GridCommand::PreviousChart if count > 0 => {
                self.focus = (self.focus.min(count - 1) + count - 1) % count
            }
            GridCommand::NextChart | GridCommand::PreviousChart => {}
            GridCommand::Big if count > 0 => self.big = !self.big,
            GridCommand::Big => {}
            GridCommand::Columns => self.columns = next_count(self.columns),
            GridCommand::Rows => self.rows = next_count(self.rows),
            GridCommand::Filter => self.filter_input = Some(TextInput::new(self.filter.clone())),
            GridCommand::LogY => match focused {
                Some(panel) if !self.log_y.remove(&panel.name) => {
                    self.log_y.insert(panel.name.clone());
                }
                _ => {}
            },
            GridCommand::Smooth => self.smoothed = !self.smoothed,
            GridCommand::TimeAxis => {
                self.axis = match self.axis {
                    XAxis::Step => XAxis::Time,
                    XAxis::Time => XAxis::Step,
                };
                // A range of steps is no range of seconds.
                self.zoom = None;
                self.cursor = None;
            }
            GridCommand::CursorLeft
            | GridCommand::CursorRight
            | GridCommand::CursorPageLeft
            | GridCommand::CursorPageRight
            | GridCommand::CursorFirst
            | GridCommand::CursorLast => match lead {
                Some(line) => {
                    let page = page_points(line.runs, line.key);
                    let by = match command {
                        GridCommand::CursorLeft => CursorMove::Points(-1),
                        GridCommand::CursorRight => CursorMove::Points(1),
                        GridCommand::CursorPageLeft => CursorMove::Points(-page),
                        GridCommand::CursorPageRight => CursorMove::Points(page),
                        GridCommand::CursorFirst => CursorMove::First,
                        _ => CursorMove::Last,
                    };
                    self.cursor =
                        step_cursor(line.runs, line.key, self.axis, self.zoom, self.cursor, by);
                }
                None => self.note = Some("no chart to read".into()),
            },
            GridCommand::ZoomIn => {
                let range = self
                    .zoom
                    .or_else(|| lead.and_then(|l| x_range(l.runs, l.key, self.axis)));
                match range.and_then(|r| zoom_in(r, self.cursor, self.axis)) {
                    Some(zoom) => self.zoom = Some(zoom),
                    None => self.note = Some("zoomed in as far as it goes".into()),
                }
            }
            GridCommand::ZoomReset => self.zoom = None,
            GridCommand::Leave if self.cursor.is_some() => self.cursor = None,
            GridCommand::Leave if self.big => self.big = false,
            GridCommand::Leave => return GridOutcome::NotConsumed,
        }
        GridOutcome::Consumed
    }

    /// The grid's keys for the help overlay (the filter's editor while it is typed).
    pub fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        if self.filter_input.is_some() {
            keys.help(&INPUT_KEYS)
        } else {
            keys.help(&GRID_KEYS)
        }
    }

    /// The footer hint of the grid's main keys.
    pub fn hint(&self, keys: &Keymap) -> String {
        keys.hint(
            &GRID_KEYS,
            &[
                (GridCommand::NextChart, "chart"),
                (GridCommand::Big, "big"),
                (GridCommand::Columns, ""),
                (GridCommand::Rows, "grid"),
                (GridCommand::Filter, "filter"),
                (GridCommand::LogY, "log"),
                (GridCommand::Smooth, "smooth"),
                (GridCommand::CursorLeft, ""),
                (GridCommand::CursorRight, "readout"),
                (GridCommand::ZoomIn, "zoom"),
                (GridCommand::TimeAxis, "time"),
            ],
        )
    }
}

/// 1, 2, 3, 4, then automatic again.
fn next_count(count: Option<u16>) -> Option<u16> {
    match count {
        None => Some(1),
        Some(n) if n < MAX_CELLS => Some(n + 1),
        Some(_) => None,
    }
}
