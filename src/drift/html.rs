//! The drift report as one standalone HTML file: inline CSS, one inline SVG chart per column
//! drawn with plotters, no script and nothing fetched, so a manager opens it offline. Charts are
//! shares per bin or level, so the file's size depends on the columns, not on the rows.

use crate::text::{Precision, format_number};
use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{ColumnDrift, Distribution, DriftError, DriftReport, DriftTest};

const REFERENCE: RGBColor = RGBColor(31, 119, 180);
const CURRENT: RGBColor = RGBColor(255, 127, 14);

use crate::text::html_escape as escape;

fn score_text(value: f64) -> String {
    format_number(value, Precision::Score)
}

/// The rule of each test, as written in every report.
pub fn rules() -> Vec<(DriftTest, &'static str)> {
    vec![
        (
            DriftTest::KolmogorovSmirnov,
            "reference ≤ 1,000 rows, numeric with more than 5 values: two-sample \
             Kolmogorov–Smirnov, drift at p ≤ 0.05",
        ),
        (
            DriftTest::ChiSquare,
            "reference ≤ 1,000 rows, categorical or numeric with 3–5 values: chi-square of the \
             current counts against the reference shares, drift at p < 0.05",
        ),
        (
            DriftTest::ZTest,
            "reference ≤ 1,000 rows, two values: Z-test of the two proportions, drift at p < 0.05",
        ),
        (
            DriftTest::Wasserstein,
            "reference > 1,000 rows, numeric with more than 5 values: Wasserstein distance over \
             the reference's standard deviation, drift at ≥ 0.1",
        ),
        (
            DriftTest::JensenShannon,
            "reference > 1,000 rows, categorical or numeric with at most 5 values: \
             Jensen–Shannon distance of the shares, drift at ≥ 0.1",
        ),
        (
            DriftTest::Psi,
            "on request: population stability index over the same bins, drift at ≥ 0.1",
        ),
    ]
}

/// One column's two distributions, overlaid, as SVG text.
pub fn column_svg(column: &ColumnDrift) -> Result<String, DriftError> {
    let chart_error = |e: &dyn std::fmt::Display| DriftError::Source(format!("chart: {e}"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 220)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(&e))?;
        match &column.distribution {
            Distribution::Histogram {
                edges,
                reference,
                current,
            } => {
                let top = reference
                    .iter()
                    .chain(current)
                    .fold(0.0f64, |a, b| a.max(*b));
                let (lo, hi) = (edges[0], edges[edges.len() - 1]);
                let mut chart = ChartBuilder::on(&root)
                    .margin(8)
                    .x_label_area_size(28)
                    .y_label_area_size(44)
                    .build_cartesian_2d(lo..hi, 0.0..(top * 1.1).max(1e-9))
                    .map_err(|e| chart_error(&e))?;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .y_desc("share")
                    .x_labels(6)
                    .y_labels(4)
                    .draw()
                    .map_err(|e| chart_error(&e))?;
                for (shares, colour) in [(reference, REFERENCE), (current, CURRENT)] {
                    chart
                        .draw_series(shares.iter().enumerate().map(|(i, s)| {
                            Rectangle::new(
                                [(edges[i], 0.0), (edges[i + 1], *s)],
                                colour.mix(0.45).filled(),
                            )
                        }))
                        .map_err(|e| chart_error(&e))?;
                }
            }
            Distribution::Levels {
                levels,
                reference,
                current,
            } => {
                let top = reference
                    .iter()
                    .chain(current)
                    .fold(0.0f64, |a, b| a.max(*b));
                let n = levels.len().max(1);
                let mut chart = ChartBuilder::on(&root)
                    .margin(8)
                    .x_label_area_size(28)
                    .y_label_area_size(44)
                    .build_cartesian_2d(0.0..n as f64, 0.0..(top * 1.1).max(1e-9))
                    .map_err(|e| chart_error(&e))?;
                // Each level's name is written under its pair of bars: the axis' own key
                // points would land between bars once there are more than a dozen.
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(0)
                    .y_desc("share")
                    .y_labels(4)
                    .draw()
                    .map_err(|e| chart_error(&e))?;
                for (offset, shares, colour) in
                    [(0.1, reference, REFERENCE), (0.5, current, CURRENT)]
                {
                    chart
                        .draw_series(shares.iter().enumerate().map(|(i, s)| {
                            let x = i as f64 + offset;
                            Rectangle::new([(x, 0.0), (x + 0.4, *s)], colour.filled())
                        }))
                        .map_err(|e| chart_error(&e))?;
                }
                let width = chart.plotting_area().dim_in_pixel().0 as f64 / n as f64;
                let chars = ((width / 6.5) as usize).max(2);
                let style = ("sans-serif", 11)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Top));
                for (i, name) in levels.iter().enumerate() {
                    let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
                    let text: String = name.chars().take(chars).collect();
                    root.draw(&Text::new(text, (x, y + 6), style.clone()))
                        .map_err(|e| chart_error(&e))?;
                }
            }
        }
        root.present().map_err(|e| chart_error(&e))?;
    }
    Ok(svg)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}\
