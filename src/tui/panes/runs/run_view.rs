//! Drawing one run's live view: the metrics grid, progress gauge with ETA, log tail, final
//! metrics with what the run cost the box, and importances.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

use super::view::{duration_text, seconds_text, status_style};
use super::{RunDetail, RunsTab};
use crate::compare::chart::RunSeries;
use crate::jobs::sysmetrics::{CPU_PERCENT, PEAK_RSS_MB, RSS_MB};
use crate::tui::component::RenderContext;
use crate::tui::widgets::pane_block as block;
use crate::ml::train::Evaluation;
use crate::store::{Run, RunStatus};
use crate::text::{clean, num_text, truncate};
use crate::tui::theme::Theme;

impl RunsTab {
    /// The open run: its study view, or the run view with the metrics grid.
    pub(super) fn draw_run(&self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        let (theme, spin) = (ctx.theme, ctx.spinner);
        let detail = &self.detail;
        let Some(run) = &detail.run else {
            let text = detail
                .load_error
                .clone()
                .unwrap_or_else(|| format!("{spin} loading…"));
            frame.render_widget(
                Paragraph::new(Line::styled(text, theme.error)).block(block("Run", true, theme)),
                area,
            );
            return;
        };
        if let Some(study) = &detail.study {
            super::study_view::render_study(run, study, self.study_chart, frame, area, theme);
            return;
        }
        let [header_area, middle, gauge_area, bottom] = Layout::vertical([
            Constraint::Length(if run.error.is_some() { 3 } else { 2 }),
            Constraint::Min(8),
            Constraint::Length(1),
            Constraint::Length(9),
        ])
        .areas(area);
        let slurm = run.slurm_job_id.as_ref().map(|job| {
            match self.slurm.describe(run) {
                Some(state) => format!("  slurm job {job}: {state}"),
                None => format!("  slurm job {job}"),
            }
        });
        render_header(run, detail, slurm.unwrap_or_default(), frame, header_area, theme, spin);
        // The readout line spans the width: a run and its pinned reference, each value with its best.
        let [middle, readout_area] =
            Layout::vertical([Constraint::Min(7), Constraint::Length(1)]).areas(middle);
        let [chart_area, side_area] = self.split.areas(middle);
        let empty = match run.status {
            status if status.is_terminal() => {
                format!("no step was logged: the run {}", status.as_str())
            }
            _ => "waiting for the first step…".to_string(),
        };
        let planned = detail.planned_steps.map(|p| p as f64);
        self.grid.render_in(
            frame,
            chart_area,
            readout_area,
            &self.panels(theme),
            planned,
            &empty,
            theme,
        );
        render_metrics(detail, self.series.as_ref(), frame, side_area, theme);
        render_gauge(run, detail, frame, gauge_area, theme);
        let [log_area, importance_area] = self.split.areas(bottom);
        render_log(detail, frame, log_area, theme);
        render_importance(detail, frame, importance_area, theme);
    }
}

fn param<'a>(detail: &'a RunDetail, key: &str) -> &'a str {
    detail
        .params
        .iter()
        .find(|(k, _)| k == key)
        .map_or("-", |(_, v)| v.as_str())
}

