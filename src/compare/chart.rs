//! The arithmetic of a live chart, free of any screen: every series of a run kept whole in
//! memory and topped up with the points logged since the last read (`RunSeries`), the x of a
//! point by step or by time (system series, sampled by time, are placed at the training step
//! their sample was taken at), and one drawn line (`plot_line`): zoomed to an x range, smoothed,
//! its best point found, downsampled with LTTB and optionally on a log scale. The readout under
//! a cursor (`readout_at`) reads the same points. The run view and Compare both draw these.

use std::collections::BTreeMap;

use super::{Best, smooth};
use crate::jobs::sysmetrics::{CHART_ORDER, PEAK_RSS_MB};
use crate::jobs::worker::{TRAIN_LOSS, VALID_LOSS};
use crate::store::{Curve, RunId, RunStore, StoreError, lttb_indices};

/// The weight of the newest point in smoothing (TensorBoard's 0.7 "smoothing" is 0.3 here).
pub const SMOOTHING: f64 = 0.3;

/// What a chart's x axis counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XAxis {
    #[default]
    Step,
    /// Seconds since the run's first point.
    Time,
}

impl XAxis {
    pub fn label(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::Time => "seconds",
        }
    }
}

/// Whether a series is sampled by time (the worker's system metrics), not once per step.
pub fn is_sampled(key: &str) -> bool {
    key.starts_with("sys.")
}

/// Where `key`'s chart goes: the losses, the other training series, then the system series in
/// their order.
pub fn chart_rank(key: &str) -> (u8, usize, &str) {
    if is_loss(key) {
        return (0, 0, key);
    }
    match CHART_ORDER.iter().position(|k| *k == key) {
        Some(at) => (2, at, key),
        None if is_sampled(key) => (2, CHART_ORDER.len(), key),
        None => (1, 0, key),
    }
}

fn is_loss(key: &str) -> bool {
    key == TRAIN_LOSS || key == VALID_LOSS
}

/// Whether lower values of `key` are better (losses, errors, memory); accuracy-like metrics are
/// better higher.
pub fn lower_is_better(key: &str) -> bool {
    Best::of(key) != Best::Highest
}

/// Every series of one run, whole, by key.
#[derive(Clone, Debug, Default)]
pub struct RunSeries {
    pub run: RunId,
    pub series: BTreeMap<String, Curve>,
}

impl RunSeries {
    pub fn new(run: RunId) -> Self {
        Self {
            run,
            series: BTreeMap::new(),
        }
    }

    /// Reads what was logged since the last read: only the new points of a growing series (a
    /// live run's 25,000-step curve is not read again every half second). Returns whether
    /// anything changed.
    pub fn refresh(&mut self, store: &RunStore) -> Result<bool, StoreError> {
        let mut changed = false;
        for summary in store.metric_summaries(self.run)? {
            let held = self.series.get(&summary.key);
            let held_points = held.map_or(0, |c| c.steps.len()) as i64;
            if held_points == summary.points {
                continue;
            }
            changed = true;
            let last_step = held.and_then(|c| c.steps.last()).map(|s| *s as i64);
            if let (Some(last), true) = (last_step, held_points < summary.points) {
                let new = store.curve(self.run, &summary.key, Some(last + 1), None, 0)?;
                if !new.steps.is_empty() {
                    if let Some(curve) = self.series.get_mut(&summary.key) {
                        curve.steps.extend(new.steps);
                        curve.values.extend(new.values);
                        curve.timestamps_ms.extend(new.timestamps_ms);
                        curve.total_points = curve.steps.len();
                    }
                    continue;
                }
            }
            // First read, a series that shrank, or a point re-logged at an old step: all of it.
            let whole = store.curve(self.run, &summary.key, None, None, 0)?;
            self.series.insert(summary.key, whole);
        }
        Ok(changed)
    }

