//! Drawing the Runs pane's table: the filter line (with a caret under a mistake), the runs with
//! marks, status colours, metric columns and the sort column's arrow, and the input or question
//! line. The run view is drawn by `run_view.rs`.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Wrap};

use super::{InputKind, RUNS_KEYS, RunsCommand, RunsTab};
use crate::tui::component::RenderContext;
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::chart_grid::GRID_KEYS;
use crate::tui::widgets::table::DataTable;
use crate::tui::widgets::text_input::{INPUT_KEYS, InputCommand};
use crate::store::{MetricValue, Run, RunStatus, SortKey};
use crate::text::{clean, num_text};
use crate::tui::theme::Theme;

impl RunsTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        render(self, frame, area, ctx);
    }
}

fn render(tab: &mut RunsTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let (theme, keys) = (ctx.theme, ctx.keys);
    let [body, message_area] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(1)]).areas(area);
    if tab.open.is_some() {
        tab.draw_run(frame, body, ctx);
    } else {
        render_list(tab, frame, body, ctx);
    }
    let line = match &tab.input {
        Some(input) => {
            let mut spans = vec![Span::styled(format!("{} ", input.prompt()), theme.key)];
            spans.extend(input.line.spans(theme).spans);
            spans.push(Span::styled(
                format!(
                    "  {}",
                    keys.hint(
                        &INPUT_KEYS,
                        &[(InputCommand::Accept, "applies"), (InputCommand::Cancel, "leaves")]
                    )
                ),
                theme.dim,
            ));
            Line::from(spans)
        }
        None => Line::styled(
            clean(&tab.message.clone().unwrap_or_else(|| {
                if tab.open.is_some() && tab.detail.study.is_none() {
                    let beside = |command| keys.key_for_beside(&RUNS_KEYS, command, &GRID_KEYS);
                    format!(
                        "{} back · {} cancel · {} pin · {} · ? all keys",
                        keys.key_for(&RUNS_KEYS, RunsCommand::Back),
                        beside(RunsCommand::Cancel),
                        beside(RunsCommand::Pin),
                        tab.grid.hint(keys)
                    )
                } else if tab.open.is_some() {
                    keys.hint(
                        &RUNS_KEYS,
                        &[
                            (RunsCommand::Back, "back to the list"),
                            (RunsCommand::Cancel, "cancel"),
                            (RunsCommand::Rename, "rename"),
                            (RunsCommand::Tag, "tag"),
                            (RunsCommand::Note, "note"),
                        ],
                    )
                } else {
                    keys.hint(
                        &RUNS_KEYS,
                        &[
                            (RunsCommand::Open, "open"),
                            (RunsCommand::Filter, "filter"),
                            (RunsCommand::Sort, "sort"),
                            (RunsCommand::Mark, "mark"),
                            (RunsCommand::Compare, "compare"),
                        ],
                    ) + " · ? all keys"
                }
            })),
            if tab.confirm.is_some() {
                theme.warning
            } else {
                theme.dim
            },
        ),
    };
    frame.render_widget(Paragraph::new(line), message_area);
}

