//! Writing a comparison to files: the overlaid curves as SVG (plotters), and the params and
//! metrics side by side as Markdown and CSV. Each file is written under a temporary name and
//! renamed, so a reader never sees half a file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::{Comparison, smooth};
use crate::store::Curve;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("drawing the chart: {0}")]
    Chart(String),
    #[error("reading the runs: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// The files one export wrote.
#[derive(Clone, Debug)]
pub struct ExportFiles {
    pub svg: PathBuf,
    pub markdown: PathBuf,
    pub csv: PathBuf,
}

/// Distinct colours for up to ten runs, then repeating.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    crate::files::write_bytes_atomically(path, bytes).map_err(io)
}

/// The overlaid curves of `key` as SVG text.
pub fn curves_svg(
    comparison: &Comparison,
    curves: &[Curve],
    key: &str,
    smoothed: bool,
) -> Result<String, ExportError> {
    let chart_error = |e: &dyn std::fmt::Display| ExportError::Chart(e.to_string());
    let mut x_max = 1.0f64;
    let mut y_min = f64::INFINITY;
    let mut y_max = f64::NEG_INFINITY;
    let series: Vec<Vec<(f64, f64)>> = curves
        .iter()
        .map(|c| {
            let values = if smoothed {
                smooth(&c.values, 0.3)
            } else {
                c.values.clone()
            };
            c.steps.iter().copied().zip(values).collect()
        })
        .collect();
    for (x, y) in series.iter().flatten() {
        x_max = x_max.max(*x);
        y_min = y_min.min(*y);
        y_max = y_max.max(*y);
    }
    if !y_min.is_finite() {
        y_min = 0.0;
        y_max = 1.0;
    }
    let pad = ((y_max - y_min) * 0.05).max(1e-9);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(&e))?;
        let runs: Vec<String> = comparison.runs.iter().map(|r| r.id.to_string()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "{key}{} per step, runs {}",
                    if smoothed { " (smoothed)" } else { "" },
                    runs.join(", ")
                ),
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_max, (y_min - pad)..(y_max + pad))
            .map_err(|e| chart_error(&e))?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc(key)
            .draw()
            .map_err(|e| chart_error(&e))?;
        for (index, (run, points)) in comparison.runs.iter().zip(series).enumerate() {
            let colour = PALETTE[index % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(|e| chart_error(&e))?
                .label(format!("run {} {}", run.id, run.name))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| chart_error(&e))?;
        root.present().map_err(|e| chart_error(&e))?;
    }
    Ok(svg)
}

fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Params (differing ones marked) and metrics (best in bold) as Markdown tables.
pub fn comparison_markdown(comparison: &Comparison) -> String {
    let mut out = String::new();
    let header: Vec<String> = comparison
        .runs
        .iter()
        .map(|r| markdown_cell(&format!("run {} {}", r.id, r.name)))
        .collect();
    let rule = vec!["---"; header.len() + 1].join(" | ");
    let _ = writeln!(
        out,
        "## Params\n\n| param | {} |\n| {rule} |",
        header.join(" | ")
    );
    for row in &comparison.params {
        let cells: Vec<String> = row
            .values
            .iter()
            .map(|v| markdown_cell(v.as_deref().unwrap_or("-")))
            .collect();
        let key = if row.differs {
            format!("**{}** (differs)", markdown_cell(&row.key))
        } else {
            markdown_cell(&row.key)
        };
        let _ = writeln!(out, "| {key} | {} |", cells.join(" | "));
    }
    let _ = writeln!(
        out,
        "\n## Metrics (last value; best in bold)\n\n| metric | {} |\n| {rule} |",
        header.join(" | ")
    );
    for row in &comparison.metrics {
        let cells: Vec<String> = row
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(v) if row.best_run == Some(i) => {
                    format!(
                        "**{}**",
                        super::metric_words(&row.key, *v).unwrap_or_else(|| v.to_string())
                    )
                }
                Some(v) => super::metric_words(&row.key, *v).unwrap_or_else(|| v.to_string()),
                None => "-".into(),
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} |",
            markdown_cell(&row.key),
            cells.join(" | ")
        );
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// section,key,run ids...: every param and metric, one row each.
pub fn comparison_csv(comparison: &Comparison) -> String {
    let mut out = String::from("section,key");
    for run in &comparison.runs {
        let _ = write!(out, ",run {}", run.id);
    }
    out.push('\n');
    for row in &comparison.params {
        let _ = write!(out, "param,{}", csv_field(&row.key));
        for v in &row.values {
            let _ = write!(out, ",{}", csv_field(v.as_deref().unwrap_or("")));
        }
        out.push('\n');
    }
    for row in &comparison.metrics {
        let _ = write!(out, "metric,{}", csv_field(&row.key));
        for v in &row.values {
            let _ = write!(out, ",{}", v.map(|v| v.to_string()).unwrap_or_default());
        }
        out.push('\n');
    }
    out
}

/// Writes the SVG, Markdown and CSV of a comparison into `dir` under `stem`.
pub fn export_comparison(
    dir: &Path,
    stem: &str,
    comparison: &Comparison,
    curves: &[Curve],
    key: &str,
    smoothed: bool,
) -> Result<ExportFiles, ExportError> {
    let files = ExportFiles {
        svg: dir.join(format!("{stem}.svg")),
        markdown: dir.join(format!("{stem}.md")),
        csv: dir.join(format!("{stem}.csv")),
    };
    write_atomically(
        &files.svg,
        curves_svg(comparison, curves, key, smoothed)?.as_bytes(),
    )?;
    write_atomically(&files.markdown, comparison_markdown(comparison).as_bytes())?;
    write_atomically(&files.csv, comparison_csv(comparison).as_bytes())?;
    Ok(files)
}