    /// The keys a chart can draw: series with more than one point (the losses from their first
    /// point, so a live run's chart is there from its first step), training series first and
    /// the system series after them.
    pub fn chart_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .series
            .iter()
            // The peak is a final metric, logged again only when it grew after the outcome.
            .filter(|(k, _)| k.as_str() != PEAK_RSS_MB)
            .filter(|(k, c)| c.steps.len() > 1 || (is_loss(k) && !c.steps.is_empty()))
            .map(|(k, _)| k.as_str())
            .collect();
        keys.sort_by_key(|k| chart_rank(k));
        keys
    }

    /// The last value of `key`.
    pub fn last(&self, key: &str) -> Option<f64> {
        self.series.get(key).and_then(|c| c.values.last().copied())
    }

    /// The run's first point's time.
    pub fn started_ms(&self) -> Option<i64> {
        self.series
            .values()
            .filter_map(|c| c.timestamps_ms.first().copied())
            .min()
    }

    /// The series that keeps the run's step clock: the per-step series with the most points.
    fn clock(&self) -> Option<&Curve> {
        self.series
            .iter()
            .filter(|(k, _)| !is_sampled(k))
            .map(|(_, c)| c)
            .max_by_key(|c| c.steps.len())
    }

    /// The x of every point of `key` on `axis`. Steps count from 1, as the gauge does; a
    /// sampled series sits at the step the run had logged when the sample was taken (its sample
    /// number when the run logs no steps).
    pub fn xs(&self, key: &str, axis: XAxis) -> Vec<f64> {
        let Some(curve) = self.series.get(key) else {
            return Vec::new();
        };
        match axis {
            XAxis::Time => {
                let start = self.started_ms().unwrap_or(0);
                curve
                    .timestamps_ms
                    .iter()
                    .map(|t| (t - start) as f64 / 1000.0)
                    .collect()
            }
            XAxis::Step if is_sampled(key) => match self.clock() {
                Some(clock) if !clock.steps.is_empty() => curve
                    .timestamps_ms
                    .iter()
                    .map(|t| {
                        let logged = clock.timestamps_ms.partition_point(|c| c <= t);
                        logged.checked_sub(1).map_or(0.0, |i| clock.steps[i] + 1.0)
                    })
                    .collect(),
                _ => curve.steps.iter().map(|s| s + 1.0).collect(),
            },
            XAxis::Step => curve.steps.iter().map(|s| s + 1.0).collect(),
        }
    }
}

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotOptions {
    pub axis: XAxis,
    pub smoothed: bool,
    /// The x range shown (`None`: all of it).
    pub zoom: Option<(f64, f64)>,
    pub log_y: bool,
    /// Points kept at most (LTTB); 0 keeps every point.
    pub max_points: usize,
}

/// One line as drawn: its points (y as log10 on a log scale), its best point in range, and how
/// many points it had before downsampling.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlotLine {
    pub points: Vec<(f64, f64)>,
    pub best: Option<(f64, f64)>,
    pub total: usize,
    /// Points left out of a log scale because they are zero or negative.
    pub not_positive: usize,
}

/// `key` of `runs` drawn with `options`; `None` when the run has no such series.
pub fn plot_line(runs: &RunSeries, key: &str, options: &PlotOptions) -> Option<PlotLine> {
    let curve = runs.series.get(key)?;
    let xs = runs.xs(key, options.axis);
    let shown = if options.smoothed {
        smooth(&curve.values, SMOOTHING)
    } else {
        curve.values.clone()
    };
    let in_range = |x: f64| options.zoom.is_none_or(|(a, b)| x >= a && x <= b);
    let lower = lower_is_better(key);
    let mut kept_x = Vec::with_capacity(xs.len());
    let mut kept_y = Vec::with_capacity(xs.len());
    let mut best: Option<(f64, f64)> = None;
    let mut not_positive = 0;
    for ((&x, &y), &raw) in xs.iter().zip(&shown).zip(&curve.values) {
        if !in_range(x) || !y.is_finite() {
            continue;
        }
        if options.log_y && y <= 0.0 {
            not_positive += 1;
            continue;
        }
        // The best is of what was logged, not of the smoothed line.
        if best.is_none_or(|(_, b)| if lower { raw < b } else { raw > b }) {
            best = Some((x, raw));
        }
        kept_x.push(x);
        kept_y.push(y);
    }
    // A system series has no best: less memory is not a better model.
    if is_sampled(key) {
        best = None;
    }
    let total = kept_x.len();
    let keep = lttb_indices(&kept_x, &kept_y, options.max_points);
    let scale = |y: f64| {
        if options.log_y {
            y.max(f64::MIN_POSITIVE).log10()
        } else {
            y
        }
    };
    let points = keep
        .iter()
        .map(|&i| (kept_x[i], scale(kept_y[i])))
        .collect();
    Some(PlotLine {
        points,
        best: best.map(|(x, y)| (x, scale(y))),
        total,
        not_positive,
    })
}

