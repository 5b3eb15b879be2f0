//! Gradient histograms of a leaf's rows and the best split they offer.
//!
//! A histogram holds, for every bin of every feature, the sum of the gradients and hessians of
//! the leaf's rows in that bin. It is built row by row (each row's bins are adjacent bytes), in
//! chunks across threads for large leaves; a sibling's comes for free as parent − child, so only
//! the smaller child of each split is ever built (LightGBM's subtraction trick).

use rayon::prelude::*;

use super::bins::{Cuts, Entries, TrainBins};

/// A row's gradient and hessian, in single precision as LightGBM keeps them: half the memory
/// the histogram walk reads at random. Sums are kept in double precision (`GradPair`).
#[derive(Clone, Copy, Debug, Default)]
pub struct RowGrad {
    pub g: f32,
    pub h: f32,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct GradPair {
    pub g: f64,
    pub h: f64,
}

impl GradPair {
    #[inline]
    fn add(&mut self, other: GradPair) {
        self.g += other.g;
        self.h += other.h;
    }
}

/// Where each feature's bins start in a flat histogram.
pub struct Layout {
    pub offsets: Vec<usize>,
    pub total: usize,
}

impl Layout {
    pub fn new(cuts: &Cuts) -> Self {
        let mut offsets = Vec::with_capacity(cuts.features());
        let mut total = 0;
        for f in 0..cuts.features() {
            offsets.push(total);
            total += cuts.bins(f);
        }
        Self { offsets, total }
    }

    fn bins(&self, f: usize) -> std::ops::Range<usize> {
        let end = self.offsets.get(f + 1).copied().unwrap_or(self.total);
        self.offsets[f]..end
    }
}

/// Rows per chunk below which a histogram is built on one thread: splitting smaller leaves costs
/// more in reduction than it saves.
const PARALLEL_ROWS: usize = 1_024;

/// Fills `out` with the histogram of `rows`, whose gradients sum to `total`. `scratch` holds one
/// histogram per extra thread.
pub fn build(
    out: &mut [GradPair],
    scratch: &mut [Vec<GradPair>],
    rows: &[u32],
    train: &TrainBins,
    layout: &Layout,
    grads: &[RowGrad],
    total: GradPair,
) {
    let chunks = (rows.len() / PARALLEL_ROWS).clamp(1, scratch.len() + 1);
    if chunks == 1 {
        out.fill(GradPair::default());
        accumulate(out, rows, train, grads);
    } else {
        let per = rows.len().div_ceil(chunks);
        let (first, rest) = rows.split_at(per);
        rayon::join(
            || {
                out.fill(GradPair::default());
                accumulate(out, first, train, grads);
            },
            || {
                scratch[..chunks - 1]
                    .par_iter_mut()
                    .zip(rest.par_chunks(per))
                    .for_each(|(hist, chunk)| {
                        hist.fill(GradPair::default());
                        accumulate(hist, chunk, train, grads);
                    })
            },
        );
        for hist in &scratch[..chunks - 1] {
            for (o, s) in out.iter_mut().zip(hist) {
                o.add(*s);
            }
        }
    }
    // Each feature's most frequent bin was left out of the rows: it holds what the others do not.
    for (f, &default) in train.default_bin.iter().enumerate() {
        let cells = &mut out[layout.bins(f)];
        let mut rest = GradPair::default();
        for cell in cells.iter() {
            rest.add(*cell);
        }
        cells[default as usize] = GradPair {
            g: total.g - rest.g,
            h: total.h - rest.h,
        };
    }
}

fn accumulate(hist: &mut [GradPair], rows: &[u32], train: &TrainBins, grads: &[RowGrad]) {
    match &train.entries {
        Entries::Narrow { starts, index } => accumulate_cells(hist, rows, starts, index, grads),
        Entries::Wide { starts, index } => accumulate_cells(hist, rows, starts, index, grads),
    }
}

fn accumulate_cells<I: Copy + Into<u64>>(
    hist: &mut [GradPair],
    rows: &[u32],
    starts: &[usize],
    index: &[I],
    grads: &[RowGrad],
) {
    // A deep leaf's rows are scattered over the table: fetch a row's start two steps of
    // `AHEAD` early and its cells and gradient one step early, so the walk does not wait on
    // memory (LightGBM prefetches the same way).
    const AHEAD: usize = 16;
    for (i, &r) in rows.iter().enumerate() {
        if let Some(&far) = rows.get(i + 2 * AHEAD) {
            prefetch(&starts[far as usize]);
        }
        if let Some(&near) = rows.get(i + AHEAD) {
            let near = near as usize;
            if let Some(first) = index.get(starts[near]) {
                prefetch(first);
            }
            prefetch(&grads[near]);
        }
        let r = r as usize;
        let (g, h) = (f64::from(grads[r].g), f64::from(grads[r].h));
        for &cell in &index[starts[r]..starts[r + 1]] {
            let cell = &mut hist[cell.into() as usize];
            cell.g += g;
            cell.h += h;
        }
    }
}

#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of every x86_64 target, and a prefetch only hints the cache: it
        // reads nothing and cannot fault, and `value` is a live reference besides.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// `parent` becomes the other child: parent − `child`.
pub fn subtract(parent: &mut [GradPair], child: &[GradPair]) {
    for (p, c) in parent.iter_mut().zip(child) {
        p.g -= c.g;
        p.h -= c.h;
    }
}

/// The limits a split must respect.
pub struct SplitRules {
    pub lambda: f64,
    pub min_child_weight: f64,
}

impl SplitRules {
    #[inline]
    pub fn score(&self, sum: GradPair) -> f64 {
        sum.g * sum.g / (sum.h + self.lambda)
    }

