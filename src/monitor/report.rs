//! `monitor`: a model's predictions that have their actuals, scored per period (and per version,
//! per forecast step and per segment), beside a reference band from the model's own recursive
//! validation cut into the same periods: mean ± 3 standard deviations of the reference periods'
//! scores (NannyML's default; population standard deviation, the lower bound clipped at 0). An
//! alert when `consecutive` periods in a row score above the band, or when the live WAPE is worse
//! than the validation's by more than `degrade_pct`.

use serde::Serialize;

use super::MonitorError;
use super::score::{Period, Score, Watched, score_by};
use crate::ml::validation_rows::ValidationRow;
use crate::store::ScoredPair;

/// What to monitor and how.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorRequest {
    pub model: String,
    /// Only this version's predictions (and its band); `None`: every version, the newest's band.
    pub version: Option<i64>,
    pub by: Period,
    /// A series key column of the model (`store_id`): scores per value of it.
    pub segment: Option<String>,
    /// Only this value of `segment` (its own band, from its own validation rows).
    pub segment_value: Option<String>,
    /// The first target date scored (`YYYY-MM-DD`).
    pub since: Option<String>,
    pub metric: Watched,
    pub sigma: f64,
    pub consecutive: usize,
    pub degrade_pct: f64,
}

impl MonitorRequest {
    pub fn new(model: &str) -> Self {
        MonitorRequest {
            model: model.to_string(),
            version: None,
            by: Period::Week,
            segment: None,
            segment_value: None,
            since: None,
            metric: Watched::Wape,
            sigma: 3.0,
            consecutive: 2,
            degrade_pct: 25.0,
        }
    }
}

/// The reference band of the watched score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Band {
    /// How many reference periods it was computed from.
    pub periods: usize,
    pub mean: f64,
    pub std: f64,
    pub lower: f64,
    pub upper: f64,
    /// The whole validation's score.
    pub overall: Score,
}

/// One period's scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodRow {
    pub period: String,
    pub score: Score,
    /// The watched score is above the band's upper bound.
    pub above: bool,
    /// Part of a run of `consecutive` periods above the band.
    pub alerted: bool,
}

/// One segment value: its live score against its reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentRow {
    pub value: String,
    pub live: Score,
    pub reference: Option<Score>,
    /// Live minus reference watched score (WAPE points, or units of MAE / RMSE).
    pub change: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    pub kind: &'static str,
    pub periods: Vec<String>,
    pub why: String,
}

/// What `monitor` reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonitorReport {
    pub model: String,
    pub by: Period,
    pub metric: Watched,
    pub segment: Option<String>,
    pub segment_value: Option<String>,
    pub pairs: usize,
    pub overall: Score,
    pub band: Option<Band>,
    /// Why there is no band, when there is none.
    pub band_missing: Option<String>,
    pub periods: Vec<PeriodRow>,
    pub by_version: Vec<(i64, Score)>,
    pub by_step: Vec<(usize, Score)>,
    /// Worst first (largest change).
    pub segments: Vec<SegmentRow>,
    pub alerts: Vec<Alert>,
}

/// The index of `segment` among the model's series key columns.
pub fn segment_index(keys: &[String], segment: &str) -> Result<usize, MonitorError> {
    keys.iter().position(|k| k == segment).ok_or_else(|| {
        MonitorError::Input(format!(
            "--segment {segment}: not one of the model's series keys; expected {}",
            if keys.is_empty() {
                "none (the model has no series keys)".to_string()
            } else {
                keys.join(", ")
            }
        ))
    })
}

fn part(series_key: &str, index: usize) -> Option<String> {
    series_key.split('|').nth(index).map(str::to_string)
}

