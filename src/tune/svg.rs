//! A study's charts as one SVG file (plotters): the best value so far by trial, the parallel
//! coordinates coloured by objective (best green to worst red), and a slice per parameter. The
//! file is written under a temporary name and renamed, so a reader never sees half of it.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::plot::StudyPlot;

#[derive(Debug, thiserror::Error)]
pub enum SvgError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("drawing the study's charts: {0}")]
    Chart(String),
}

fn chart_error(e: &dyn std::fmt::Display) -> SvgError {
    SvgError::Chart(e.to_string())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The objective's colour: green for the best rank (0), through yellow, to red for the worst.
pub fn rank_colour(rank: f64) -> (u8, u8, u8) {
    let r = rank.clamp(0.0, 1.0);
    if r < 0.5 {
        ((2.0 * r * 230.0) as u8, 170, 60)
    } else {
        (230, (170.0 * (2.0 - 2.0 * r)) as u8, 60)
    }
}

fn colour(rank: f64) -> RGBColor {
    let (r, g, b) = rank_colour(rank);
    RGBColor(r, g, b)
}

/// Writes `plot` of study `name` (objective `metric`) to `path`.
pub fn write_study_svg(
    path: &Path,
    name: &str,
    metric: &str,
    plot: &StudyPlot,
) -> Result<(), SvgError> {
    let params = plot.axes.len().saturating_sub(1);
    let slice_rows = params.div_ceil(3).max(1);
    let height = 420 + 300 * slice_rows as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(&e))?;
        let root = root
            .titled(
                &format!(
                    "study {name}: {} complete trials, {metric}",
                    plot.trials.len()
                ),
                ("sans-serif", 24),
            )
            .map_err(|e| chart_error(&e))?;
        let (top, bottom) = root.split_vertically(400);
        let (history, parallel) = top.split_horizontally(420);
        draw_history(&history, metric, plot)?;
        draw_parallel(&parallel, plot)?;
        let cells = bottom.split_evenly((slice_rows, 3));
        for (i, cell) in cells.iter().enumerate().take(params) {
            draw_slice(cell, metric, plot, i)?;
        }
        root.present().map_err(|e| chart_error(&e))?;
    }
    crate::files::write_bytes_atomically(path, svg.as_bytes()).map_err(|source| SvgError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn value_range(plot: &StudyPlot) -> (f64, f64) {
    let (lo, hi) = plot
        .trials
        .iter()
        .map(|t| t.value)
        .chain(plot.best_so_far.iter().map(|p| p.1))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

fn draw_history(area: &Area<'_>, metric: &str, plot: &StudyPlot) -> Result<(), SvgError> {
    let (y0, y1) = value_range(plot);
    let x1 = plot
        .trials
        .iter()
        .map(|t| t.number as f64)
        .chain(plot.best_so_far.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("best {metric} so far"), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x1, y0..y1)
        .map_err(|e| chart_error(&e))?;
    chart
        .configure_mesh()
        .x_desc("trial")
        .y_desc(metric)
        .draw()
        .map_err(|e| chart_error(&e))?;
    chart
        .draw_series(
            plot.trials
                .iter()
                .map(|t| Circle::new((t.number as f64, t.value), 3, colour(t.rank).filled())),
        )
        .map_err(|e| chart_error(&e))?;
    chart
        .draw_series(LineSeries::new(
            plot.best_so_far.iter().copied(),
            BLUE.stroke_width(2),
        ))
        .map_err(|e| chart_error(&e))?;
    Ok(())
}

fn draw_parallel(area: &Area<'_>, plot: &StudyPlot) -> Result<(), SvgError> {
    let axes = plot.axes.len().max(2);
    let x1 = (axes - 1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "parallel coordinates (green best, red worst)",
            ("sans-serif", 18),
        )
        .margin(24)
        .x_label_area_size(36)
        .build_cartesian_2d(-0.05..x1 + 0.05, -0.08..1.08)
        .map_err(|e| chart_error(&e))?;
    // The worst first, so the best lines are drawn on top.
    let mut order: Vec<&super::plot::PlotTrial> = plot.trials.iter().collect();
    order.sort_by(|a, b| b.rank.total_cmp(&a.rank));
    for t in order {
        let points: Vec<(f64, f64)> = t
            .coords
            .iter()
            .enumerate()
            .map(|(i, y)| (i as f64, *y))
            .collect();
        chart
            .draw_series(LineSeries::new(points, colour(t.rank).mix(0.6)))
            .map_err(|e| chart_error(&e))?;
    }
    for (i, axis) in plot.axes.iter().enumerate() {
        let x = i as f64;
        chart
            .draw_series(LineSeries::new(
                vec![(x, 0.0), (x, 1.0)],
                BLACK.stroke_width(1),
            ))
            .map_err(|e| chart_error(&e))?;
        let label = |text: &str, y: f64, size: i32| {
            Text::new(text.to_string(), (x, y), ("sans-serif", size).into_font())
        };
        chart
            .draw_series([
                label(&axis.name, 1.06, 15),
                label(&axis.high_label, 1.01, 12),
                label(&axis.low_label, -0.05, 12),
            ])
            .map_err(|e| chart_error(&e))?;
    }
    Ok(())
}

fn draw_slice(area: &Area<'_>, metric: &str, plot: &StudyPlot, i: usize) -> Result<(), SvgError> {
    let Some(axis) = plot.axes.get(i) else {
        return Ok(());
    };
    let (log, choices) = plot.slice_scales.get(i).cloned().unwrap_or_default();
    let (x0, x1) = plot
        .trials
        .iter()
        .filter_map(|t| t.xs.get(i).copied())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (x0, x1) = if x0.is_finite() && x1 > x0 {
        let pad = (x1 - x0) * 0.05;
        (x0 - pad, x1 + pad)
    } else if x0.is_finite() {
        (x0 - 0.5, x0 + 0.5)
    } else {
        (0.0, 1.0)
    };
    let (y0, y1) = value_range(plot);
    let x_desc = if log {
        format!("log10 {}", axis.name)
    } else if !choices.is_empty() {
        format!("{} ({})", axis.name, choices.join(", "))
    } else {
        axis.name.clone()
    };
    let mut chart = ChartBuilder::on(area)
        .caption(format!("slice: {}", axis.name), ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| chart_error(&e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(metric)
        .draw()
        .map_err(|e| chart_error(&e))?;
    chart
        .draw_series(plot.trials.iter().filter_map(|t| {
            let x = *t.xs.get(i)?;
            Some(Circle::new((x, t.value), 3, colour(t.rank).filled()))
        }))
        .map_err(|e| chart_error(&e))?;
    Ok(())
}