/// A line's value under the cursor at `x`: the last point at or before it, with its x, and the
/// best value logged up to it (a system series' peak).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub x: f64,
    pub value: f64,
    pub best_so_far: f64,
    /// "best", or "peak" for a system series.
    pub best_word: &'static str,
}

pub fn readout_at(
    runs: &RunSeries,
    key: &str,
    axis: XAxis,
    smoothed: bool,
    x: f64,
) -> Option<Reading> {
    let curve = runs.series.get(key)?;
    let xs = runs.xs(key, axis);
    let at = xs.partition_point(|v| *v <= x).checked_sub(1)?;
    let lower = lower_is_better(key) && !is_sampled(key);
    let best_so_far = curve.values[..=at]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .reduce(|a, b| if (b < a) == lower { b } else { a })?;
    let value = if smoothed {
        *smooth(&curve.values[..=at], SMOOTHING).last()?
    } else {
        curve.values[at]
    };
    Some(Reading {
        x: xs[at],
        value,
        best_so_far,
        best_word: if is_sampled(key) { "peak" } else { "best" },
    })
}

/// How far the cursor moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorMove {
    /// This many points on (positive) or back (negative).
    Points(isize),
    First,
    Last,
}

/// The cursor moved along `key` from `from`, staying in `zoom`; with no cursor yet it starts at
/// the last point in range.
pub fn step_cursor(
    runs: &RunSeries,
    key: &str,
    axis: XAxis,
    zoom: Option<(f64, f64)>,
    from: Option<f64>,
    by: CursorMove,
) -> Option<f64> {
    let xs: Vec<f64> = runs
        .xs(key, axis)
        .into_iter()
        .filter(|x| zoom.is_none_or(|(a, b)| *x >= a && *x <= b))
        .collect();
    let last = xs.len().checked_sub(1)?;
    let at = match (from, by) {
        (_, CursorMove::First) => 0,
        (None, _) | (_, CursorMove::Last) => last,
        (Some(from), CursorMove::Points(n)) => {
            // The first point at or past the cursor; moving on starts from the one at or before.
            let past = xs.partition_point(|x| *x < from);
            if n >= 0 {
                let here = if xs.get(past).is_some_and(|x| *x > from) {
                    past.saturating_sub(1)
                } else {
                    past
                };
                (here + n.unsigned_abs()).min(last)
            } else {
                past.saturating_sub(n.unsigned_abs())
            }
        }
    };
    xs.get(at).copied()
}

/// A tenth of `key`'s points, at least one: how far Page Up / Page Down move the cursor.
pub fn page_points(runs: &RunSeries, key: &str) -> isize {
    runs.series
        .get(key)
        .map_or(1, |c| (c.steps.len() / 10).max(1)) as isize
}

/// The x range of `key` (first and last x), for zooming.
pub fn x_range(runs: &RunSeries, key: &str, axis: XAxis) -> Option<(f64, f64)> {
    let xs = runs.xs(key, axis);
    Some((*xs.first()?, *xs.last()?))
}

/// Half of `range` about `centre` (the middle when there is no cursor), kept inside `range`;
/// whole steps on the step axis, down to 4 steps (or a second).
pub fn zoom_in(range: (f64, f64), centre: Option<f64>, axis: XAxis) -> Option<(f64, f64)> {
    let (low, high) = range;
    let half = (high - low) / 2.0;
    let narrowest = match axis {
        XAxis::Step => 4.0,
        XAxis::Time => 1.0,
    };
    if half < narrowest {
        return None;
    }
    let centre = centre.unwrap_or((low + high) / 2.0).clamp(low, high);
    let start = (centre - half / 2.0).clamp(low, high - half);
    Some(match axis {
        XAxis::Step => (start.round(), (start + half).round()),
        XAxis::Time => (start, start + half),
    })
}

