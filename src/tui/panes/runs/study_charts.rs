//! The Study view's parallel coordinates and slices, drawn from `tune::plot` (the points the
//! SVG export draws too). Lines and points take the objective's colour: green best to red worst.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType};

use super::detail::StudyDetail;
use crate::text::num_text;
use crate::tui::theme::Theme;
use crate::tui::widgets::pane_block as block;

/// Ranks are drawn in this many colour bands (each a dataset or a pass over the lines).
const BANDS: usize = 8;

fn band_of(rank: f64) -> usize {
    ((rank * BANDS as f64) as usize).min(BANDS - 1)
}

fn band_rank(band: usize) -> f64 {
    (band as f64 + 0.5) / BANDS as f64
}

/// Each complete trial a line through one axis per parameter, then the objective's axis.
pub(super) fn render_parallel(study: &StudyDetail, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let plot = &study.plot;
    let axes = plot.axes.len().max(2);
    let x_max = (axes - 1) as f64;
    let title = format!(
        "parallel coordinates, {} trials, green best",
        plot.trials.len()
    );
    // Labels start at their axis; the last axis's end there, inside the chart.
    let unit_per_cell = 1.04 * x_max / f64::from(area.width.saturating_sub(2).max(1));
    let label_x = |i: usize, text: &str| {
        let x = i as f64;
        if i + 1 == axes {
            x - unit_per_cell * text.chars().count() as f64
        } else {
            x
        }
    };
    let mut by_band: Vec<Vec<&crate::tune::plot::PlotTrial>> = vec![Vec::new(); BANDS];
    for t in &plot.trials {
        by_band[band_of(t.rank)].push(t);
    }
    let canvas = Canvas::default()
        .block(block(&title, false, theme))
        .marker(Marker::Braille)
        .x_bounds([-0.02 * x_max, x_max * 1.02])
        .y_bounds([-0.12, 1.12])
        .paint(|ctx| {
            for i in 0..axes {
                let x = i as f64;
                ctx.draw(&CanvasLine {
                    x1: x,
                    y1: 0.0,
                    x2: x,
                    y2: 1.0,
                    color: theme.dim.fg.unwrap_or(Color::Reset),
                });
            }
            ctx.layer();
            // The worst band first, so the best lines are drawn over the rest.
            for band in (0..BANDS).rev() {
                let color = theme.objective(band_rank(band)).fg.unwrap_or(Color::Reset);
                for t in &by_band[band] {
                    for (j, pair) in t.coords.windows(2).enumerate() {
                        ctx.draw(&CanvasLine {
                            x1: j as f64,
                            y1: pair[0],
                            x2: (j + 1) as f64,
                            y2: pair[1],
                            color,
                        });
                    }
                }
                ctx.layer();
            }
            for (i, axis) in plot.axes.iter().enumerate() {
                for (text, y, style) in [
                    (&axis.name, 1.1, theme.header),
                    (&axis.high_label, 1.02, theme.dim),
                    (&axis.low_label, -0.1, theme.dim),
                ] {
                    ctx.print(label_x(i, text), y, Span::styled(text.clone(), style));
                }
            }
        });
    frame.render_widget(canvas, area);
}

/// The objective against one parameter's values, a point per complete trial.
pub(super) fn render_slice(
    study: &StudyDetail,
    param: usize,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    let plot = &study.plot;
    let Some(axis) = plot.axes.get(param) else {
        return;
    };
    let (log, choices) = plot.slice_scales.get(param).cloned().unwrap_or_default();
    let mut bands: Vec<Vec<(f64, f64)>> = vec![Vec::new(); BANDS];
    for t in &plot.trials {
        if let Some(x) = t.xs.get(param) {
            bands[band_of(t.rank)].push((*x, t.value));
        }
    }
    let all: Vec<(f64, f64)> = bands.iter().flatten().copied().collect();
    let b = bounds(&[&all]);
    let datasets: Vec<Dataset> = bands
        .iter()
        .enumerate()
        .rev()
        .map(|(band, points)| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Scatter)
                .style(theme.objective(band_rank(band)))
                .data(points)
        })
        .collect();
    let scale = if log {
        " (log10)".to_string()
    } else if !choices.is_empty() {
        format!(" (0..{}: {})", choices.len() - 1, choices.join(", "))
    } else {
        String::new()
    };
    let title = format!(
        "slice: {} against {}{scale}; p next chart",
        study.metric, axis.name
    );
    frame.render_widget(chart(datasets, &title, b, theme), area);
}

pub(super) fn bounds(points: &[&[(f64, f64)]]) -> (f64, f64, f64, f64) {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in points.iter().flat_map(|p| p.iter()) {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if x0 > x1 {
        return (0.0, 1.0, 0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    (x0, x1.max(x0 + 1.0), y0 - pad, y1 + pad)
}

pub(super) fn chart<'a>(datasets: Vec<Dataset<'a>>, title: &str, b: (f64, f64, f64, f64), theme: &Theme) -> Chart<'a> {
    let (x0, x1, y0, y1) = b;
    Chart::new(datasets)
        .block(block(title, false, theme))
        .x_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([x0, x1])
                .labels([num_text(x0), num_text(x1)]),
        )
        .y_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([y0, y1])
                .labels([num_text(y0), num_text(y1)]),
        )
}

