//! Drawing the Drift tab: the choices, the verdict banner, the table of columns, the selected
//! column's two distributions as grouped bars, and the past reports.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Cell, Paragraph, Row};

use super::{DRIFT_KEYS, DriftCommand, DriftTab, PeriodField};
use crate::tui::component::RenderContext;
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::table::DataTable;
use crate::drift::{ColumnDrift, Distribution};
use crate::text::{clean, num_text, truncate};
use crate::tui::theme::Theme;

impl DriftTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        render(self, frame, area, ctx);
    }
}

fn render(tab: &mut DriftTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let (theme, spin, keys) = (ctx.theme, ctx.spinner, ctx.keys);
    let [form, banner, body, past, message] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(5),
        Constraint::Length(1),
    ])
    .areas(area);
    render_form(tab, frame, form, theme);
    let banner_line = if tab.running {
        let (done, total, column) = &tab.progress;
        Line::from(format!(
            "{spin} checking: {done} of {total} columns{}",
            if column.is_empty() {
                String::new()
            } else {
                format!(" ({})", clean(column))
            }
        ))
    } else {
        match &tab.report {
            Some(r) => {
                let text = format!(
                    " {}: {} of {} columns drifted ({:.0}%; drift at {:.0}%) · {} ms · {}",
                    if r.dataset_drift {
                        "DATASET DRIFT"
                    } else {
                        "NO DATASET DRIFT"
                    },
                    r.drifted_columns,
                    r.columns.len(),
                    100.0 * r.drifted_share,
                    100.0 * r.share_threshold,
                    r.elapsed_ms.round(),
                    tab.html.as_deref().map_or(String::new(), clean)
                );
                let style = if r.dataset_drift {
                    theme.error.add_modifier(ratatui::style::Modifier::REVERSED)
                } else {
                    theme.ok.add_modifier(ratatui::style::Modifier::REVERSED)
                };
                Line::styled(text, style)
            }
            None => Line::styled(
                keys.hint(
                    &DRIFT_KEYS,
                    &[
                        (DriftCommand::Run, "runs the check"),
                        (DriftCommand::NextReference, ""),
                        (DriftCommand::NextCurrent, "choose the data"),
                        (DriftCommand::ReferencePeriod, ""),
                        (DriftCommand::CurrentPeriod, "periods"),
                        (DriftCommand::NextModel, "a model"),
                    ],
                ),
                theme.dim,
            ),
        }
    };
    frame.render_widget(Paragraph::new(banner_line), banner);
    let [table_area, chart_area] = tab.split.areas(body);
    render_table(tab, frame, table_area, theme);
    render_chart(tab, frame, chart_area, theme);
    render_past(tab, frame, past, theme);
    let line = match &tab.message {
        Some((true, text)) => Line::styled(clean(text), theme.error),
        Some((false, text)) => Line::styled(clean(text), theme.ok),
        None => Line::styled(
            keys.hint(
                &DRIFT_KEYS,
                &[
                    (DriftCommand::Run, "run"),
                    (DriftCommand::NextReference, ""),
                    (DriftCommand::PreviousReference, "reference"),
                    (DriftCommand::NextCurrent, ""),
                    (DriftCommand::PreviousCurrent, "current"),
                    (DriftCommand::ReferencePeriod, ""),
                    (DriftCommand::CurrentPeriod, "period"),
                    (DriftCommand::NextModel, "model"),
                    (DriftCommand::Down, ""),
                    (DriftCommand::Up, "column"),
                    (DriftCommand::PastReport, "past report"),
                ],
            ),
            theme.dim,
        ),
    };
    frame.render_widget(Paragraph::new(line), message);
}