fn render_header(
    run: &Run,
    detail: &RunDetail,
    slurm: String,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    spin: char,
) {
    let by = crate::store::Launcher::describe(run.launched_by.as_deref(), run.launched_on.as_deref())
        .map_or(String::new(), |who| format!("  by {}", clean(&who)));
    let live = if run.status.is_terminal() {
        String::new()
    } else {
        format!("{spin} ")
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("run {} ", run.id), theme.title),
            Span::raw(clean(&run.name)),
            Span::raw("  "),
            Span::styled(
                format!("{live}{}", run.status.as_str()),
                status_style(run.status, theme),
            ),
            Span::styled(format!("  {}{by}{}", duration_text(run), clean(&slurm)), theme.dim),
        ]),
        Line::styled(
            format!(
                "{} · {} · target {} · split {} · experiment {}",
                run.model_kind,
                run.task.replace('_', " "),
                clean(param(detail, "target")),
                clean(param(detail, "split")),
                clean(&run.experiment)
            ),
            theme.dim,
        ),
    ];
    if let Some(error) = &run.error {
        let style = if run.status == RunStatus::Failed {
            theme.error
        } else {
            theme.warning
        };
        lines.push(Line::styled(clean(error), style));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn evaluation_rows(evaluation: &Evaluation) -> Vec<(&'static str, f64)> {
    evaluation.pairs()
}

fn render_metrics(
    detail: &RunDetail,
    series: Option<&RunSeries>,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    let mut lines = Vec::new();
    match &detail.metrics {
        Some(metrics) => {
            lines.push(Line::styled(
                format!("{:<10} {:>11} {:>11}", "metric", "validation", "train"),
                theme.header,
            ));
            let train = evaluation_rows(&metrics.train);
            for (name, value) in evaluation_rows(&metrics.validation) {
                let train_value = train
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or("-".to_string(), |(_, v)| num_text(*v));
                lines.push(Line::from(format!(
                    "{name:<10} {:>11} {train_value:>11}",
                    num_text(value)
                )));
            }
            match &metrics.validation {
                Evaluation::Regression(m) if m.mape_zero_targets_skipped > 0 => {
                    lines.push(Line::styled(
                        format!("MAPE skips {} zero target(s)", m.mape_zero_targets_skipped),
                        theme.dim,
                    ));
                }
                Evaluation::BinaryClassification(m) => {
                    let c = &m.confusion;
                    lines.push(Line::styled(
                        format!(
                            "at 0.5: TP {} FP {} TN {} FN {}",
                            c.true_positive, c.false_positive, c.true_negative, c.false_negative
                        ),
                        theme.dim,
                    ));
                }
                _ => {}
            }
            lines.extend(horizon_lines(metrics, theme));
        }
        None => {
            let last = |value: Option<f64>| value.map_or("-".into(), num_text);
            if detail.imported_metrics.is_empty() {
                lines.push(Line::styled("so far", theme.header));
                lines.push(Line::from(format!("train      {}", last(detail.last_train))));
                lines.push(Line::from(format!("validation {}", last(detail.last_valid))));
                lines.push(Line::from(""));
            }
            let ended = detail.run.as_ref().is_some_and(|r| r.status.is_terminal());
            if !detail.imported_metrics.is_empty() {
                lines.push(Line::styled("imported: each metric's last value", theme.header));
                for (key, value) in &detail.imported_metrics {
                    lines.push(Line::from(format!(
                        "{:<14} {}",
                        truncate(key, 14),
                        num_text(*value)
                    )));
                }
            } else {
                lines.push(Line::styled(
                    if ended {
                        "No final metrics: the run ended before its model was saved."
                    } else {
                        "Final metrics and importances appear when the run ends."
                    },
                    theme.dim,
                ));
            }
        }
    }
    lines.extend(system_lines(series, theme));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("Metrics", false, theme)),
        area,
    );
}

fn render_gauge(run: &Run, detail: &RunDetail, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let done = detail.steps_done;
    let planned = detail.planned_steps.unwrap_or(done.max(1)).max(1);
    let ratio = if run.status == RunStatus::Finished {
        1.0
    } else {
        (done as f64 / planned as f64).clamp(0.0, 1.0)
    };
    let eta = match (detail.step_span_ms, run.status.is_terminal()) {
        (Some(span), false) if done > 1 => {
            let per_step = span as f64 / 1000.0 / (done - 1) as f64;
            format!(
                " · ETA {}",
                seconds_text(per_step * planned.saturating_sub(done) as f64)
            )
        }
        _ => String::new(),
    };
    let label = format!("step {done} of {planned}{eta}");
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.gauge)
            .ratio(ratio)
            .label(label),
        area,
    );
}

fn render_log(detail: &RunDetail, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let height = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let start = detail.log_tail.len().saturating_sub(height);
    let lines: Vec<Line<'_>> = detail.log_tail[start..]
        .iter()
        .map(|l| Line::from(truncate(l, width)))
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block("worker log", false, theme)),
        area,
    );
}

