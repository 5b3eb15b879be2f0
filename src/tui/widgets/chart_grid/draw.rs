//! Drawing the metrics grid: the charts of the page the focus is on, one x range for all of
//! them, each line downsampled to about two points per braille column, its best point marked,
//! the readout cursor as a vertical line; under the grid, the readout (or the filter being typed,
//! or what the grid shows).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, LegendPosition, Paragraph};

use super::{ChartGrid, ChartLine, ChartPanel};
use crate::compare::chart::{PlotLine, PlotOptions, XAxis, plot_line, readout_at, y_labels};
use crate::text::{clean, num_text, truncate};
use crate::tui::theme::Theme;
use crate::tui::widgets::pane_block;

/// A chart cell is at least this wide and high when the grid sizes itself.
const CELL_WIDTH: u16 = 36;
const CELL_HEIGHT: u16 = 8;

/// One chart's lines as drawn, beside what they are.
type Drawn<'p, 'a> = Vec<(PlotLine, &'p ChartLine<'a>)>;

impl ChartGrid {
    /// Columns and rows for `count` charts in `area`: as chosen, else as many cells of at least
    /// `CELL_WIDTH` × `CELL_HEIGHT` as fit (at most 4 × 4), never more than there are charts.
    pub fn shape(&self, area: Rect, count: usize) -> (u16, u16) {
        if self.big {
            return (1, 1);
        }
        let count = count.max(1) as u16;
        let columns = self
            .columns
            .unwrap_or((area.width / CELL_WIDTH).clamp(1, super::MAX_CELLS))
            .min(count);
        let rows = self
            .rows
            .unwrap_or((area.height / CELL_HEIGHT).clamp(1, super::MAX_CELLS))
            .min(count.div_ceil(columns));
        (columns, rows)
    }

