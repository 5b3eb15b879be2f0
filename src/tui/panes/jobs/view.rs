//! Drawing the Jobs tab: the daemon's line, the schedules, the job runs, an opened job run's
//! record and log, and the line of messages.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Wrap};

use super::{JOBS_KEYS, JobsCommand, JobsTab};
use crate::schedule::trigger::{duration_text, local_text};
use crate::store::{JobRunRow, JobState};
use crate::text::{clean, truncate};
use crate::tui::component::RenderContext;
use crate::tui::theme::Theme;
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::table::DataTable;

impl JobsTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        let theme = ctx.theme;
        let [head, body, message] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(6),
            Constraint::Length(1),
        ])
        .areas(area);
        let now = chrono::Utc::now().timestamp_millis();
        let head_line = match &self.daemon {
            Some(lock) => Line::styled(
                format!(
                    " daemon on: pid {}, up {}",
                    lock.pid,
                    duration_text(((now - lock.started_ms) / 1000).max(0) as u64)
                ),
                theme.ok,
            ),
            None => Line::styled(
                format!(
                    " daemon off: schedules do not fire until it runs ({} starts it)",
                    ctx.keys.key_for(&JOBS_KEYS, JobsCommand::StartDaemon)
                ),
                theme.warning,
            ),
        };
        frame.render_widget(Paragraph::new(head_line), head);
        if let Some((run, lines)) = &self.opened {
            draw_opened(run, lines, frame, body, theme);
        } else {
            let [top, bottom] = self.split.areas_vertical(body);
            self.draw_schedules(frame, top, theme);
            self.draw_runs(frame, bottom, theme);
        }
        let line = match &self.message {
            Some(text) => Line::from(clean(text)),
            None => Line::styled(
                ctx.keys.hint(
                    &JOBS_KEYS,
                    &[
                        (JobsCommand::Switch, "schedules / runs"),
                        (JobsCommand::RunNow, "run now"),
                        (JobsCommand::Pause, "pause"),
                        (JobsCommand::Open, "open"),
                        (JobsCommand::Retry, "retry"),
                    ],
                ),
                theme.dim,
            ),
        };
        frame.render_widget(Paragraph::new(line), message);
    }

    fn draw_schedules(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let rows: Vec<Row> = self
            .schedules
            .iter()
            .map(|s| {
                Row::new(vec![
                    Cell::from(clean(&s.row.name)),
                    Cell::from(truncate(&clean(&s.trigger), 30)),
                    Cell::from(truncate(&clean(&s.job), 40)),
                    Cell::from(if s.row.paused {
                        "paused".to_string()
                    } else {
                        s.next.clone().unwrap_or_else(|| "on event".into())
                    }),
                    Cell::from(s.last_state.map_or("never run", JobState::as_str)),
                ])
            })
            .collect();
        DataTable::new(
            rows,
            [
                Constraint::Length(14),
                Constraint::Length(30),
                Constraint::Min(20),
                Constraint::Length(24),
                Constraint::Length(10),
            ],
        )
        .header(Row::new(vec!["schedule", "trigger", "job", "next fire", "last"]))
        .title(
            format!("Schedules ({})", self.schedules.len()),
            !self.on_runs,
        )
        .render(frame, area, theme, &mut self.schedule_table);
    }

    fn draw_runs(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let rows: Vec<Row> = self
            .runs
            .iter()
            .map(|r| {
                let style = match r.state {
                    JobState::Failed => theme.error,
                    JobState::Succeeded => theme.ok,
                    JobState::Running => theme.warning,
                    JobState::Queued | JobState::Skipped => theme.dim,
                };
                Row::new(vec![
                    Cell::from(r.id.to_string()),
                    Cell::from(clean(r.schedule_name.as_deref().unwrap_or("-"))),
                    Cell::from(r.kind.clone()),
                    Cell::from(ratatui::text::Span::styled(r.state.as_str(), style)),
                    Cell::from(r.attempt.to_string()),
                    Cell::from(took(r)),
                    Cell::from(truncate(&clean(&outcome(r)), 70)),
                ])
            })
            .collect();
        DataTable::new(
            rows,
            [
                Constraint::Length(5),
                Constraint::Length(14),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(3),
                Constraint::Length(8),
                Constraint::Min(20),
            ],
        )
        .header(Row::new(vec![
            "id", "schedule", "job", "state", "#", "took", "produced / why",
        ]))
        .title(format!("Job runs ({})", self.runs.len()), self.on_runs)
        .render(frame, area, theme, &mut self.run_table);
    }
}

fn took(run: &JobRunRow) -> String {
    match (run.started_ms, run.ended_ms) {
        (Some(s), Some(e)) => format!("{:.1}s", (e - s).max(0) as f64 / 1000.0),
        (Some(_), None) => "running".into(),
        _ => "-".into(),
    }
}

/// What a job run produced, or why it failed or was skipped.
fn outcome(run: &JobRunRow) -> String {
    if let Some(reason) = &run.reason
        && run.state != JobState::Succeeded
    {
        return reason.clone();
    }
    let Some(json) = &run.produced_json else {
        return run.input_path.clone().unwrap_or_default();
    };
    let produced: crate::schedule::job::Produced = serde_json::from_str(json).unwrap_or_default();
    let mut parts = Vec::new();
    if !produced.runs.is_empty() {
        parts.push(format!(
            "run {}",
            produced
                .runs
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(drifted) = produced.drifted {
        parts.push(if drifted { "drift".into() } else { "no drift".into() });
    }
    parts.extend(produced.forecast.map(|id| format!("forecast {id}")));
    parts.extend(produced.reports.iter().cloned());
    parts.extend(produced.decision.clone());
    parts.join(" · ")
}

fn draw_opened(run: &JobRunRow, lines: &[String], frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let at = |ms: Option<i64>| ms.map_or("-".to_string(), |m| local_text(m, "UTC"));
    let mut text = vec![
        Line::styled(
            format!(
                "job run {} of {} · {} · {} · attempt {}",
                run.id,
                clean(run.schedule_name.as_deref().unwrap_or("-")),
                run.kind,
                run.state.as_str(),
                run.attempt
            ),
            theme.header,
        ),
        Line::from(format!(
            "slot {} · started {} · ended {} · took {}",
            at(run.slot_ms),
            at(run.started_ms),
            at(run.ended_ms),
            took(run)
        )),
    ];
    if let Some(input) = &run.input_path {
        text.push(Line::from(format!("file: {}", clean(input))));
    }
    let said = outcome(run);
    if !said.is_empty() {
        text.push(Line::from(clean(&said)));
    }
    text.push(Line::from(""));
    text.push(Line::styled("the daemon's log:", theme.dim));
    text.extend(lines.iter().map(|l| Line::from(l.clone())));
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(block("Job run", true, theme)),
        area,
    );
}
