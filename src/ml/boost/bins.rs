//! Features cut into at most 255 bins, as LightGBM and XGBoost's `hist` do: the booster then
//! works on one byte per value. Bin 0 of every feature holds the missing values (NaN); bins 1..=k
//! hold the values up to each bin's upper bound, the last bound being +inf.
//!
//! The cuts come from the training rows alone. A feature with at most 255 distinct values gets a
//! bin for each (the bounds are midpoints between neighbours); one with more is cut greedily into
//! bins of about equal counts, a value too frequent for one bin getting a bin of its own.

use rayon::prelude::*;

use crate::ml::features::Matrix;

/// Value bins per feature (bin 0, the missing values, comes on top).
pub const MAX_VALUE_BINS: usize = 255;
/// Rows the cuts are computed from; more rows barely move the quantiles (LightGBM's
/// `bin_construct_sample_cnt`).
const CUT_SAMPLE_ROWS: usize = 200_000;

/// Each feature's bin upper bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Cuts {
    /// `uppers[f][b - 1]` is the largest value of feature `f` in bin `b`.
    pub uppers: Vec<Vec<f64>>,
}

impl Cuts {
    pub fn from_rows(x: &Matrix) -> Self {
        let cols = x.cols();
        let step = x.rows.div_ceil(CUT_SAMPLE_ROWS).max(1);
        let uppers = (0..cols)
            .into_par_iter()
            .map(|f| {
                let mut values: Vec<f64> = (0..x.rows)
                    .step_by(step)
                    .map(|r| x.values[r * cols + f])
                    .filter(|v| !v.is_nan())
                    .collect();
                values.sort_unstable_by(f64::total_cmp);
                feature_cuts(&values)
            })
            .collect();
        Self { uppers }
    }

    pub fn features(&self) -> usize {
        self.uppers.len()
    }

    /// Bins of feature `f`, the missing bin included.
    pub fn bins(&self, f: usize) -> usize {
        self.uppers[f].len() + 1
    }

    #[inline]
    pub fn bin(&self, f: usize, value: f64) -> u8 {
        if value.is_nan() {
            return 0;
        }
        let uppers = &self.uppers[f];
        // The last bound is +inf, so every value finds a bin.
        let index = uppers.partition_point(|&u| u < value).min(uppers.len() - 1);
        (index + 1) as u8
    }

    /// The rows of `x` (which has these features) as bins, row by row.
    pub fn bin_rows(&self, x: &Matrix) -> BinnedRows {
        let cols = self.features();
        let mut bins = vec![0u8; x.rows * cols];
        x.values
            .par_chunks_exact(cols.max(1))
            .zip(bins.par_chunks_exact_mut(cols.max(1)))
            .with_min_len(1024)
            .for_each(|(row, out)| {
                for (f, (v, b)) in row.iter().zip(out.iter_mut()).enumerate() {
                    *b = self.bin(f, *v);
                }
            });
        BinnedRows {
            rows: x.rows,
            cols,
            bins,
        }
    }
}

