//! The drift statistics, each computed as Evidently computes it (so its users get the same
//! verdicts) with the numbers of the scipy function it calls: `ks_2samp`,
//! `wasserstein_distance`, `chisquare` / `chi2_contingency`, `distance.jensenshannon`, and
//! Evidently's own PSI, Z-test and binning (`get_binned_data`, numpy's Sturges histogram).
//! Inputs are the non-missing values only.

use std::collections::HashMap;

use super::special::{chi2_sf, kolmogorov_sf, normal_sf};

/// The two-sample Kolmogorov–Smirnov test, two-sided: (D, p-value) as scipy's
/// `ks_2samp(method="auto")`: exact up to 10,000 values a side, else the asymptotic
/// distribution at n = round(n1 n2 / (n1 + n2)).
pub fn ks_2samp(reference: &[f64], current: &[f64]) -> (f64, f64) {
    let mut a = reference.to_vec();
    let mut b = current.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    ks_2samp_sorted(&a, &b)
}

/// `ks_2samp` of two samples already sorted ascending.
pub fn ks_2samp_sorted(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return (f64::NAN, f64::NAN);
    }
    // D = max |F1(x) - F2(x)| over every value, with right-continuous ECDFs (ties together).
    let (mut i, mut j) = (0usize, 0usize);
    let mut d = 0.0f64;
    while i < n1 || j < n2 {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < n1 && a[i] <= x {
            i += 1;
        }
        while j < n2 && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n1 as f64 - j as f64 / n2 as f64).abs());
    }
    let p = if n1.max(n2) <= 10_000 {
        ks_exact_p(n1, n2, d).unwrap_or_else(|| ks_asymptotic_p(n1, n2, d))
    } else {
        ks_asymptotic_p(n1, n2, d)
    };
    (d, p.clamp(0.0, 1.0))
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// P(D >= d) exactly: one minus the share of monotone lattice paths from (0,0) to (n1,n2)
/// that stay strictly inside |x/n1 - y/n2| < d, walked with each path's probability.
fn ks_exact_p(n1: usize, n2: usize, d: f64) -> Option<f64> {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) as f64 * n2 as f64;
    let h = (d * lcm).round();
    if h == 0.0 {
        return Some(1.0);
    }
    if n1 == n2 {
        return Some(prob_outside_square(n1, h as usize));
    }
    // |x n2 - y n1| < h g, in integers.
    let bound = h as i128 * g as i128;
    let inside =
        |x: usize, y: usize| ((x as i128 * n2 as i128) - (y as i128 * n1 as i128)).abs() < bound;
    let mut row = vec![0.0f64; n2 + 1];
    row[0] = 1.0;
    for x in 0..=n1 {
        // row[y] holds the mass arriving at (x, y) by a step along x; steps along y are added
        // as y rises. A point outside the band absorbs its mass.
        let mut next = vec![0.0f64; n2 + 1];
        for y in 0..=n2 {
            let mass = row[y];
            if mass == 0.0 {
                continue;
            }
            if !inside(x, y) {
                row[y] = 0.0;
                continue;
            }
            let (left_x, left_y) = ((n1 - x) as f64, (n2 - y) as f64);
            let total = left_x + left_y;
            if total == 0.0 {
                continue;
            }
            if y < n2 {
                row[y + 1] += mass * left_y / total;
            }
            if x < n1 {
                next[y] += mass * left_x / total;
            }
        }
        if x == n1 {
            return Some((1.0 - row[n2]).max(0.0));
        }
        row = next;
    }
    None
}