/// Three labels of a y axis from `low` to `high`; on a log scale the bounds are log10 and the
/// labels the values at them.
pub fn y_labels(low: f64, high: f64, log_y: bool) -> [f64; 3] {
    let mid = (low + high) / 2.0;
    if log_y {
        [10f64.powf(low), 10f64.powf(mid), 10f64.powf(high)]
    } else {
        [low, mid, high]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (step, value, timestamp) points of a test series.
    type Points = Vec<(f64, f64, i64)>;

    fn run_with(series: &[(&str, Points)]) -> RunSeries {
        let mut runs = RunSeries::new(1);
        for (key, points) in series {
            runs.series.insert(
                key.to_string(),
                Curve {
                    steps: points.iter().map(|p| p.0).collect(),
                    values: points.iter().map(|p| p.1).collect(),
                    timestamps_ms: points.iter().map(|p| p.2).collect(),
                    total_points: points.len(),
                },
            );
        }
        runs
    }

    #[test]
    fn a_sampled_series_sits_at_the_step_its_sample_was_taken() {
        let runs = run_with(&[
            (
                "train_loss",
                (0..10)
                    .map(|s| (s as f64, 10.0 - s as f64, 1000 + 100 * s))
                    .collect(),
            ),
            (
                "sys.rss_mb",
                vec![(0.0, 50.0, 1000), (1.0, 60.0, 1450), (2.0, 70.0, 5000)],
            ),
        ]);
        assert_eq!(runs.xs("sys.rss_mb", XAxis::Step), vec![1.0, 5.0, 10.0]);
        assert_eq!(runs.xs("sys.rss_mb", XAxis::Time), vec![0.0, 0.45, 4.0]);
        assert_eq!(runs.chart_keys(), vec!["train_loss", "sys.rss_mb"]);
        let mut keys = vec![
            "sys.elapsed_s",
            "sys.cpu_percent",
            "valid_loss",
            "rmse_by_step",
            "train_loss",
        ];
        keys.sort_by_key(|k| chart_rank(k));
        assert_eq!(
            keys,
            [
                "train_loss",
                "valid_loss",
                "rmse_by_step",
                "sys.cpu_percent",
                "sys.elapsed_s"
            ]
        );
    }

    #[test]
    fn a_line_is_zoomed_marked_at_its_best_and_logged() {
        let points: Vec<(f64, f64, i64)> = (0..1000)
            .map(|s| (s as f64, 10_000.0 / (s as f64 + 1.0), s))
            .collect();
        let runs = run_with(&[("valid_loss", points)]);
        let options = PlotOptions {
            axis: XAxis::Step,
            smoothed: false,
            zoom: Some((101.0, 200.0)),
            log_y: true,
            max_points: 20,
        };
        let line = plot_line(&runs, "valid_loss", &options).expect("line");
        assert_eq!(line.total, 100);
        assert_eq!(line.points.len(), 20);
        assert_eq!(line.points[0], (101.0, (10_000.0f64 / 101.0).log10()));
        let (x, y) = line.best.expect("best");
        assert_eq!(x, 200.0);
        assert!((y - 50f64.log10()).abs() < 1e-12);
        assert_eq!(y_labels(2.0, 4.0, true), [100.0, 1000.0, 10000.0]);
    }

    #[test]
    fn the_readout_reads_the_point_under_the_cursor_and_the_best_so_far() {
        let runs = run_with(&[(
            "valid_loss",
            vec![(0.0, 5.0, 0), (1.0, 3.0, 1), (2.0, 4.0, 2)],
        )]);
        let reading = readout_at(&runs, "valid_loss", XAxis::Step, false, 3.5).expect("reading");
        assert_eq!(
            (reading.x, reading.value, reading.best_so_far),
            (3.0, 4.0, 3.0)
        );
        assert!(readout_at(&runs, "valid_loss", XAxis::Step, false, 0.5).is_none());
        let step = |from, by| step_cursor(&runs, "valid_loss", XAxis::Step, None, from, by);
        let start = step(None, CursorMove::Points(-1));
        assert_eq!(start, Some(3.0));
        assert_eq!(step(start, CursorMove::Points(-1)), Some(2.0));
        assert_eq!(step(Some(2.0), CursorMove::Points(5)), Some(3.0));
        assert_eq!(step(Some(2.5), CursorMove::Points(-1)), Some(2.0));
        assert_eq!(step(Some(2.5), CursorMove::Points(1)), Some(3.0));
        assert_eq!(step(start, CursorMove::First), Some(1.0));
        assert_eq!(
            zoom_in((1.0, 101.0), Some(100.0), XAxis::Step),
            Some((51.0, 101.0))
        );
        assert_eq!(zoom_in((1.0, 8.0), None, XAxis::Step), None);
    }
}