h1{font-size:22px}h2{font-size:18px;margin-top:28px}\
.banner{padding:12px 16px;border-radius:6px;font-size:17px;font-weight:600}\
.drift{background:#fde2e1;color:#8a1c17}.stable{background:#e2f5e4;color:#1d5e2a}\
table{border-collapse:collapse;margin:8px 0}td,th{padding:4px 10px;border-bottom:1px solid #ddd;\
text-align:left;font-size:14px}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.yes{color:#b3261e;font-weight:600}.no{color:#2e7d32}\
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}\
.col{display:inline-block;vertical-align:top;margin:8px 12px 8px 0}.col h3{font-size:15px;margin:4px 0}\
.muted{color:#666;font-size:13px}";

/// The whole report as a standalone HTML document.
pub fn report_html(report: &DriftReport, created_at: &str) -> Result<String, DriftError> {
    let mut html = String::with_capacity(64 * 1024);
    let verdict = if report.dataset_drift {
        ("drift", "Dataset drift detected")
    } else {
        ("stable", "No dataset drift")
    };
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Drift report: {cur} against {refe}</title><style>{STYLE}</style></head><body>\
         <h1>Drift report</h1><p class=\"muted\">Shelfcast · {created} UTC · {ms:.0} ms</p>\
         <div class=\"banner {class}\">{text}: {drifted} of {tested} columns drifted \
         ({share:.0}%; the dataset drifts at {threshold:.0}%)</div>\
         <table><tr><th>reference</th><td>{refe}</td><td class=\"num\">{rrows} rows</td></tr>\
         <tr><th>current</th><td>{cur}</td><td class=\"num\">{crows} rows</td></tr>{model}</table>",
        cur = escape(&report.current.label),
        refe = escape(&report.reference.label),
        created = escape(created_at),
        ms = report.elapsed_ms,
        class = verdict.0,
        text = verdict.1,
        drifted = report.drifted_columns,
        tested = report.columns.len(),
        share = 100.0 * report.drifted_share,
        threshold = 100.0 * report.share_threshold,
        rrows = report.reference.rows,
        crows = report.current.rows,
        model = report.model.as_ref().map_or(String::new(), |m| format!(
            "<tr><th>model</th><td colspan=\"2\">{}</td></tr>",
            escape(m)
        )),
    );
    html.push_str(
        "<h2>Columns</h2><table><tr><th>column</th><th>type</th><th>test</th>\
         <th>score</th><th>threshold</th><th>drift</th><th>why this test</th>\
         <th>rows (ref / cur)</th><th>missing (ref / cur)</th></tr>",
    );
    let mut order: Vec<&ColumnDrift> = report.columns.iter().collect();
    order.sort_by_key(|c| !c.drifted);
    for c in &order {
        let score_kind = if c.test.is_p_value() { "p " } else { "" };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{score_kind}{}</td>\
             <td class=\"num\">{}</td><td class=\"{}\">{}</td><td class=\"muted\">{}</td>\
             <td class=\"num\">{} / {}</td><td class=\"num\">{} / {}</td></tr>",
            escape(&c.column),
            c.kind.as_str(),
            c.test.title(),
            score_text(c.score),
            score_text(c.threshold),
            if c.drifted { "yes" } else { "no" },
            if c.drifted { "drift" } else { "no drift" },
            escape(&c.rule),
            c.reference_rows,
            c.current_rows,
            c.reference_missing,
            c.current_missing,
        );
    }
    for s in &report.skipped {
        let _ = write!(
            html,
            "<tr><td>{}</td><td colspan=\"8\" class=\"muted\">{}</td></tr>",
            escape(&s.column),
            escape(&s.reason)
        );
    }
    html.push_str("</table><h2>Distributions</h2><p class=\"legend\">");
    html.push_str(
        "<span style=\"background:#1f77b4\"></span>reference\
         <span style=\"background:#ff7f0e\"></span>current</p>",
    );
    for c in &order {
        let _ = write!(
            html,
            "<div class=\"col\"><h3>{} <span class=\"{}\">{}</span></h3>{}</div>",
            escape(&c.column),
            if c.drifted { "yes" } else { "no" },
            if c.drifted { "drift" } else { "" },
            column_svg(c)?
        );
    }
    html.push_str("<h2>How each column is tested</h2><table>");
    for (test, rule) in rules() {
        let _ = write!(
            html,
            "<tr><th>{}</th><td>{}</td></tr>",
            test.title(),
            escape(rule)
        );
    }
    html.push_str(
        "</table><p class=\"muted\">Distinct values are counted over both samples; integers with \
         at most 10 distinct values are categorical; dates and mostly unique text are not \
         tested. These are the defaults of Evidently's data-drift preset.</p></body></html>",
    );
    Ok(html)
}
