//! Drawing the Forecast tab: what is forecast, the chart (history, forecast, its band, the
//! plan), the table of future periods, and the line of messages.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Cell, Chart, Dataset, GraphType, Paragraph, Row};

use super::{FORECAST_KEYS, ForecastCommand, ForecastTab};
use crate::data::profile::day_text;
use crate::ml::forecast_view::ForecastView;
use crate::text::num_text;
use crate::tui::component::RenderContext;
use crate::tui::theme::Theme;
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::table::DataTable;

impl ForecastTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        let theme = ctx.theme;
        let [head, body, message] = Layout::vertical([
            Constraint::Length(5),
            Constraint::Min(8),
            Constraint::Length(1),
        ])
        .areas(area);
        self.draw_head(frame, head, ctx);
        let [chart, table] = self.split.areas(body);
        match &self.view {
            Some(view) => {
                draw_chart(view, frame, chart, theme);
                self.draw_table(frame, table, theme);
            }
            None => {
                let text = if let (false, Some((true, problem))) = (self.running, &self.message) {
                    problem.clone()
                } else if self.running {
                    format!(
                        "{} forecasting: {} of {} periods",
                        ctx.spinner, self.progress.0, self.progress.1
                    )
                } else if self.models.is_empty() {
                    "No registered model. Train a lag model (--lags, --group, a time split), \
                     register it, and its forecast shows here."
                        .to_string()
                } else {
                    "Loading the model…".to_string()
                };
                frame.render_widget(
                    Paragraph::new(text).block(block("Forecast", true, theme)),
                    body,
                );
            }
        }
        let hint = ctx.keys.hint(
            &FORECAST_KEYS,
            &[
                (ForecastCommand::Filter, "series"),
                (ForecastCommand::TogglePromotion, "promotion"),
                (ForecastCommand::Longer, ""),
                (ForecastCommand::Shorter, "horizon"),
                (ForecastCommand::Export, "export"),
            ],
        );
        let line = crate::tui::widgets::message_line(&self.message, hint, theme);
        frame.render_widget(Paragraph::new(line), message);
    }

    fn draw_head(&self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        let theme = ctx.theme;
        let model = match (&self.loaded, self.models.get(self.model)) {
            (Some((reference, _)), _) => reference.to_string(),
            (None, Some(choice)) => format!("{choice} (loading)"),
            (None, None) => "none".to_string(),
        };
        let series = match &self.editing {
            Some(input) => format!("{}▏", input.text()),
            None if self.filter.is_empty() => "all series (summed)".to_string(),
            None => self.filter.clone(),
        };
        let matched = self
            .view
            .as_ref()
            .map_or(String::new(), |v| format!("  ({} series)", v.series));
        let plan = if self.plan.is_empty() {
            "none".to_string()
        } else {
            self.plan
                .iter()
                .map(|s| format!("h{s}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let busy = if self.running {
            format!(
                "   {} forecasting {} / {}",
                ctx.spinner, self.progress.0, self.progress.1
            )
        } else {
            String::new()
        };
        let label = |text: &str| Span::styled(format!("{text:<10}"), theme.dim);
        let lines = vec![
            Line::from(vec![label("model"), Span::raw(model), Span::raw(busy)]),
            Line::from(vec![
                label("series"),
                Span::styled(series, theme.header),
                Span::raw(matched),
            ]),
            Line::from(vec![
                label("horizon"),
                Span::raw(format!(
                    "{} period{}",
                    self.horizon,
                    if self.horizon == 1 { "" } else { "s" }
                )),
                Span::styled(self.beyond_validation(), theme.warning),
                Span::styled("   promotion plan ", theme.dim),
                Span::raw(plan),
            ]),
        ];
        frame.render_widget(
            Paragraph::new(lines).block(block("Forecast", self.editing.is_some(), theme)),
            area,
        );
    }

    fn draw_table(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let Some(view) = &self.view else {
            return;
        };
        let planned = view.points.iter().any(|p| p.planned.is_some());
        let rows: Vec<Row> = view
            .points
            .iter()
            .map(|p| {
                let band = match (p.lower, p.upper) {
                    (Some(l), Some(u)) => format!("{}…{}", num_text(l), num_text(u)),
                    _ => "-".to_string(),
                };
                // Whether the period runs the promotion (how many series, for a sum), the
                // plan's flips marked.
                let state = match (p.promoted, view.series) {
                    (None, _) => String::new(),
                    (Some(0), _) => "off".to_string(),
                    (Some(_), 1) => "on".to_string(),
                    (Some(n), all) => format!("{n}/{all}"),
                };
                let mark = if self.plan.contains(&p.step) {
                    format!("{state}●")
                } else {
                    state
                };
                let mut cells = vec![
                    Cell::from(format!("h{}", p.step)),
                    Cell::from(day_text(p.day)),
                    Cell::from(num_text(p.forecast)),
                    Cell::from(band),
                    Cell::from(mark),
                ];
                if planned {
                    cells.push(Cell::from(p.planned.map_or(String::new(), num_text)));
                    cells.push(Cell::from(
                        p.planned
                            .map_or(String::new(), |v| format!("{:+.1}", v - p.forecast)),
                    ));
                }
                Row::new(cells)
            })
            .collect();
        let band = if view.series > 1 {
            "90% bands summed"
        } else {
            "90% band"
        };
        let mut header = vec!["step", "date", "forecast", band, "promo"];
        let mut widths = vec![
            Constraint::Length(4),
            Constraint::Length(10),
            Constraint::Length(8),
            Constraint::Min(9),
            Constraint::Length(6),
        ];
        if planned {
            header.extend(["planned", "uplift"]);
            widths.extend([Constraint::Length(8), Constraint::Length(7)]);
        }
        DataTable::new(rows, widths)
            .header(Row::new(header))
            .title("Future periods", true)
            .render(frame, area, theme, &mut self.table);
    }
}

fn draw_chart(view: &ForecastView, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let history: Vec<(f64, f64)> = view
        .history
        .iter()
        .map(|(d, v)| (f64::from(*d), *v))
        .collect();
    let points = |f: &dyn Fn(&crate::ml::forecast_view::ViewPoint) -> Option<f64>| {
        view.points
            .iter()
            .filter_map(|p| f(p).map(|v| (f64::from(p.day), v)))
            .collect::<Vec<_>>()
    };
    // The forecast starts from the last history point, so the two lines join.
    let joined = |mut line: Vec<(f64, f64)>| {
        if let Some(last) = history.last() {
            line.insert(0, *last);
        }
        line
    };
    let forecast = joined(points(&|p| Some(p.forecast)));
    let lower = points(&|p| p.lower);
    let upper = points(&|p| p.upper);
    let planned = joined(points(&|p| p.planned));
    let all = history
        .iter()
        .chain(&forecast)
        .chain(&lower)
        .chain(&upper)
        .chain(if view.points.iter().any(|p| p.planned.is_some()) {
            planned.iter()
        } else {
            [].iter()
        });
    let (x0, x1, y0, y1) = all.fold(
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
        |(a, b, c, d), (x, y)| (a.min(*x), b.max(*x), c.min(*y), d.max(*y)),
    );
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    // Sales are never below zero: the axis stops there when the data does.
    let y0 = if y0 >= 0.0 { (y0 - pad).max(0.0) } else { y0 - pad };
    let y1 = y1 + pad;
    fn line<'a>(name: &'static str, data: &'a [(f64, f64)], style: ratatui::style::Style) -> Dataset<'a> {
        Dataset::default()
            .name(name)
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style)
            .data(data)
    }
    let mut datasets = vec![
        line("history", &history, theme.header),
        line("band", &lower, theme.dim),
        line("", &upper, theme.dim),
        line("forecast", &forecast, theme.bar),
    ];
    if view.points.iter().any(|p| p.planned.is_some()) {
        datasets.push(line("with the plan", &planned, theme.warning));
    }
    let title = format!(
        "{}: {} ({} series)",
        view.target,
        view.filter.describe(),
        view.series
    );
    let chart = Chart::new(datasets)
        .legend_position(Some(ratatui::widgets::LegendPosition::TopLeft))
        .block(block(&title, false, theme))
        .x_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([x0, x1.max(x0 + 1.0)])
                .labels([day_text(x0 as i32), day_text(x1 as i32)]),
        )
        .y_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([y0, y1])
                .labels([num_text(y0), num_text(y1)]),
        );
    frame.render_widget(chart, area);
}
