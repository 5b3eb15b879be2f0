//! The monitor's standalone HTML report: the watched score by period with the reference band
//! and the alerted periods marked (SVG drawn with plotters), the periods' table, the segments
//! worst first, the alerts. No script and nothing fetched, like the drift report.

use plotters::prelude::*;

use super::MonitorError;
use super::report::MonitorReport;
use crate::text::{Precision, format_number, html_escape as escape};

const LIVE: RGBColor = RGBColor(31, 119, 180);
const ALERT: RGBColor = RGBColor(214, 39, 40);
const BAND: RGBColor = RGBColor(150, 150, 150);

fn number(value: f64) -> String {
    format_number(value, Precision::Score)
}

fn optional(value: Option<f64>) -> String {
    value.map_or("-".into(), number)
}

/// The watched score by period, the band shaded, alerted periods in red, as SVG text.
pub fn periods_svg(report: &MonitorReport) -> Result<String, MonitorError> {
    let chart_error = |e: &dyn std::fmt::Display| MonitorError::Input(format!("chart: {e}"));
    let values: Vec<Option<f64>> = report
        .periods
        .iter()
        .map(|p| report.metric.of(&p.score))
        .collect();
    let mut top = values.iter().flatten().fold(0.0f64, |a, b| a.max(*b));
    if let Some(band) = &report.band {
        top = top.max(band.upper);
    }
    let n = report.periods.len().max(2) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 280)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(52)
            .build_cartesian_2d(-0.5..(n - 0.5), 0.0..(top * 1.15).max(1e-9))
            .map_err(|e| chart_error(&e))?;
        let labels: Vec<String> = report.periods.iter().map(|p| p.period.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(report.metric.as_str())
            .x_labels(8)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() > 1e-6 || i < 0.0 {
                    return String::new();
                }
                labels.get(i as usize).cloned().unwrap_or_default()
            })
            .y_labels(5)
            .draw()
            .map_err(|e| chart_error(&e))?;
        if let Some(band) = &report.band {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(-0.5, band.lower), (n - 0.5, band.upper)],
                    BAND.mix(0.18).filled(),
                )))
                .map_err(|e| chart_error(&e))?;
            chart
                .draw_series(LineSeries::new(
                    [(-0.5, band.mean), (n - 0.5, band.mean)],
                    BAND.stroke_width(1),
                ))
                .map_err(|e| chart_error(&e))?;
        }
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), LIVE.stroke_width(2)))
            .map_err(|e| chart_error(&e))?;
        chart
            .draw_series(points.iter().map(|&(x, y)| {
                let alerted = report.periods[x as usize].alerted;
                let colour = if alerted { ALERT } else { LIVE };
                Circle::new((x, y), if alerted { 5 } else { 3 }, colour.filled())
            }))
            .map_err(|e| chart_error(&e))?;
        root.present().map_err(|e| chart_error(&e))?;
    }
    Ok(svg)
}

/// The whole report as one HTML page.
pub fn report_html(report: &MonitorReport, created_at: &str) -> Result<String, MonitorError> {
    let svg = periods_svg(report)?;
    let mut html = String::new();
    let title = format!("Shelfcast monitor: {}", report.model);
    html.push_str(&format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>\
         body{{font-family:sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse;margin:12px 0}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}th{{background:#f3f3f3}}\
         td:first-child,th:first-child{{text-align:left}}.alert{{color:#d62728;font-weight:bold}}\
         </style></head><body><h1>{t}</h1><p>Created {c}. {pairs} predictions scored against their \
         actuals, by {by}; watched: {metric}.</p>",
        t = escape(&title),
        c = escape(created_at),
        pairs = report.pairs,
        by = report.by.as_str(),
        metric = report.metric.as_str(),
    ));
    match &report.band {
        Some(band) => html.push_str(&format!(
            "<p>Reference band from the model's validation ({} periods): mean {} ± 3σ ({}) = {} to {}; \
             the validation's WAPE {}%.</p>",
            band.periods,
            number(band.mean),
            number(band.std),
            number(band.lower),
            number(band.upper),
            optional(band.overall.wape)
        )),
        None => html.push_str(&format!(
            "<p>{}</p>",
            escape(report.band_missing.as_deref().unwrap_or("no reference band"))
        )),
    }
    if report.alerts.is_empty() {
        html.push_str("<p>No alert.</p>");
    } else {
        html.push_str("<h2 class=\"alert\">Alerts</h2><ul>");
        for alert in &report.alerts {
            html.push_str(&format!("<li class=\"alert\">{}</li>", escape(&alert.why)));
        }
        html.push_str("</ul>");
    }
    html.push_str(&format!(
        "<h2>{} by {}</h2>{svg}",
        report.metric.as_str(),
        report.by.as_str()
    ));
    html.push_str(
        "<table><tr><th>period</th><th>count</th><th>MAE</th><th>RMSE</th><th>WAPE %</th>\
         <th>bias</th><th>MAPE %</th><th>zeros</th><th>predicted</th><th>actual</th><th></th></tr>",
    );
    for p in &report.periods {
        let s = &p.score;
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td class=\"alert\">{}</td></tr>",
            escape(&p.period),
            s.count,
            number(s.mae),
            number(s.rmse),
            optional(s.wape),
            number(s.bias),
            optional(s.mape),
            s.zeros_skipped,
            number(s.predicted_sum),
            number(s.actual_sum),
            if p.alerted {
                "alert"
            } else if p.above {
                "above"
            } else {
                ""
            }
        ));
    }
    html.push_str("</table>");
    if let Some(segment) = &report.segment
        && !report.segments.is_empty()
    {
        html.push_str(&format!(
            "<h2>By {}, worst first</h2><table><tr><th>{}</th><th>count</th><th>live {m}</th>\
             <th>reference {m}</th><th>change</th></tr>",
            escape(segment),
            escape(segment),
            m = report.metric.as_str()
        ));
        for row in &report.segments {
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&row.value),
                row.live.count,
                optional(report.metric.of(&row.live)),
                optional(row.reference.as_ref().and_then(|r| report.metric.of(r))),
                row.change.map_or("-".into(), |c| format!("{c:+.3}"))
            ));
        }
        html.push_str("</table>");
    }
    if !report.by_step.is_empty() {
        html.push_str("<h2>By forecast step</h2><table><tr><th>step</th><th>count</th><th>MAE</th><th>WAPE %</th></tr>");
        for (step, s) in &report.by_step {
            html.push_str(&format!(
                "<tr><td>{step}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s.count,
                number(s.mae),
                optional(s.wape)
            ));
        }
        html.push_str("</table>");
    }
    html.push_str("</body></html>\n");
    Ok(html)
}

/// Writes `report` as its HTML page to `path` (its folder made if missing), atomically: the one
/// way every face writes it.
pub fn write_report(report: &MonitorReport, path: &std::path::Path) -> Result<(), MonitorError> {
    let created = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let page = report_html(report, &created)?;
    let failed = |p: &std::path::Path, e: std::io::Error| {
        MonitorError::Input(format!("{}: {e}", p.display()))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| failed(parent, e))?;
    }
    crate::files::write_bytes_atomically(path, page.as_bytes()).map_err(|e| failed(path, e))
}
