//! Curves for display: one run's metric read through the (series, step) key, optionally only a
//! step range, and downsampled with Largest-Triangle-Three-Buckets (Steinarsson, 2013) so a
//! 25,000-step curve draws as a few hundred points that keep its peaks and shape.

use rusqlite::params;

use super::runs::RunId;
use super::{RunStore, StoreError};

/// (step, value, timestamp in ms) points of one curve, by step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curve {
    pub steps: Vec<f64>,
    pub values: Vec<f64>,
    pub timestamps_ms: Vec<i64>,
    /// Points the curve had before downsampling.
    pub total_points: usize,
}

impl RunStore {
    /// The metric `key` of run `id` between steps `from` and `to` (inclusive; `None` for open
    /// ends), downsampled to at most `max_points` (0: every point).
    pub fn curve(
        &self,
        id: RunId,
        key: &str,
        from: Option<i64>,
        to: Option<i64>,
        max_points: usize,
    ) -> Result<Curve, StoreError> {
        let points: Vec<(i64, f64, i64)> = self.db.query_map(
            "SELECT p.step, p.value, p.timestamp_ms FROM metric_series s \
             JOIN metric_points p ON p.series_id = s.id \
             WHERE s.run_id = ?1 AND s.key = ?2 AND p.step >= ?3 AND p.step <= ?4 \
             ORDER BY p.step, p.timestamp_ms",
            params![id, key, from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let mut steps = Vec::with_capacity(points.len());
        let mut values = Vec::with_capacity(points.len());
        let mut timestamps_ms = Vec::with_capacity(points.len());
        for (step, value, timestamp_ms) in points {
            steps.push(step as f64);
            values.push(value);
            timestamps_ms.push(timestamp_ms);
        }
        let total_points = steps.len();
        let keep = lttb_indices(&steps, &values, max_points);
        if keep.len() == total_points {
            return Ok(Curve {
                steps,
                values,
                timestamps_ms,
                total_points,
            });
        }
        Ok(Curve {
            steps: keep.iter().map(|&i| steps[i]).collect(),
            values: keep.iter().map(|&i| values[i]).collect(),
            timestamps_ms: keep.iter().map(|&i| timestamps_ms[i]).collect(),
            total_points,
        })
    }
}

/// The indices Largest-Triangle-Three-Buckets keeps of the points (`xs`, `ys`): the first and
/// the last, and from each of `threshold - 2` buckets the point making the largest triangle with
/// the point kept before and the next bucket's mean. Every index when `threshold` is 0 or not
/// below the number of points.
pub fn lttb_indices(xs: &[f64], ys: &[f64], threshold: usize) -> Vec<usize> {
    let n = xs.len().min(ys.len());
    if threshold == 0 || threshold >= n || n < 3 {
        return (0..n).collect();
    }
    let threshold = threshold.max(3);
    let mut kept = Vec::with_capacity(threshold);
    kept.push(0);
    let bucket = (n - 2) as f64 / (threshold - 2) as f64;
    let mut previous = 0usize;
    for b in 0..threshold - 2 {
        let start = (b as f64 * bucket).floor() as usize + 1;
        let end = (((b + 1) as f64 * bucket).floor() as usize + 1).min(n - 1);
        // The next bucket's mean (the last point for the last bucket).
        let next_start = end;
        let next_end = (((b + 2) as f64 * bucket).floor() as usize + 1).min(n);
        let (mean_x, mean_y) = if next_start < next_end {
            let count = (next_end - next_start) as f64;
            (
                xs[next_start..next_end].iter().sum::<f64>() / count,
                ys[next_start..next_end].iter().sum::<f64>() / count,
            )
        } else {
            (xs[n - 1], ys[n - 1])
        };
        let (px, py) = (xs[previous], ys[previous]);
        let mut best = start;
        let mut best_area = -1.0;
        for i in start..end.max(start + 1).min(n - 1) {
            let area = ((px - mean_x) * (ys[i] - py) - (px - xs[i]) * (mean_y - py)).abs();
            if area > best_area {
                best_area = area;
                best = i;
            }
        }
        kept.push(best);
        previous = best;
    }
    kept.push(n - 1);
    kept
}