    /// Draws `panels` in `area`, the readout line at its foot; `x_end` is where the x axis ends
    /// at least (a live run's planned steps, so the chart does not rescale with every step);
    /// `empty` says why there is no chart.
    pub fn render(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        panels: &[ChartPanel<'_>],
        x_end: Option<f64>,
        empty: &str,
        theme: &Theme,
    ) {
        let [grid_area, line_area] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        self.render_in(frame, grid_area, line_area, panels, x_end, empty, theme);
    }

    /// As `render`, with the readout line in an area of its own (wider than the grid).
    #[allow(clippy::too_many_arguments)]
    pub fn render_in(
        &self,
        frame: &mut Frame<'_>,
        grid_area: Rect,
        line_area: Rect,
        panels: &[ChartPanel<'_>],
        x_end: Option<f64>,
        empty: &str,
        theme: &Theme,
    ) {
        let visible = self.visible(panels);
        if visible.is_empty() {
            let text = if panels.is_empty() {
                empty.to_string()
            } else {
                format!("no chart's name holds \"{}\"", clean(self.filter_text()))
            };
            frame.render_widget(
                Paragraph::new(text).block(pane_block("Charts", false, theme)),
                grid_area,
            );
            frame.render_widget(self.footer(panels, &visible, (1, 1), theme), line_area);
            return;
        }
        let focus = self.focus.min(visible.len() - 1);
        let (columns, rows) = self.shape(grid_area, visible.len());
        let per_page = usize::from(columns * rows);
        let first = focus / per_page * per_page;
        let shown: Vec<usize> = visible.iter().skip(first).take(per_page).copied().collect();
        let cell_width = grid_area.width / columns;
        let options = |log_y: bool| PlotOptions {
            axis: self.axis,
            smoothed: self.smoothed,
            zoom: self.zoom,
            log_y,
            max_points: usize::from(cell_width.saturating_sub(8)).max(10) * 2,
        };
        let drawn: Vec<Drawn<'_, '_>> = shown
            .iter()
            .map(|&i| {
                let panel = &panels[i];
                let options = options(self.is_log(panel));
                panel
                    .lines
                    .iter()
                    .filter_map(|line| Some((plot_line(line.runs, line.key, &options)?, line)))
                    .collect()
            })
            .collect();
        let x_bounds = self.zoom.unwrap_or_else(|| {
            let (low, high) = drawn
                .iter()
                .flatten()
                .flat_map(|(l, _)| l.points.first().into_iter().chain(l.points.last()))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                    (a.min(p.0), b.max(p.0))
                });
            let high = match (self.axis, x_end) {
                (XAxis::Step, Some(end)) => high.max(end),
                _ => high,
            };
            if low.is_finite() {
                (low, high.max(low + 1.0))
            } else {
                (0.0, 1.0)
            }
        });
        let row_areas = Layout::vertical(vec![
            Constraint::Ratio(1, u32::from(rows));
            usize::from(rows)
        ])
        .split(grid_area);
        for (slot, (&panel_index, lines)) in shown.iter().zip(&drawn).enumerate() {
            let row = slot / usize::from(columns);
            let column = slot % usize::from(columns);
            let Some(row_area) = row_areas.get(row) else {
                continue;
            };
            let cells = Layout::horizontal(vec![
                Constraint::Ratio(1, u32::from(columns));
                usize::from(columns)
            ])
            .split(*row_area);
            let Some(cell) = cells.get(column) else {
                continue;
            };
            let panel = &panels[panel_index];
            let focused = first + slot == focus && (visible.len() > 1 || self.big);
            self.draw_chart(frame, *cell, panel, lines, x_bounds, focused, theme);
        }
        frame.render_widget(
            self.footer(panels, &visible, (columns, rows), theme),
            line_area,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_chart(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        panel: &ChartPanel<'_>,
        lines: &Drawn<'_, '_>,
        x_bounds: (f64, f64),
        focused: bool,
        theme: &Theme,
    ) {
        let log_y = self.is_log(panel);
        // The modes first: a narrow chart cuts its title from the right.
        let mut title = String::new();
        if log_y {
            title.push_str("log · ");
        }
        if self.smoothed {
            title.push_str("smoothed · ");
        }
        title.push_str(&clean(&panel.title));
        let block = pane_block(&title, focused, theme);
        let (low, high) = lines
            .iter()
            .flat_map(|(l, _)| l.points.iter())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        if !low.is_finite() {
            let dropped: usize = lines.iter().map(|(l, _)| l.not_positive).sum();
            let text = if dropped > 0 {
                "no point above zero: y to leave the log scale".to_string()
            } else {
                "no point in this range".to_string()
            };
            frame.render_widget(Paragraph::new(text).block(block), area);
            return;
        }
        // A flat line gets a band about it; a series that never goes below zero (memory, time)
        // keeps its axis at or above zero.
        let pad = if high - low > 1e-12 {
            (high - low) * 0.05
        } else if log_y {
            0.05
        } else {
            (high.abs() * 0.05).max(0.5)
        };
        let y_low = if !log_y && low >= 0.0 {
            (low - pad).max(0.0)
        } else {
            low - pad
        };
        let y_high = high + pad;
        // The best marks and the cursor need points that outlive the datasets.
        let bests: Vec<[(f64, f64); 1]> = lines
            .iter()
            .map(|(l, _)| [l.best.unwrap_or((f64::NAN, f64::NAN))])
            .collect();
        let cursor_line = self.cursor.map(|x| [(x, y_low), (x, y_high)]);
        let mut datasets = Vec::new();
        // The reference first, so the run's own lines draw over it.
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by_key(|&i| !lines[i].1.reference);
        for &i in &order {
            let (plot, line) = &lines[i];
            let style = line.style;
            datasets.push(
                Dataset::default()
                    .name(line.label.clone())
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(style)
                    .data(&plot.points),
            );
        }
        for (i, best) in bests.iter().enumerate() {
            if best[0].0.is_finite() && !lines[i].1.reference {
                // In the line's own colour, so several runs' bests tell apart.
                datasets.push(
                    Dataset::default()
                        .marker(Marker::Dot)
                        .graph_type(GraphType::Scatter)
                        .style(lines[i].1.style)
                        .data(best),
                );
            }
        }
        if let Some(cursor) = &cursor_line {
            datasets.push(
                Dataset::default()
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(theme.key)
                    .data(cursor),
            );
        }
        let labels = y_labels(y_low, y_high, log_y);
        let y_labels: Vec<String> = if area.height >= 9 {
            labels.iter().map(|v| num_text(*v)).collect()
        } else {
            vec![num_text(labels[0]), num_text(labels[2])]
        };
        let big = self.big;
        let chart = Chart::new(datasets)
            .block(block)
            .legend_position(big.then_some(LegendPosition::TopRight))
            .x_axis(
                Axis::default()
                    .style(theme.dim)
                    .bounds([x_bounds.0, x_bounds.1])
                    .labels([num_text(x_bounds.0), num_text(x_bounds.1)]),
            )
            .y_axis(
                Axis::default()
                    .style(theme.dim)
                    .bounds([y_low, y_high])
                    .labels(y_labels),
            );
        frame.render_widget(chart, area);
    }

    /// The line under the grid: the filter being typed, the readout under the cursor, or what
    /// the grid shows.
    fn footer(
        &self,
        panels: &[ChartPanel<'_>],
        visible: &[usize],
        (columns, rows): (u16, u16),
        theme: &Theme,
    ) -> Paragraph<'static> {
        if let Some(input) = &self.filter_input {
            let mut spans = vec![Span::styled("charts whose name holds: ", theme.key)];
            spans.extend(input.spans(theme).spans);
            return Paragraph::new(Line::from(spans));
        }
        if let Some(note) = &self.note {
            return Paragraph::new(Line::styled(note.clone(), theme.warning));
        }
        let focused = self.focused(panels).and_then(|i| panels.get(i));
        if let (Some(x), Some(panel)) = (self.cursor, focused) {
            return Paragraph::new(self.readout(panel, x, theme));
        }
        let per_page = usize::from(columns * rows).max(1);
        let mut parts = vec![format!("{} of {} charts", visible.len(), panels.len())];
        if visible.len() > per_page {
            let page = self.focus.min(visible.len().saturating_sub(1)) / per_page;
            parts.push(format!(
                "page {} of {} (] for the next)",
                page + 1,
                visible.len().div_ceil(per_page)
            ));
        }
        if !self.filter.is_empty() {
            parts.push(format!("name holds \"{}\"", clean(&self.filter)));
        }
        let auto = if self.columns.is_none() && self.rows.is_none() {
            " (fits the screen)"
        } else {
            ""
        };
        parts.push(format!("{columns}×{rows}{auto}"));
        parts.push(format!("x: {}", self.axis.label()));
        if let Some((a, b)) = self.zoom {
            parts.push(format!("zoomed to {}–{}", num_text(a), num_text(b)));
        }
        Paragraph::new(Line::styled(parts.join(" · "), theme.dim))
    }

    /// Each line's value under the cursor and its best so far.
    fn readout(&self, panel: &ChartPanel<'_>, x: f64, theme: &Theme) -> Line<'static> {
        let at = match self.axis {
            XAxis::Step => format!("step {}", num_text(x)),
            XAxis::Time => format!("{} s", num_text(x)),
        };
        let mut spans = vec![Span::styled(format!("{at} "), theme.key)];
        for line in &panel.lines {
            let text = match readout_at(line.runs, line.key, self.axis, self.smoothed, x) {
                Some(r) => format!(
                    "│ {} {}{} {} {} ",
                    truncate(&clean(&line.label), 20),
                    num_text(r.value),
                    // A line that ended before the cursor reads its last point: say where.
                    if r.x < x {
                        format!(" (at {})", num_text(r.x))
                    } else {
                        String::new()
                    },
                    r.best_word,
                    num_text(r.best_so_far)
                ),
                None => format!("│ {} - ", truncate(&clean(&line.label), 20)),
            };
            let style = line.style;
            spans.push(Span::styled(text, style));
        }
        Line::from(spans)
    }
}
