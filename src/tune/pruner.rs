//! Pruners on the per-round validation loss the worker records, as Optuna implements them
//! (values minimised):
//! - median: after 5 completed trials (and `warmup` steps), a trial whose best value so far is
//!   worse than the median of the completed trials' values at the same step is stopped;
//! - successive halving: rungs at `min_resource · 4^k` steps (the minimum resource, when
//!   automatic, is the longest completed trial's steps / 100, at least 1); at each rung a trial
//!   goes on only if it is in the best quarter of every trial that reached the rung.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pruner {
    None,
    Median {
        startup_trials: usize,
        warmup_steps: i64,
    },
    Halving {
        /// `None`: automatic.
        min_resource: Option<i64>,
        reduction_factor: i64,
    },
}

impl Pruner {
    pub fn parse(text: &str) -> Result<Pruner, String> {
        match text.trim() {
            "none" => Ok(Pruner::None),
            "median" => Ok(Pruner::Median {
                startup_trials: 5,
                warmup_steps: 0,
            }),
            "halving" => Ok(Pruner::Halving {
                min_resource: None,
                reduction_factor: 4,
            }),
            other => Err(format!(
                "--pruner {other}: expected median, halving or none"
            )),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Pruner::None => "none",
            Pruner::Median { .. } => "median",
            Pruner::Halving { .. } => "halving",
        }
    }
}

/// A trial's intermediate values, by step (ascending).
pub type Curve = [(i64, f64)];

fn value_at(curve: &Curve, step: i64) -> Option<f64> {
    curve
        .binary_search_by_key(&step, |(s, _)| *s)
        .ok()
        .map(|i| curve[i].1)
}

/// The median (linear interpolation, NaN left out) of `values`.
fn median(values: &mut [f64]) -> Option<f64> {
    let mut kept: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if kept.is_empty() {
        return None;
    }
    kept.sort_by(f64::total_cmp);
    let pos = 0.5 * (kept.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(kept[lo] + (kept[hi] - kept[lo]) * (pos - lo as f64))
}

/// Whether the trial with `curve` should stop now, against the `completed` trials' curves and
/// every other trial's curve (`others`, for the halving rungs).
pub fn should_prune(
    pruner: &Pruner,
    curve: &Curve,
    completed: &[&Curve],
    others: &[&Curve],
) -> bool {
    let Some(&(step, value)) = curve.last() else {
        return false;
    };
    match *pruner {
        Pruner::None => false,
        Pruner::Median {
            startup_trials,
            warmup_steps,
        } => {
            if completed.is_empty() || completed.len() < startup_trials || step < warmup_steps {
                return false;
            }
            let best = curve.iter().map(|(_, v)| *v).fold(f64::NAN, f64::min);
            if best.is_nan() {
                return true;
            }
            let mut at: Vec<f64> = completed.iter().filter_map(|c| value_at(c, step)).collect();
            match median(&mut at) {
                Some(m) => best > m,
                None => false,
            }
        }
        Pruner::Halving {
            min_resource,
            reduction_factor,
        } => {
            let min_resource = match min_resource {
                Some(r) => r,
                None => {
                    let longest = completed
                        .iter()
                        .filter_map(|c| c.last().map(|(s, _)| *s))
                        .max();
                    match longest {
                        Some(steps) => (steps / 100).max(1),
                        None => return false,
                    }
                }
            };
            if value.is_nan() {
                return true;
            }
            // Every rung this trial has reached: it must rank in the best 1/rf there.
            let mut rung = 0u32;
            loop {
                let promotion = min_resource * reduction_factor.pow(rung);
                if step < promotion {
                    return false;
                }
                let mine = value_at(curve, promotion).unwrap_or(value);
                let mut competing: Vec<f64> = others
                    .iter()
                    .filter_map(|c| value_at(c, promotion))
                    .chain(std::iter::once(mine))
                    .collect();
                competing.sort_by(f64::total_cmp);
                let idx = (competing.len() as i64 / reduction_factor - 1).max(0) as usize;
                if mine > competing[idx] {
                    return true;
                }
                rung += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_pruner_stops_a_trial_worse_than_the_completed_median_at_its_step() {
        let median = Pruner::parse("median").expect("pruner");
        let done: Vec<Vec<(i64, f64)>> = (0..5)
            .map(|t| (0..10).map(|s| (s, 10.0 - s as f64 + t as f64)).collect())
            .collect();
        let done: Vec<&Curve> = done.iter().map(Vec::as_slice).collect();
        // The completed trials' values at step 3 are 7..11: median 9.
        assert!(should_prune(&median, &[(0, 20.0), (3, 9.5)], &done, &[]));
        assert!(!should_prune(&median, &[(0, 20.0), (3, 8.5)], &done, &[]));
        // Fewer than five completed: never.
        assert!(!should_prune(&median, &[(3, 99.0)], &done[..4], &[]));
    }

    #[test]
    fn halving_keeps_the_best_quarter_at_each_rung() {
        let halving = Pruner::Halving {
            min_resource: Some(1),
            reduction_factor: 4,
        };
        let others: Vec<Vec<(i64, f64)>> = (0..7).map(|t| vec![(1, t as f64)]).collect();
        let others: Vec<&Curve> = others.iter().map(Vec::as_slice).collect();
        // Eight at rung 1: the best two go on.
        assert!(!should_prune(&halving, &[(1, 0.5)], &[], &others));
        assert!(should_prune(&halving, &[(1, 3.0)], &[], &others));
    }
}