/// Equal sizes: scipy's alternating-series form of P(D_{n,n} >= h/n).
fn prob_outside_square(n: usize, h: usize) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    while k >= 0 {
        let mut p1 = 1.0;
        let kh = k as f64 * h as f64;
        for j in 0..h {
            p1 = (n as f64 - kh - j as f64) * p1 / (n as f64 + kh + j as f64 + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

fn ks_asymptotic_p(n1: usize, n2: usize, d: f64) -> f64 {
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = m * n / (m + n);
    kolmogorov_sf(en.round() as u64, d)
}

/// scipy's `wasserstein_distance(u, v)`: the integral of |U(x) - V(x)|.
pub fn wasserstein(reference: &[f64], current: &[f64]) -> f64 {
    let mut a = reference.to_vec();
    let mut b = current.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    wasserstein_sorted(&a, &b)
}

/// `wasserstein` of two samples already sorted ascending: one merge walk.
pub fn wasserstein_sorted(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    let mut x = a[0].min(b[0]);
    loop {
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        let next = match (a.get(i), b.get(j)) {
            (Some(&p), Some(&q)) => p.min(q),
            (Some(&p), None) => p,
            (None, Some(&q)) => q,
            (None, None) => break,
        };
        total += (i as f64 / n1 - j as f64 / n2).abs() * (next - x);
        x = next;
    }
    total
}

/// Distinct values over two sorted samples.
pub fn distinct_sorted(a: &[f64], b: &[f64]) -> usize {
    let (mut i, mut j, mut count) = (0usize, 0usize, 0usize);
    let mut last: Option<f64> = None;
    while i < a.len() || j < b.len() {
        let take_a = match (a.get(i), b.get(j)) {
            (Some(p), Some(q)) => p <= q,
            (Some(_), None) => true,
            _ => false,
        };
        let v = if take_a {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        if last != Some(v) {
            count += 1;
            last = Some(v);
        }
    }
    count
}

/// Population standard deviation (numpy's `np.std`, ddof 0), two-pass.
pub fn std_dev(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

/// Evidently's normed Wasserstein distance: the distance over the reference's standard
/// deviation (at least 0.001).
pub fn wasserstein_normed(reference: &[f64], current: &[f64]) -> f64 {
    wasserstein(reference, current) / std_dev(reference).max(0.001)
}

/// scipy's `chisquare(observed, expected)`: (statistic, p-value) with k - 1 degrees of freedom.
pub fn chisquare(observed: &[f64], expected: &[f64]) -> (f64, f64) {
    let statistic: f64 = observed
        .iter()
        .zip(expected)
        .map(|(o, e)| (o - e) * (o - e) / e)
        .sum();
    let dof = observed.len().saturating_sub(1) as f64;
    (statistic, chi2_sf(statistic, dof))
}

/// scipy's `chi2_contingency` on a 2 x k table of counts (reference row, current row), with
/// Yates' correction when there is one degree of freedom, as scipy's default.
pub fn chi2_contingency(reference: &[f64], current: &[f64]) -> (f64, f64) {
    let k = reference.len();
    let (r_total, c_total): (f64, f64) = (reference.iter().sum(), current.iter().sum());
    let total = r_total + c_total;
    let dof = k.saturating_sub(1);
    let mut statistic = 0.0;
    for i in 0..k {
        let column = reference[i] + current[i];
        for (observed, row_total) in [(reference[i], r_total), (current[i], c_total)] {
            let expected = row_total * column / total;
            let mut diff = observed - expected;
            if dof == 1 {
                diff = diff.signum() * (diff.abs() - 0.5).max(0.0).min(diff.abs());
            }
            statistic += diff * diff / expected;
        }
    }
    (statistic, chi2_sf(statistic, dof as f64))
}

/// Counts of each level in both samples, levels in a stable order.
pub struct LevelCounts {
    pub levels: Vec<String>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

/// Counts each key in both samples: (the first value seen with the key, reference count,
/// current count), in order of first sight. A few levels (flags, weekdays, regions) are found
/// faster by a look along a short list than by hashing every row; more go to a map.
fn count_levels<V: Copy, K: Eq + std::hash::Hash + Copy>(
    reference: impl Iterator<Item = V>,
    current: impl Iterator<Item = V>,
    key_of: impl Fn(V) -> K,
) -> Vec<(V, f64, f64)> {
    const SHORT_LIST: usize = 16;
    let mut keys: Vec<K> = Vec::new();
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut counts: Vec<(V, f64, f64)> = Vec::new();
    for (value, side) in reference.map(|v| (v, 0)).chain(current.map(|v| (v, 1))) {
        let key = key_of(value);
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None if keys.len() < SHORT_LIST => {
                keys.push(key);
                index.insert(key, counts.len());
                counts.push((value, 0.0, 0.0));
                counts.len() - 1
            }
            None => *index.entry(key).or_insert_with(|| {
                counts.push((value, 0.0, 0.0));
                counts.len() - 1
            }),
        };
        if side == 0 {
            counts[i].1 += 1.0;
        } else {
            counts[i].2 += 1.0;
        }
    }
    counts
}

impl LevelCounts {
    pub fn new<'a>(
        reference: impl Iterator<Item = &'a str>,
        current: impl Iterator<Item = &'a str>,
    ) -> Self {
        let mut counts = count_levels(reference, current, |v| v);
        // Sorted by level: results do not depend on the order rows arrive in.
        counts.sort_by(|a, b| a.0.cmp(b.0));
        Self {
            levels: counts.iter().map(|c| c.0.to_string()).collect(),
            reference: counts.iter().map(|c| c.1).collect(),
            current: counts.iter().map(|c| c.2).collect(),
        }
    }

    /// Levels of numbers (sorted by value), counted by their bits (-0.0 and 0.0 are one).
    pub fn from_numbers(reference: &[f64], current: &[f64]) -> Self {
        let mut counts = count_levels(
            reference.iter().copied(),
            current.iter().copied(),
            |v: f64| if v == 0.0 { 0 } else { v.to_bits() },
        );
        counts.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self {
            levels: counts.iter().map(|c| format!("{}", c.0)).collect(),
            reference: counts.iter().map(|c| c.1).collect(),
            current: counts.iter().map(|c| c.2).collect(),
        }
    }

    pub fn totals(&self) -> (f64, f64) {
        (self.reference.iter().sum(), self.current.iter().sum())
    }
}

/// Evidently's chi-square: the current counts against the reference's scaled to the current
/// size (a goodness-of-fit `chisquare`).
pub fn chi_square_gof(counts: &LevelCounts) -> (f64, f64) {
    let (r_total, c_total) = counts.totals();
    let k_norm = c_total / r_total;
    let expected: Vec<f64> = counts.reference.iter().map(|r| r * k_norm).collect();
    chisquare(&counts.current, &expected)
}

/// Evidently's Z-test of two proportions: the share of rows not at the first level (sorted).
pub fn z_test(counts: &LevelCounts) -> (f64, f64) {
    let (n1, n2) = counts.totals();
    if counts.levels.len() <= 1 {
        return (0.0, 1.0);
    }
    let p1 = (n1 - counts.reference[0]) / n1;
    let p2 = (n2 - counts.current[0]) / n2;
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    (z, 2.0 * normal_sf(z.abs()))
}

/// scipy's `distance.jensenshannon(p, q)` (natural log): each normalized to sum 1.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    let rel_entr = |x: f64, y: f64| {
        if x == 0.0 {
            0.0
        } else if x > 0.0 && y > 0.0 {
            x * (x / y).ln()
        } else {
            f64::INFINITY
        }
    };
    let mut total = 0.0;
    for (a, b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        total += rel_entr(a, m) + rel_entr(b, m);
    }
    (total / 2.0).max(0.0).sqrt()
}

/// Evidently's PSI: sum (ref% - cur%) ln(ref% / cur%) over bins with zeros filled.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(r, c)| (r - c) * (r / c).ln())
        .sum()
}

/// Evidently's `feel_zeroes`: an empty bin gets a millionth of the smallest non-empty share
/// (when that is at most 0.0001), otherwise 0.0001.
pub fn fill_zeroes(shares: &mut [f64]) {
    let smallest = shares
        .iter()
        .copied()
        .filter(|s| *s != 0.0)
        .fold(f64::INFINITY, f64::min);
    if !smallest.is_finite() {
        return;
    }
    let fill = if smallest <= 0.0001 {
        smallest / 1e6
    } else {
        0.0001
    };
    for s in shares.iter_mut().filter(|s| **s == 0.0) {
        *s = fill;
    }
}

/// numpy's `histogram_bin_edges(values, bins="sturges")`.
pub fn sturges_edges(values: &[f64]) -> Vec<f64> {
    let (mut first, mut last) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    if values.is_empty() {
        (first, last) = (0.0, 1.0);
    }
    let ptp = last - first;
    let width = ptp / ((values.len() as f64).log2() + 1.0);
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    let bins = if width > 0.0 {
        ((last - first) / width).ceil() as usize
    } else {
        1
    };
    let step = (last - first) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| first + i as f64 * step).collect();
    edges[bins] = last;
    edges
}

