//! Drawing the Monitor tab: the watched score by period with the band and the alerts, and the
//! segments worst first; or, for an opened segment, its own chart and its forecast against the
//! actuals per period.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Cell, Chart, Dataset, GraphType, Paragraph, Row};

use super::{MONITOR_KEYS, MonitorCommand, MonitorTab};
use crate::monitor::MonitorReport;
use crate::text::num_text;
use crate::tui::component::RenderContext;
use crate::tui::theme::Theme;
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::table::DataTable;

fn opt(value: Option<f64>) -> String {
    value.map_or("-".into(), num_text)
}

impl MonitorTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        let theme = ctx.theme;
        let [head, body, message] = Layout::vertical([
            Constraint::Length(5),
            Constraint::Min(8),
            Constraint::Length(1),
        ])
        .areas(area);
        let shown = match (&self.opened, &self.detail) {
            (Some(_), Some(detail)) => Some(detail),
            (Some(_), None) => None,
            (None, _) => self.report.as_ref(),
        };
        self.draw_head(frame, head, ctx, shown);
        match shown {
            Some(report) if report.pairs > 0 => {
                let [chart, below] = self.split.areas_vertical(body);
                draw_scores(report, frame, chart, theme);
                if self.opened.is_some() {
                    draw_against_actuals(report, frame, below, theme);
                } else {
                    self.draw_segments(frame, below, theme);
                }
            }
            _ => {
                let text = if self.running {
                    format!("{} scoring…", ctx.spinner)
                } else if self.models.is_empty() {
                    "No registered model. Register a lag model, forecast with it, then \
                     `shelfcast actuals add FILE` when the actuals arrive."
                        .to_string()
                } else {
                    "No prediction of this model has its actual yet: `shelfcast actuals add FILE` \
                     matches a file of actuals to its forecasts."
                        .to_string()
                };
                let empty = Paragraph::new(text).block(block("Monitor", true, theme));
                frame.render_widget(empty, body);
            }
        }
        let hint = ctx.keys.hint(
            &MONITOR_KEYS,
            &[
                (MonitorCommand::Open, "segment"),
                (MonitorCommand::NextSegment, "segment by"),
                (MonitorCommand::Period, "period"),
                (MonitorCommand::NextModel, "model"),
                (MonitorCommand::Report, "HTML report"),
            ],
        );
        let line = crate::tui::widgets::message_line(&self.message, hint, theme);
        frame.render_widget(Paragraph::new(line), message);
    }

    fn draw_head(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        ctx: &RenderContext<'_>,
        report: Option<&MonitorReport>,
    ) {
        let theme = ctx.theme;
        let label = |text: &str| Span::styled(format!("{text:<9}"), theme.dim);
        let model = self.models.get(self.model).cloned().unwrap_or("none".into());
        let segment = match (&self.opened, self.keys.get(self.segment)) {
            (Some(value), Some(key)) => format!("{key} = {value}"),
            (None, Some(key)) => format!("by {key}"),
            _ => "-".into(),
        };
        let mut first = vec![
            label("model"),
            Span::styled(model, theme.header),
            Span::raw(format!("   {}   by {}", segment, self.by.as_str())),
        ];
        if self.running {
            first.push(Span::raw(format!("   {} scoring", ctx.spinner)));
        }
        let mut lines = vec![Line::from(first)];
        if let Some(report) = report {
            let band = match &report.band {
                Some(b) => format!(
                    "band {}…{} (validation WAPE {}%)",
                    num_text(b.lower),
                    num_text(b.upper),
                    opt(b.overall.wape)
                ),
                None => "no band".into(),
            };
            lines.push(Line::from(vec![
                label("scored"),
                Span::raw(format!(
                    "{} predictions, WAPE {}%, MAE {}, bias {}   {band}",
                    report.pairs,
                    opt(report.overall.wape),
                    num_text(report.overall.mae),
                    num_text(report.overall.bias)
                )),
            ]));
            // The first alert whole (the width allowing), and how many more: `h` has them all.
            let width = area.width.saturating_sub(14) as usize;
            let alerts = match report.alerts.as_slice() {
                [] => Span::styled("no alert", theme.ok),
                [first, rest @ ..] => {
                    let more = if rest.is_empty() {
                        String::new()
                    } else {
                        format!(" (+{} more)", rest.len())
                    };
                    let room = width.saturating_sub(more.chars().count());
                    Span::styled(
                        format!("{}{more}", crate::text::truncate(&first.why, room)),
                        theme.error,
                    )
                }
            };
            lines.push(Line::from(vec![label("alerts"), alerts]));
        }
        frame.render_widget(Paragraph::new(lines).block(block("Monitor", false, theme)), area);
    }

    fn draw_segments(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let Some(report) = &self.report else {
            return;
        };
        let metric = report.metric;
        let rows: Vec<Row> = report
            .segments
            .iter()
            .map(|s| {
                let change = s.change.map_or("-".into(), |c| format!("{c:+.2}"));
                let style = if s.change.is_some_and(|c| c > 0.0) {
                    theme.warning
                } else {
                    theme.ok
                };
                Row::new(vec![
                    Cell::from(s.value.clone()),
                    Cell::from(s.live.count.to_string()),
                    Cell::from(opt(s.reference.as_ref().and_then(|r| metric.of(r)))),
                    Cell::from(opt(metric.of(&s.live))),
                    Cell::from(Span::styled(change, style)),
                    Cell::from(num_text(s.live.bias)),
                ])
            })
            .collect();
        let m = metric.as_str();
        DataTable::new(
            rows,
            [
                Constraint::Min(10),
                Constraint::Length(7),
                Constraint::Length(12),
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(9),
            ],
        )
        .header(Row::new(vec![
            report.segment.clone().unwrap_or_default(),
            "count".into(),
            "reference".into(),
            "live".into(),
            "change".into(),
            "bias".into(),
        ]))
        .title(format!("Segments by {m}, worst first"), true)
        .render(frame, area, theme, &mut self.table);
    }
}

