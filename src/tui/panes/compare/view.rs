//! Drawing the Compare tab: a section bar, the runs' legend, and the chosen section — params,
//! metrics, overlaid curves, importances or the scatter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Cell, Chart, Dataset, GraphType, Paragraph, Row, Wrap};

use super::register::prompt_text;
use super::{COMPARE_KEYS, CompareCommand, CompareTab, Section};
use crate::tui::component::RenderContext;
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::chart_grid::GRID_KEYS;
use crate::tui::widgets::table::DataTable;
use crate::compare::Comparison;
use crate::text::{clean, num_text, truncate};
use crate::tui::theme::Theme;

/// One colour per run, in the order the runs were marked.
const RUN_COLOURS: [Color; 8] = [
    Color::Cyan,
    Color::Yellow,
    Color::Green,
    Color::Magenta,
    Color::Red,
    Color::Blue,
    Color::LightCyan,
    Color::LightYellow,
];

pub(super) fn run_style(index: usize) -> Style {
    Style::default().fg(RUN_COLOURS[index % RUN_COLOURS.len()])
}

impl CompareTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        render(self, frame, area, ctx);
    }
}

fn render(tab: &mut CompareTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let (theme, spin, keys) = (ctx.theme, ctx.spinner, ctx.keys);
    let Some(comparison) = tab.comparison.clone() else {
        frame.render_widget(
            Paragraph::new(vec![
                Line::from("Nothing to compare yet."),
                Line::styled(
                    "In the Runs tab (3), mark two or more runs and compare them (? lists its keys).",
                    theme.dim,
                ),
            ])
            .block(block("Compare", true, theme)),
            area,
        );
        return;
    };
    let [bar, legend, body, message] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut spans = Vec::new();
    for section in Section::ALL {
        let style = if section == tab.section {
            theme.tab_active
        } else {
            theme.tab_inactive
        };
        spans.push(Span::styled(format!(" {} ", section.title()), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), bar);
    let mut legend_spans = Vec::new();
    for (index, run) in comparison.runs.iter().enumerate() {
        let live = if run.status.is_terminal() {
            String::new()
        } else {
            format!(" {spin}")
        };
        let deleted = if run.deleted_at.is_some() {
            " (deleted)"
        } else {
            ""
        };
        let (mark, style) = if index == 0 && tab.has_baseline() {
            ("◆ baseline", theme.dim)
        } else {
            ("■", run_style(index))
        };
        legend_spans.push(Span::styled(
            format!(
                "{mark} {} {}{live}{deleted}  ",
                run.id,
                truncate(&clean(&run.name), 24)
            ),
            style,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(legend_spans)), legend);
    match tab.section {
        Section::Params => render_params(tab, &comparison, frame, body, theme),
        Section::Metrics => render_metrics(tab, &comparison, frame, body, theme),
        Section::Curves => render_curves(tab, frame, body, theme),
        Section::Importance => render_importance(tab, &comparison, frame, body, theme),
        Section::Scatter => render_scatter(tab, frame, body, theme),
    }
    let prompt = tab
        .register
        .as_ref()
        .map(|p| prompt_text(p, &comparison, keys));
    let text = prompt.or_else(|| tab.message.clone()).unwrap_or_else(|| {
        if tab.section == Section::Curves {
            return format!(
                "{} sections · {} export · {} register · {}",
                keys.key_for_beside(&COMPARE_KEYS, CompareCommand::NextSection, &GRID_KEYS),
                keys.key_for_beside(&COMPARE_KEYS, CompareCommand::Export, &GRID_KEYS),
                keys.key_for_beside(&COMPARE_KEYS, CompareCommand::Register, &GRID_KEYS),
                tab.grid.hint(keys)
            );
        }
        keys.hint(
            &COMPARE_KEYS,
            &[
                (CompareCommand::NextSection, "sections"),
                (CompareCommand::OnlyDifferences, "only differences"),
                (CompareCommand::NextMetric, "metric"),
                (CompareCommand::Export, "export"),
                (CompareCommand::Register, "register"),
            ],
        )
    });
    frame.render_widget(
        Paragraph::new(Line::styled(clean(&text), theme.dim)),
        message,
    );
}

fn run_headers(comparison: &Comparison, first: &str) -> Row<'static> {
    let mut cells = vec![Cell::from(first.to_string())];
    for (index, run) in comparison.runs.iter().enumerate() {
        cells.push(Cell::from(Span::styled(
            format!("{} {}", run.id, clean(&run.name)),
            run_style(index).add_modifier(Modifier::BOLD),
        )));
    }
    Row::new(cells)
}

fn widths(runs: usize) -> Vec<Constraint> {
    let mut widths = vec![Constraint::Length(24)];
    widths.extend((0..runs).map(|_| Constraint::Min(12)));
    widths
}

fn render_params(
    tab: &CompareTab,
    comparison: &Comparison,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    let rows: Vec<Row<'_>> = comparison
        .params
        .iter()
        .filter(|p| p.differs || !tab.only_differences)
        .skip(tab.scroll)
        .map(|p| {
            let style = if p.differs {
                theme.warning
            } else {
                Style::default()
            };
            let mut cells = vec![Cell::from(Span::styled(
                format!("{}{}", if p.differs { "≠ " } else { "  " }, clean(&p.key)),
                style,
            ))];
            cells.extend(
                p.values
                    .iter()
                    .map(|v| Cell::from(Span::styled(clean(v.as_deref().unwrap_or("-")), style))),
            );
            Row::new(cells)
        })
        .collect();
    let differing = comparison.differing_params().count();
    let title = format!(
        "Params — {differing} of {} differ{}",
        comparison.params.len(),
        if tab.only_differences {
            " (only differences; d shows all)"
        } else {
            " (d: only differences)"
        }
    );
    run_table(rows, comparison, "param", title, frame, area, theme);
}

fn render_metrics(
    tab: &CompareTab,
    comparison: &Comparison,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    let rows: Vec<Row<'_>> = comparison
        .metrics
        .iter()
        .skip(tab.scroll)
        .map(|m| {
            let direction = match m.best {
                crate::compare::Best::Lowest => "↓",
                crate::compare::Best::Highest => "↑",
                crate::compare::Best::NearestZero => "0",
            };
            let mut cells = vec![Cell::from(format!("{direction} {}", clean(&m.key)))];
            let base = m.values.first().copied().flatten().filter(|_| tab.has_baseline());
            cells.extend(m.values.iter().enumerate().map(|(i, v)| {
                let mut text = v.map_or("-".to_string(), |v| {
                    crate::compare::metric_words(&m.key, v).unwrap_or_else(|| num_text(v))
                });
                if let (Some(base), Some(value), true) = (base, v, i > 0) {
                    text.push_str(&format!(" ({})", crate::compare::delta_text(*value, base)));
                }
                if m.best_run == Some(i) {
                    Cell::from(Span::styled(format!("{text} ◀ best"), theme.ok))
                } else {
                    Cell::from(text)
                }
            }));
            Row::new(cells)
        })
        .collect();
    run_table(
        rows,
        comparison,
        "metric (↓ lower, ↑ higher)",
        if tab.has_baseline() {
            "Metrics — last value, the best marked; Δ and % against the pinned baseline"
        } else {
            "Metrics — last value, the best marked"
        },
        frame,
        area,
        theme,
    );
}

fn render_curves(tab: &CompareTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let panels = tab.panels(theme);
    tab.grid.render(
        frame,
        area,
        &panels,
        None,
        "No compared run has logged a metric more than once yet.",
        theme,
    );
}

fn render_importance(
    tab: &CompareTab,
    comparison: &Comparison,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    if comparison.importances.is_empty() {
        frame.render_widget(
            Paragraph::new("No saved importances: the runs have not finished a model yet.")
                .block(block("Importance", true, theme)),
            area,
        );
        return;
    }
    let rows: Vec<Row<'_>> = comparison
        .importances
        .iter()
        .skip(tab.scroll)
        .map(|row| {
            let mut cells = vec![Cell::from(clean(&row.feature))];
            cells.extend(row.shares.iter().enumerate().map(|(i, s)| match s {
                Some(share) => {
                    let bar = "█".repeat((share * 20.0).round() as usize);
                    Cell::from(Line::from(vec![
                        Span::styled(bar, run_style(i)),
                        Span::raw(format!(" {:.1}%", share * 100.0)),
                    ]))
                }
                None => Cell::from("-"),
            }));
            Row::new(cells)
        })
        .collect();
    run_table(rows, comparison, "feature", "Importance — share per run", frame, area, theme);
}

fn render_scatter(tab: &CompareTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let scatter = &tab.scatter;
    let title = format!(
        "{} against {} over {} filtered run(s) · m metric · p param",
        scatter.metric, scatter.param, scatter.runs
    );
    if scatter.points.is_empty() {
        frame.render_widget(
            Paragraph::new(format!(
                "No filtered run has both {} and {}.",
                scatter.metric, scatter.param
            ))
            .wrap(Wrap { trim: true })
            .block(block(&title, true, theme)),
            area,
        );
        return;
    }
    let (x_min, x_max, y_min, y_max) = extent(scatter.points.iter());
    let x_pad = ((x_max - x_min) * 0.05).max(0.5);
    let y_pad = ((y_max - y_min) * 0.05).max(1e-9);
    let x_labels: Vec<String> = if scatter.categories.is_empty() {
        vec![num_text(x_min), num_text(x_max)]
    } else {
        scatter
            .categories
            .iter()
            .map(|c| truncate(&clean(c), 12))
            .collect()
    };
    let chart = Chart::new(vec![
        Dataset::default()
            .name(scatter.metric.clone())
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(theme.bar)
            .data(&scatter.points),
    ])
    .block(block(&title, true, theme))
    .legend_position(None)
    .x_axis(
        Axis::default()
            .title(scatter.param.clone())
            .style(theme.dim)
            .bounds([x_min - x_pad, x_max + x_pad])
            .labels(x_labels),
    )
    .y_axis(
        Axis::default()
            .title(scatter.metric.clone())
            .style(theme.dim)
            .bounds([y_min - y_pad, y_max + y_pad])
            .labels([num_text(y_min), num_text(y_max)]),
    );
    frame.render_widget(chart, area);
}

/// (x min, x max, y min, y max) of the points; infinities when there are none.
fn extent<'a>(points: impl Iterator<Item = &'a (f64, f64)>) -> (f64, f64, f64, f64) {
    points.fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(x0, x1, y0, y1), (x, y)| (x0.min(*x), x1.max(*x), y0.min(*y), y1.max(*y)),
    )
}

/// A table with one column per compared run, headed by the runs, not selectable.
fn run_table(
    rows: Vec<Row<'_>>,
    comparison: &Comparison,
    first_column: &str,
    title: impl Into<String>,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    DataTable::new(rows, widths(comparison.runs.len()))
        .header(run_headers(comparison, first_column))
        .title(title, true)
        .plain()
        .render(frame, area, theme, &mut Default::default());
}