/// The bounds of one feature from its sorted non-missing values.
fn feature_cuts(sorted: &[f64]) -> Vec<f64> {
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in sorted {
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let mut uppers = Vec::new();
    if distinct.len() <= MAX_VALUE_BINS {
        for pair in distinct.windows(2) {
            uppers.push(midpoint(pair[0].0, pair[1].0));
        }
    } else {
        let mut remaining = sorted.len();
        let mut bins_left = MAX_VALUE_BINS;
        let mut in_bin = 0;
        for (i, &(value, count)) in distinct.iter().enumerate() {
            in_bin += count;
            remaining -= count;
            let target = (in_bin + remaining) as f64 / bins_left as f64;
            let next_is_big = distinct
                .get(i + 1)
                .is_some_and(|&(_, next)| next as f64 >= target);
            if (in_bin as f64 >= target || next_is_big) && bins_left > 1 && i + 1 < distinct.len() {
                uppers.push(midpoint(value, distinct[i + 1].0));
                bins_left -= 1;
                in_bin = 0;
            }
        }
    }
    uppers.push(f64::INFINITY);
    uppers
}

fn midpoint(a: f64, b: f64) -> f64 {
    let mid = a + (b - a) / 2.0;
    // Neighbours so close that the midpoint rounds onto the upper one keep the lower as bound.
    if mid >= b { a } else { mid }
}

/// The training rows as the booster walks them. Two layouts of the same bins:
/// - by column, for partitioning a leaf on one feature (a leaf's rows are read front to back);
/// - by row, only the bins that differ from their feature's most frequent one, as flat histogram
///   indices (LightGBM's sparse multi-value bins): one-hot and flag columns are mostly one value,
///   so a row has a third as many entries as features. A histogram gets each feature's most
///   frequent bin as the leaf's total minus the feature's other bins.
pub struct TrainBins {
    pub rows: usize,
    /// `columns[f * rows + r]`.
    pub columns: Vec<u8>,
    /// Each feature's most frequent bin, left out of `entries`.
    pub default_bin: Vec<u8>,
    pub entries: Entries,
}

/// Row `r`'s entries are `index[starts[r]..starts[r + 1]]`: histogram cells, two bytes each when
/// every cell number fits.
pub enum Entries {
    Narrow { starts: Vec<usize>, index: Vec<u16> },
    Wide { starts: Vec<usize>, index: Vec<u32> },
}

impl TrainBins {
    /// `binned`'s rows in both layouts, cells numbered from `offsets` (each feature's first cell).
    pub fn new(binned: &BinnedRows, cuts: &Cuts, offsets: &[usize], total_cells: usize) -> Self {
        let (rows, cols) = (binned.rows, binned.cols);
        let mut columns = vec![0u8; rows * cols];
        columns
            .par_chunks_mut(rows.max(1))
            .enumerate()
            .for_each(|(f, column)| {
                for (r, b) in column.iter_mut().enumerate() {
                    *b = binned.bins[r * cols + f];
                }
            });
        let default_bin: Vec<u8> = (0..cols)
            .into_par_iter()
            .map(|f| {
                let mut counts = vec![0usize; cuts.bins(f)];
                for &b in &columns[f * rows..(f + 1) * rows] {
                    counts[b as usize] += 1;
                }
                let most = counts
                    .iter()
                    .enumerate()
                    .max_by_key(|&(b, c)| (*c, std::cmp::Reverse(b)));
                most.map_or(0, |(b, _)| b as u8)
            })
            .collect();
        fn collect<I: TryFrom<usize>>(
            binned: &BinnedRows,
            default_bin: &[u8],
            offsets: &[usize],
        ) -> (Vec<usize>, Vec<I>) {
            let mut starts = Vec::with_capacity(binned.rows + 1);
            let mut index = Vec::new();
            starts.push(0);
            for r in 0..binned.rows {
                for (f, &b) in binned.row(r).iter().enumerate() {
                    if b != default_bin[f] {
                        // The caller picked `I` wide enough for every cell number.
                        if let Ok(cell) = I::try_from(offsets[f] + b as usize) {
                            index.push(cell);
                        }
                    }
                }
                starts.push(index.len());
            }
            (starts, index)
        }
        let entries = if total_cells <= u16::MAX as usize {
            let (starts, index) = collect::<u16>(binned, &default_bin, offsets);
            Entries::Narrow { starts, index }
        } else {
            let (starts, index) = collect::<u32>(binned, &default_bin, offsets);
            Entries::Wide { starts, index }
        };
        Self {
            rows,
            columns,
            default_bin,
            entries,
        }
    }

    #[inline]
    pub fn bin(&self, f: usize, r: usize) -> u8 {
        self.columns[f * self.rows + r]
    }

    pub fn column(&self, f: usize) -> &[u8] {
        &self.columns[f * self.rows..(f + 1) * self.rows]
    }
}

/// Rows as bins, `cols` bytes per row.
pub struct BinnedRows {
    pub rows: usize,
    pub cols: usize,
    pub bins: Vec<u8>,
}

impl BinnedRows {
    #[inline]
    pub fn row(&self, r: usize) -> &[u8] {
        &self.bins[r * self.cols..(r + 1) * self.cols]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_a_bin_each_and_nan_bin_zero() {
        let x = Matrix {
            rows: 5,
            names: vec!["a".into()],
            values: vec![3.0, 1.0, f64::NAN, 2.0, 1.0],
        };
        let cuts = Cuts::from_rows(&x);
        assert_eq!(cuts.uppers[0], vec![1.5, 2.5, f64::INFINITY]);
        let binned = cuts.bin_rows(&x);
        assert_eq!(binned.bins, vec![3, 1, 0, 2, 1]);
        // Values beyond the training range fall in the end bins.
        assert_eq!(cuts.bin(0, -10.0), 1);
        assert_eq!(cuts.bin(0, 99.0), 3);
    }

    #[test]
    fn many_values_are_cut_into_equal_counts() {
        let values: Vec<f64> = (0..10_000).map(|i| (i % 1000) as f64).collect();
        let x = Matrix {
            rows: values.len(),
            names: vec!["a".into()],
            values,
        };
        let cuts = Cuts::from_rows(&x);
        assert!(cuts.uppers[0].len() <= MAX_VALUE_BINS);
        assert!(cuts.uppers[0].len() > 200, "{}", cuts.uppers[0].len());
        let binned = cuts.bin_rows(&x);
        let mut counts = vec![0usize; cuts.bins(0)];
        for &b in &binned.bins {
            counts[b as usize] += 1;
        }
        let largest = counts.iter().max().copied().unwrap_or(0);
        assert!(
            largest <= 2 * 10_000 / 200,
            "bins of equal counts: {counts:?}"
        );
    }
}
