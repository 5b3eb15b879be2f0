//! The two distributions a column's drift is drawn with: the levels of a category side by side,
//! or one shared histogram of a number's values.

use super::Distribution;
use super::stats::{LevelCounts, level_shares};

/// Levels drawn per chart (the rest summed into "other").
const CHART_LEVELS: usize = 12;
/// Bins per histogram chart at most.
const CHART_BINS: usize = 40;

pub(super) fn level_chart(counts: &LevelCounts) -> Distribution {
    let (r, c) = level_shares(counts);
    // The levels that moved most come first (a new store, a delisted item), then the largest;
    // only the rest is summed into "other".
    let mut order: Vec<usize> = (0..counts.levels.len()).collect();
    order.sort_by(|&a, &b| {
        let moved = |i: usize| (r[i] - c[i]).abs();
        moved(b)
            .total_cmp(&moved(a))
            .then((r[b] + c[b]).total_cmp(&(r[a] + c[a])))
    });
    let (mut levels, mut reference, mut current) = (Vec::new(), Vec::new(), Vec::new());
    for &i in order.iter().take(CHART_LEVELS) {
        levels.push(counts.levels[i].clone());
        reference.push(r[i]);
        current.push(c[i]);
    }
    if order.len() > CHART_LEVELS {
        let rest = &order[CHART_LEVELS..];
        levels.push(format!("other ({})", rest.len()));
        reference.push(rest.iter().map(|&i| r[i]).sum());
        current.push(rest.iter().map(|&i| c[i]).sum());
    }
    Distribution::Levels {
        levels,
        reference,
        current,
    }
}

pub(super) fn histogram_chart(reference: &[f64], current: &[f64]) -> Distribution {
    let lo = reference[0].min(current[0]);
    let hi = reference[reference.len() - 1].max(current[current.len() - 1]);
    let n = (reference.len() + current.len()) as f64;
    let bins = ((n.log2() + 1.0).ceil() as usize).clamp(1, CHART_BINS);
    let (lo, hi) = if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let edges: Vec<f64> = (0..=bins)
        .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
        .collect();
    let shares = |values: &[f64]| {
        let hist = super::stats::histogram(values, &edges);
        hist.iter().map(|h| h / values.len() as f64).collect()
    };
    Distribution::Histogram {
        reference: shares(reference),
        current: shares(current),
        edges,
    }
}