pub fn status_style(status: RunStatus, theme: &Theme) -> Style {
    match status {
        RunStatus::Finished => theme.ok,
        RunStatus::Failed => theme.error,
        RunStatus::Killed => theme.warning,
        RunStatus::Queued | RunStatus::Running => theme.key,
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Wall time of a run: start to end, or to now while it runs.
pub fn duration_text(run: &Run) -> String {
    let Some(start) = run.started_at.as_deref().and_then(parse_time) else {
        return "-".into();
    };
    // An ended run without an end time (imported from a tracker that had none) has no duration.
    if run.ended_at.is_none() && run.status.is_terminal() {
        return "-".into();
    }
    let end = run
        .ended_at
        .as_deref()
        .and_then(parse_time)
        .unwrap_or_else(Utc::now);
    seconds_text((end - start).num_milliseconds() as f64 / 1000.0)
}

pub fn seconds_text(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else if seconds < 3600.0 {
        format!("{}m{:02}s", (seconds / 60.0) as u64, seconds as u64 % 60)
    } else {
        format!(
            "{}h{:02}m",
            (seconds / 3600.0) as u64,
            (seconds as u64 / 60) % 60
        )
    }
}

fn header_cell(label: &str, key: &SortKey, tab: &RunsTab) -> String {
    if tab.sort.key == *key {
        format!("{label} {}", if tab.sort.descending { "▼" } else { "▲" })
    } else {
        label.to_string()
    }
}

/// The filter line: what is applied, the experiment, marks; under a mistake, a caret and why;
/// under it, the selected run's word from Slurm when it is on the scheduler.
fn filter_lines(tab: &RunsTab, theme: &Theme) -> Vec<Line<'static>> {
    let typed = match &tab.input {
        Some(input) if input.kind == InputKind::Filter => Some(input.text().to_string()),
        _ => None,
    };
    let text = typed.clone().unwrap_or_else(|| tab.filter_text.clone());
    let experiment = tab
        .experiment
        .and_then(|i| tab.experiments.get(i))
        .map_or("all experiments".to_string(), |e| {
            format!("experiment {}", clean(e))
        });
    let mut first = vec![Span::styled("filter ", theme.header)];
    if text.is_empty() {
        first.push(Span::styled("(none: / to type one)", theme.dim));
    } else {
        first.push(Span::raw(clean(&text)));
    }
    first.push(Span::styled(
        format!(
            "   {experiment} · {} marked{} · metrics: {}",
            tab.marked.len(),
            tab.pinned
                .map_or(String::new(), |id| format!(" · ◆ run {id} pinned")),
            match tab.metric_value {
                MetricValue::Last => "last value".to_string(),
                MetricValue::Best => "best value".to_string(),
                MetricValue::AtStep(step) => format!("value at step {step}"),
            }
        ),
        theme.dim,
    ));

    let mut lines = vec![Line::from(first)];
    if let Some(error) = &tab.filter_error {
        lines.push(Line::from(vec![
            Span::raw(" ".repeat("filter ".len() + error.column.saturating_sub(1))),
            Span::styled(format!("^ {}", clean(&error.message)), theme.error),
        ]));
    } else if let Some(warning) = &tab.filter_warning {
        lines.push(Line::styled(format!("⚠ {}", clean(warning)), theme.warning));
    }
    // The selected run's word from Slurm in full, whatever room its table cell has.
    if let Some(row) = tab.selected()
        && let (Some(job), Some(queue)) = (&row.run.slurm_job_id, tab.slurm.describe(&row.run))
    {
        lines.push(Line::styled(
            format!(
                "run {} · slurm job {}: {}",
                row.run.id,
                clean(job),
                clean(&queue)
            ),
            theme.warning,
        ));
    }
    lines
}

fn render_list(tab: &mut RunsTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let (theme, spin, keys) = (ctx.theme, ctx.spinner, ctx.keys);
    let filter = filter_lines(tab, theme);
    let [filter_area, table_area] =
        Layout::vertical([Constraint::Length(filter.len() as u16), Constraint::Min(3)]).areas(area);
    frame.render_widget(Paragraph::new(filter), filter_area);
    if tab.rows.is_empty() {
        let text = if tab.filter.is_some() || tab.experiment.is_some() {
            format!(
                "No run matches. {} clears the filter; {} changes the experiment.",
                keys.key_for(&RUNS_KEYS, RunsCommand::Back),
                keys.key_for(&RUNS_KEYS, RunsCommand::Experiment)
            )
        } else {
            "No run yet. Launch one from the Train tab (2), or `shelfcast train --data FILE \
             --target COLUMN`."
                .to_string()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.dim))
                .wrap(Wrap { trim: true })
                .block(block("Runs", true, theme)),
            table_area,
        );
        return;
    }
    let mut header = vec![
        " ".to_string(),
        header_cell("id", &SortKey::Id, tab),
        header_cell("status", &SortKey::Status, tab),
        header_cell("experiment", &SortKey::Experiment, tab),
        header_cell("name", &SortKey::Name, tab),
        header_cell("model", &SortKey::Model, tab),
        "dataset".to_string(),
    ];
    for metric in &tab.metric_columns {
        header.push(header_cell(metric, &SortKey::Metric(metric.clone()), tab));
    }
    header.push(header_cell("duration", &SortKey::Duration, tab));
    header.push(header_cell("created UTC", &SortKey::Created, tab));
    // Room for the scheduler's word in each row ("queued · PENDING (Resources)") on a wide
    // terminal; a narrow one shows PENDING, and the selected run's reason on the filter line.
    let wide = table_area.width >= 140;
    let rows: Vec<Row<'_>> = tab
        .rows
        .iter()
        .map(|row| {
            let run = &row.run;
            let mut status = if run.status.is_terminal() {
                run.status.as_str().to_string()
            } else if row.last_step.is_some() {
                format!(
                    "{spin} {} {}",
                    run.status.as_str(),
                    row.last_step.unwrap_or(0) + 1
                )
            } else {
                format!("{spin} {}", run.status.as_str())
            };
            if let Some(queue) = tab.slurm.describe(run) {
                status = if wide {
                    format!("{status} · {}", clean(&queue))
                } else if queue.starts_with("PENDING") {
                    // The reason is on the filter line for the selected run.
                    format!("{spin} PENDING")
                } else {
                    status
                };
            }
            let mark = match (tab.marked.contains(&run.id), tab.pinned == Some(run.id)) {
                (true, true) => "◈",
                (false, true) => "◆",
                (true, false) => "●",
                (false, false) => " ",
            };
            let mut cells = vec![
                Cell::from(Span::styled(mark, theme.key)),
                Cell::from(run.id.to_string()),
                Cell::from(Span::styled(status, status_style(run.status, theme))),
                Cell::from(clean(&run.experiment)),
                Cell::from(clean(&run.name)),
                Cell::from(run.model_kind.clone()),
                Cell::from(clean(row.dataset.as_deref().unwrap_or("-"))),
            ];
            for value in &row.metrics {
                cells.push(Cell::from(value.map_or("-".to_string(), num_text)));
            }
            cells.push(Cell::from(duration_text(run)));
            // Month, day and minute: the year and seconds rarely tell runs apart.
            cells.push(Cell::from(
                run.created_at
                    .get(5..16)
                    .unwrap_or(&run.created_at)
                    .replace('T', " "),
            ));
            Row::new(cells)
        })
        .collect();
    let status_width = if wide && tab.rows.iter().any(|r| tab.slurm.describe(&r.run).is_some()) {
        34
    } else {
        10
    };
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(status_width),
        Constraint::Length(10),
        Constraint::Min(12),
        Constraint::Length(8),
        Constraint::Length(14),
    ];
    widths.extend(tab.metric_columns.iter().map(|_| Constraint::Length(10)));
    widths.extend([Constraint::Length(8), Constraint::Length(11)]);
    DataTable::new(rows, widths)
        .header(Row::new(header))
        .title(format!("Runs ({})", tab.rows.len()), true)
        .render(frame, table_area, theme, &mut tab.table);
}