/// numpy's `histogram(values, edges)` for equal-width edges: counts per bin, the last closed.
pub fn histogram(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let bins = edges.len() - 1;
    let (first, last) = (edges[0], edges[bins]);
    let norm = bins as f64 / (last - first);
    let mut counts = vec![0.0; bins];
    for &v in values {
        if v < first || v > last {
            continue;
        }
        let mut i = ((v - first) * norm) as usize;
        if i == bins {
            i -= 1;
        }
        // numpy's correction for values within an ULP of an edge.
        if v < edges[i] {
            i -= 1;
        } else if i + 1 < bins && v >= edges[i + 1] {
            i += 1;
        }
        counts[i] += 1.0;
    }
    counts
}

/// Evidently's `get_binned_data` for numbers: Sturges bins over both samples when the
/// reference has more than 20 distinct values, otherwise one bin per value. Shares of each.
pub fn binned_numbers(reference: &[f64], current: &[f64], fill: bool) -> (Vec<f64>, Vec<f64>) {
    let distinct = {
        let mut sorted = reference.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        sorted.len()
    };
    let (mut r, mut c) = if distinct > 20 {
        let combined: Vec<f64> = reference.iter().chain(current).copied().collect();
        let edges = sturges_edges(&combined);
        let (nr, nc) = (reference.len() as f64, current.len() as f64);
        (
            histogram(reference, &edges)
                .iter()
                .map(|x| x / nr)
                .collect(),
            histogram(current, &edges).iter().map(|x| x / nc).collect(),
        )
    } else {
        level_shares(&LevelCounts::from_numbers(reference, current))
    };
    if fill {
        fill_zeroes(&mut r);
        fill_zeroes(&mut c);
    }
    (r, c)
}

/// Each level's share of its sample.
pub fn level_shares(counts: &LevelCounts) -> (Vec<f64>, Vec<f64>) {
    let (nr, nc) = counts.totals();
    (
        counts.reference.iter().map(|x| x / nr).collect(),
        counts.current.iter().map(|x| x / nc).collect(),
    )
}