/// Scores `pairs` against `reference` (the model's validation rows) by `request`; `keys` are
/// the model's series key columns.
pub fn build_report(
    request: &MonitorRequest,
    keys: &[String],
    pairs: &[ScoredPair],
    reference: Option<&[ValidationRow]>,
) -> Result<MonitorReport, MonitorError> {
    let segment_at = match &request.segment {
        Some(segment) => Some(segment_index(keys, segment)?),
        None => None,
    };
    let keep_pair = |p: &&ScoredPair| match (segment_at, &request.segment_value) {
        (Some(i), Some(value)) => part(&p.series_key, i).as_deref() == Some(value.as_str()),
        _ => true,
    };
    let pairs: Vec<&ScoredPair> = pairs
        .iter()
        .filter(|p| request.version.is_none_or(|v| p.version == v))
        .collect();
    if let (Some(i), Some(value), Some(segment)) =
        (segment_at, &request.segment_value, &request.segment)
        && !pairs.is_empty()
        && !pairs
            .iter()
            .any(|p| part(&p.series_key, i).as_deref() == Some(value.as_str()))
    {
        let mut values: Vec<String> = pairs
            .iter()
            .filter_map(|p| part(&p.series_key, i))
            .collect();
        values.sort();
        values.dedup();
        let shown = values.len().min(12);
        return Err(MonitorError::Input(format!(
            "--value {value}: no scored prediction has {segment} = {value}; it has {}{}",
            values[..shown].join(", "),
            if values.len() > shown { ", …" } else { "" }
        )));
    }
    let pairs: Vec<&ScoredPair> = pairs.into_iter().filter(keep_pair).collect();
    let reference: Vec<&ValidationRow> = reference
        .unwrap_or_default()
        .iter()
        .filter(|r| match (segment_at, &request.segment_value) {
            (Some(i), Some(value)) => part(&r.series_key, i).as_deref() == Some(value.as_str()),
            _ => true,
        })
        .collect();
    let by = request.by;
    let metric = request.metric;
    let periods = score_by(
        &pairs,
        |p| by.of(&p.target_date),
        |p| (p.predicted, p.actual),
    );
    let (band, band_missing) = reference_band(&reference, request);
    let upper = band.as_ref().map(|b| b.upper);
    let mut rows: Vec<PeriodRow> = periods
        .into_iter()
        .map(|(period, score)| PeriodRow {
            above: matches!((metric.of(&score), upper), (Some(v), Some(u)) if v > u),
            period,
            score,
            alerted: false,
        })
        .collect();
    let mut alerts = Vec::new();
    let k = request.consecutive.max(1);
    let mut run_start = None;
    for i in 0..=rows.len() {
        let above = rows.get(i).is_some_and(|r| r.above);
        match (above, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(start)) => {
                if i - start >= k {
                    for row in &mut rows[start..i] {
                        row.alerted = true;
                    }
                    let names: Vec<String> =
                        rows[start..i].iter().map(|r| r.period.clone()).collect();
                    alerts.push(Alert {
                        kind: "band",
                        why: format!(
                            "{} scored {} period(s) in a row above the reference band ({} above {:.3}): {} to {}",
                            i - start,
                            by.as_str(),
                            metric.as_str(),
                            upper.unwrap_or_default(),
                            names.first().cloned().unwrap_or_default(),
                            names.last().cloned().unwrap_or_default()
                        ),
                        periods: names,
                    });
                }
                run_start = None;
            }
            _ => {}
        }
    }
    let overall = Score::of(pairs.iter().map(|p| (p.predicted, p.actual)));
    if let (Some(live), Some(reference)) =
        (overall.wape, band.as_ref().and_then(|b| b.overall.wape))
        && reference > 0.0
        && live > reference * (1.0 + request.degrade_pct / 100.0)
    {
        alerts.push(Alert {
            kind: "degradation",
            periods: Vec::new(),
            why: format!(
                "WAPE {live:.2}% against the validation's {reference:.2}%: {:+.1}%, past the {:.0}% allowed",
                100.0 * (live / reference - 1.0),
                request.degrade_pct
            ),
        });
    }
    let by_version = score_by(&pairs, |p| Some(p.version), |p| (p.predicted, p.actual));
    let by_step = score_by(&pairs, |p| p.step, |p| (p.predicted, p.actual));
    let segments = match (segment_at, &request.segment_value) {
        (Some(i), None) => segment_rows(&pairs, &reference, i, metric),
        _ => Vec::new(),
    };
    Ok(MonitorReport {
        model: request.model.clone(),
        by,
        metric,
        segment: request.segment.clone(),
        segment_value: request.segment_value.clone(),
        pairs: pairs.len(),
        overall,
        band,
        band_missing,
        periods: rows,
        by_version,
        by_step,
        segments,
        alerts,
    })
}

fn reference_band(
    reference: &[&ValidationRow],
    request: &MonitorRequest,
) -> (Option<Band>, Option<String>) {
    if reference.is_empty() {
        return (
            None,
            Some(
                "the version keeps no validation rows (a model without lags, or saved before \
                 they were kept): no reference band"
                    .into(),
            ),
        );
    }
    let by = request.by;
    let dated: Vec<(String, f64, f64)> = reference
        .iter()
        .filter_map(|r| {
            let date = crate::data::profile::day_text(r.day);
            Some((by.of(&date)?, r.predicted, r.actual))
        })
        .collect();
    let chunks = score_by(&dated, |r| Some(r.0.clone()), |r| (r.1, r.2));
    let values: Vec<f64> = chunks
        .iter()
        .filter_map(|(_, s)| request.metric.of(s))
        .collect();
    if values.len() < 2 {
        return (
            None,
            Some(format!(
                "the validation spans {} {} period(s): too few for a band",
                values.len(),
                by.as_str()
            )),
        );
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let overall = Score::of(dated.iter().map(|r| (r.1, r.2)));
    (
        Some(Band {
            periods: values.len(),
            mean,
            std,
            lower: (mean - request.sigma * std).max(0.0),
            upper: mean + request.sigma * std,
            overall,
        }),
        None,
    )
}

fn segment_rows(
    pairs: &[&ScoredPair],
    reference: &[&ValidationRow],
    index: usize,
    metric: Watched,
) -> Vec<SegmentRow> {
    let live = score_by(
        pairs,
        |p| part(&p.series_key, index),
        |p| (p.predicted, p.actual),
    );
    let reference: std::collections::BTreeMap<String, Score> = score_by(
        reference,
        |r| part(&r.series_key, index),
        |r| (r.predicted, r.actual),
    )
    .into_iter()
    .collect();
    let mut rows: Vec<SegmentRow> = live
        .into_iter()
        .map(|(value, live)| {
            let reference = reference.get(&value).cloned();
            let change = match (
                metric.of(&live),
                reference.as_ref().and_then(|r| metric.of(r)),
            ) {
                (Some(l), Some(r)) => Some(l - r),
                _ => None,
            };
            SegmentRow {
                value,
                live,
                reference,
                change,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.change
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.change.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| a.value.cmp(&b.value))
    });
    rows
}