fn render_importance(detail: &RunDetail, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let Some(metrics) = &detail.metrics else {
        frame.render_widget(
            Paragraph::new("").block(block("Importance", false, theme)),
            area,
        );
        return;
    };
    let height = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let name_width = (width / 2).clamp(6, 24);
    let bar_width = width.saturating_sub(name_width + 7);
    let top = metrics
        .importance
        .first()
        .map_or(1.0, |(_, v)| v.max(1e-12));
    let lines: Vec<Line<'_>> = metrics
        .importance
        .iter()
        .take(height)
        .map(|(name, share)| {
            let bar = "█".repeat(((share / top) * bar_width as f64).round() as usize);
            Line::from(vec![
                Span::raw(format!(
                    "{:<name_width$} ",
                    truncate(&clean(name), name_width)
                )),
                Span::styled(bar, theme.bar),
                Span::styled(format!(" {:.0}%", share * 100.0), theme.dim),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block(
            &format!("Importance ({})", metrics.importance_kind),
            false,
            theme,
        )),
        area,
    );
}

/// For a run validated recursively: what "validation" means, the one-step score beside it, the
/// seasonal naive baseline and the error along the horizon.
fn horizon_lines<'a>(metrics: &crate::ml::artifact::MetricsFile, theme: &Theme) -> Vec<Line<'a>> {
    let Some(horizon) = &metrics.horizon else {
        return Vec::new();
    };
    let wape = |e: &Evaluation| match e {
        Evaluation::Regression(m) => m.wape,
        Evaluation::BinaryClassification(_) => None,
    };
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}%"));
    let mut lines = vec![
        Line::from(""),
        Line::styled(
            format!(
                "validation: {} steps from the cut-off, recursive",
                horizon.horizon
            ),
            theme.header,
        ),
        Line::from(format!(
            "WAPE {} · one step ahead {}",
            pct(wape(&metrics.validation)),
            pct(metrics.one_step.as_ref().and_then(wape))
        )),
    ];
    if let Some(b) = &horizon.baseline {
        lines.push(Line::from(format!(
            "seasonal naive ({}) {} · skill {}",
            b.season,
            pct(b.wape),
            b.skill
                .map_or("-".to_string(), |s| format!("{:+.1}%", 100.0 * s))
        )));
    }
    // Six points along the horizon: enough to see the error grow.
    let every = horizon.by_step.len().div_ceil(6).max(1);
    let along: Vec<String> = horizon
        .by_step
        .iter()
        .step_by(every)
        .map(|s| format!("h{} {}", s.step, s.wape.map_or("-".into(), num_text)))
        .collect();
    if !along.is_empty() {
        lines.push(Line::styled(format!("WAPE by step: {}", along.join(" · ")), theme.dim));
    }
    if horizon.shortest_lag < horizon.horizon {
        lines.push(Line::styled(
            format!(
                "lag {} is shorter than the horizon: later steps use the model's own forecast",
                horizon.shortest_lag
            ),
            theme.warning,
        ));
    }
    lines
}

/// What the run costs the box: memory now and at its peak, CPU now (of one core).
fn system_lines<'a>(series: Option<&RunSeries>, theme: &Theme) -> Vec<Line<'a>> {
    let Some(series) = series else {
        return Vec::new();
    };
    let value = |key: &str| series.last(key);
    let mut parts = Vec::new();
    if let Some(rss) = value(RSS_MB) {
        parts.push(format!("RSS {rss:.0} MB"));
    }
    if let Some(peak) = value(PEAK_RSS_MB) {
        parts.push(format!("peak {peak:.0} MB"));
    }
    if let Some(cpu) = value(CPU_PERCENT) {
        parts.push(format!("CPU {cpu:.0}%"));
    }
    if parts.is_empty() {
        return Vec::new();
    }
    vec![
        Line::from(""),
        Line::styled("system", theme.header),
        Line::styled(parts.join(" · "), theme.dim),
    ]
}