type Points = Vec<(f64, f64)>;

fn bounds(points: &[&[(f64, f64)]]) -> (f64, f64) {
    let top = points
        .iter()
        .flat_map(|p| p.iter())
        .fold(0.0f64, |a, (_, y)| a.max(*y));
    (0.0, (top * 1.1).max(1e-9))
}

fn period_labels(report: &MonitorReport) -> Vec<String> {
    match (report.periods.first(), report.periods.last()) {
        (Some(a), Some(b)) => vec![a.period.clone(), b.period.clone()],
        _ => Vec::new(),
    }
}

fn line<'a>(name: &'static str, data: &'a [(f64, f64)], style: ratatui::style::Style) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

/// The watched score by period, the band's bounds, the alerted periods as points.
fn draw_scores(report: &MonitorReport, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let metric = report.metric;
    let live: Vec<(f64, f64)> = report
        .periods
        .iter()
        .enumerate()
        .filter_map(|(i, p)| metric.of(&p.score).map(|v| (i as f64, v)))
        .collect();
    let last = report.periods.len().saturating_sub(1).max(1) as f64;
    let (upper, lower): (Points, Points) = match &report.band {
        Some(b) => (vec![(0.0, b.upper), (last, b.upper)], vec![(0.0, b.lower), (last, b.lower)]),
        None => (Vec::new(), Vec::new()),
    };
    let alerted: Vec<(f64, f64)> = report
        .periods
        .iter()
        .enumerate()
        .filter(|(_, p)| p.alerted)
        .filter_map(|(i, p)| metric.of(&p.score).map(|v| (i as f64, v)))
        .collect();
    let (y0, y1) = bounds(&[&live, &upper]);
    let datasets = vec![
        line("live", &live, theme.bar),
        line("band", &upper, theme.dim),
        line("", &lower, theme.dim),
        Dataset::default()
            .name("alert")
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(theme.error)
            .data(&alerted),
    ];
    let title = format!("{} by {}", metric.as_str(), report.by.as_str());
    let chart = period_chart(datasets, &title, report, (y0, y1), theme);
    frame.render_widget(chart, area);
}

/// The opened segment's forecast (summed per period) against its actuals.
fn draw_against_actuals(report: &MonitorReport, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let predicted: Vec<(f64, f64)> = report
        .periods
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, p.score.predicted_sum))
        .collect();
    let actual: Vec<(f64, f64)> = report
        .periods
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, p.score.actual_sum))
        .collect();
    let (y0, y1) = bounds(&[&predicted, &actual]);
    let datasets = vec![
        line("forecast", &predicted, theme.bar),
        line("actual", &actual, theme.header),
    ];
    let title = format!(
        "{} = {}: forecast against the actuals",
        report.segment.clone().unwrap_or_default(),
        report.segment_value.clone().unwrap_or_default()
    );
    let chart = period_chart(datasets, &title, report, (y0, y1), theme);
    frame.render_widget(chart, area);
}

/// A chart over the report's periods (the first and last named under the axis) from 0 to `y`.
fn period_chart<'a>(
    datasets: Vec<Dataset<'a>>,
    title: &str,
    report: &MonitorReport,
    (y0, y1): (f64, f64),
    theme: &Theme,
) -> Chart<'a> {
    let last = report.periods.len().saturating_sub(1).max(1) as f64;
    Chart::new(datasets)
        .legend_position(Some(ratatui::widgets::LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)))
        .block(block(title, false, theme))
        .x_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([0.0, last])
                .labels(period_labels(report)),
        )
        .y_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([y0, y1])
                .labels([num_text(y0), num_text(y1)]),
        )
}