    #[inline]
    fn allows(&self, side: GradPair) -> bool {
        side.h >= self.min_child_weight && side.h > 1e-12
    }
}

/// A split of a leaf: rows of `feature` in bins 1..=`bin` go left, missing ones as `missing_left`.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    pub feature: usize,
    pub bin: u8,
    pub missing_left: bool,
    pub gain: f64,
    pub left: GradPair,
    pub right: GradPair,
}

impl Split {
    #[inline]
    pub fn goes_left(&self, bin: u8) -> bool {
        super::tree::bin_goes_left(bin, self.bin, self.missing_left)
    }
}

/// The best split of a leaf with histogram `hist` and sums `total` over `features`, if any split
/// gains.
pub fn best_split(
    hist: &[GradPair],
    total: GradPair,
    features: &[usize],
    layout: &Layout,
    rules: &SplitRules,
) -> Option<Split> {
    let parent = rules.score(total);
    let mut best: Option<Split> = None;
    for &f in features {
        let bins = &hist[layout.bins(f)];
        let missing = bins[0];
        let has_missing = missing.h > 0.0;
        let mut left = GradPair::default();
        // The last value bin cannot be a threshold: nothing would go right of it.
        for (b, cell) in bins.iter().enumerate().take(bins.len() - 1).skip(1) {
            left.add(*cell);
            let mut consider = |l: GradPair, missing_left: bool| {
                let r = GradPair {
                    g: total.g - l.g,
                    h: total.h - l.h,
                };
                if !rules.allows(l) || !rules.allows(r) {
                    return;
                }
                let gain = rules.score(l) + rules.score(r) - parent;
                if gain > best.map_or(0.0, |s| s.gain) {
                    best = Some(Split {
                        feature: f,
                        bin: b as u8,
                        missing_left,
                        gain,
                        left: l,
                        right: r,
                    });
                }
            };
            consider(left, false);
            if has_missing {
                let mut with_missing = left;
                with_missing.add(missing);
                consider(with_missing, true);
            }
        }
    }
    // No missing value seen in training: a missing value at prediction goes with the majority.
    if let Some(split) = best.as_mut()
        && hist[layout.offsets[split.feature]].h == 0.0
    {
        split.missing_left = split.left.h >= split.right.h;
    }
    best
}