fn render_form(tab: &DriftTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let side = |reference: bool| {
        let choices = tab.choices(reference);
        let index = if reference {
            tab.reference
        } else {
            tab.current
        };
        let chosen = choices.get(index).cloned().unwrap_or_else(|| "-".into());
        let (period, field) = if reference {
            (&tab.reference_period, PeriodField::Reference)
        } else {
            (&tab.current_period, PeriodField::Current)
        };
        let typing = tab
            .editing
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, input)| input);
        let editing = typing.is_some();
        let period_text = match (period.trim(), typing) {
            (_, Some(input)) => input.with_cursor(),
            ("", None) => "all rows".to_string(),
            (p, None) => p.to_string(),
        };
        Line::from(vec![
            Span::styled(
                if reference {
                    "Reference "
                } else {
                    "Current   "
                },
                theme.header,
            ),
            Span::raw(format!("‹ {} ›", clean(&chosen))),
            Span::styled("   period ", theme.dim),
            Span::styled(
                period_text,
                if editing { theme.key } else { Style::default() },
            ),
        ])
    };
    let model = tab.chosen_model().unwrap_or("none");
    let lines = vec![
        side(true),
        side(false),
        Line::from(vec![
            Span::styled("Model     ", theme.header),
            Span::raw(format!("‹ {} ›", clean(model))),
            Span::styled(
                if tab.model > 0 {
                    "   its columns; r / c offer its training data and logged predictions"
                } else {
                    "   every common column"
                },
                theme.dim,
            ),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(block("Drift check", true, theme)),
        area,
    );
}

fn score_text(c: &ColumnDrift) -> String {
    let value = if c.score != 0.0 && c.score.abs() < 1e-4 {
        format!("{:.1e}", c.score)
    } else {
        format!("{:.4}", c.score)
    };
    if c.test.is_p_value() {
        format!("p {value}")
    } else {
        value
    }
}

fn render_table(tab: &mut DriftTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let Some(report) = &tab.report else {
        let lines: Vec<Line<'_>> = match &tab.error {
            Some(error) => error
                .lines()
                .map(|l| Line::styled(clean(l), theme.error))
                .collect(),
            None => vec![Line::styled("No check run yet.", theme.dim)],
        };
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(ratatui::widgets::Wrap { trim: false })
                .block(block("Columns", false, theme)),
            area,
        );
        return;
    };
    let rows: Vec<Row<'_>> = report
        .columns
        .iter()
        .map(|c| {
            let style = if c.drifted { theme.error } else { theme.ok };
            Row::new(vec![
                Cell::from(truncate(&clean(&c.column), 18)),
                Cell::from(c.kind.as_str()),
                Cell::from(c.test.title()),
                Cell::from(score_text(c)),
                Cell::from(num_text(c.threshold)),
                Cell::from(Span::styled(if c.drifted { "DRIFT" } else { "ok" }, style)),
            ])
        })
        .collect();
    let title = format!(
        "Columns: {} against {}",
        clean(&report.current.label),
        clean(&report.reference.label)
    );
    DataTable::new(
        rows,
        [
            Constraint::Min(12),
            Constraint::Length(11),
            Constraint::Length(20),
            Constraint::Length(10),
            Constraint::Length(6),
            Constraint::Length(5),
        ],
    )
    .header(Row::new(vec!["column", "type", "test", "score", "thr.", ""]))
    .title(title, false)
    .render(frame, area, theme, &mut tab.table);
}

/// Missing values on each side, which the test leaves out.
fn missing_text(reference: usize, current: usize) -> String {
    format!("{reference} / {current}")
}

fn render_chart(tab: &DriftTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let selected = tab
        .report
        .as_ref()
        .and_then(|r| tab.table.selected().and_then(|i| r.columns.get(i)));
    let Some(column) = selected else {
        frame.render_widget(block("Distribution", false, theme), area);
        return;
    };
    let (labels, reference, current): (Vec<String>, &[f64], &[f64]) = match &column.distribution {
        Distribution::Histogram {
            edges,
            reference,
            current,
        } => (
            edges.iter().map(|e| num_text(*e)).collect(),
            reference,
            current,
        ),
        Distribution::Levels {
            levels,
            reference,
            current,
        } => (levels.clone(), reference, current),
    };
    // Each group is a bin or level: reference then current, heights in ‰ of their sample.
    let inner_width = area.width.saturating_sub(2) as usize;
    let groups = reference.len().max(1);
    let bar_width = ((inner_width / groups).saturating_sub(1) / 2).clamp(1, 6) as u16;
    let mut chart = BarChart::default()
        .block(block(
            &format!(
                "{}: reference ▇ current ▇ · missing {}",
                clean(&column.column),
                missing_text(column.reference_missing, column.current_missing)
            ),
            false,
            theme,
        ))
        .bar_width(bar_width)
        .bar_gap(0)
        .group_gap(1);
    for (i, (r, c)) in reference.iter().zip(current).enumerate() {
        let label = if bar_width >= 3 {
            truncate(
                &clean(labels.get(i).map_or("", String::as_str)),
                bar_width as usize * 2,
            )
        } else {
            String::new()
        };
        let bars = [
            Bar::default()
                .value((r * 1000.0).round() as u64)
                .text_value(String::new())
                .style(theme.bar),
            Bar::default()
                .value((c * 1000.0).round() as u64)
                .text_value(String::new())
                .style(theme.warning),
        ];
        chart = chart.data(BarGroup::default().label(Line::from(label)).bars(&bars));
    }
    frame.render_widget(chart, area);
}

fn render_past(tab: &DriftTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let lines: Vec<Line<'_>> = if tab.past.is_empty() {
        vec![Line::styled("none yet", theme.dim)]
    } else {
        tab.past
            .iter()
            .take(area.height.saturating_sub(2) as usize)
            .map(|r| {
                let verdict = if r.dataset_drift { "drift" } else { "no drift" };
                Line::from(vec![
                    Span::raw(format!(
                        "{:>3}  {}  ",
                        r.id,
                        r.created_at.get(5..16).unwrap_or("").replace('T', " ")
                    )),
                    Span::styled(
                        format!("{verdict:<9}"),
                        if r.dataset_drift {
                            theme.error
                        } else {
                            theme.ok
                        },
                    ),
                    Span::raw(format!(
                        "{}/{}  {} against {}",
                        r.drifted_columns,
                        r.tested_columns,
                        clean(&r.current_label),
                        clean(&r.reference_label)
                    )),
                ])
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines).block(block("Past reports (o opens)", false, theme)),
        area,
    );
}
