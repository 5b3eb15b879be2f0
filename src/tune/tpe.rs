//! The tree-structured Parzen estimator as Optuna 5.0 implements it (`TPESampler` with its
//! defaults): random for the first 10 finished trials; then the finished trials split into the
//! best `gamma(n) = min(ceil(0.1 n), 25)` ("below") and the rest ("above", with every running
//! trial as a constant liar); each side a mixture of one truncated-normal (or categorical)
//! kernel per trial plus a prior, jointly over every parameter (multivariate), weights ramping up
//! from old trials to the newest 25; 24 candidates drawn from "below", the one with the largest
//! log l(x) − log g(x) proposed. Bandwidths are the distance to the farther neighbour, clipped
//! to [(high − low) / min(100, n + 2), high − low] (the magic clip). Values are minimised: a
//! maximised metric is negated before it reaches here.

use super::rng::Rng;
use super::space::{Range, Space, Value};
use super::truncnorm;

pub const STARTUP_TRIALS: usize = 10;
pub const EI_CANDIDATES: usize = 24;
const PRIOR_WEIGHT: f64 = 1.0;

/// A trial as the samplers see it: its parameters in the internal form (the number for a
/// numeric parameter, the choice's index for a categorical one), and how it went.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    pub number: usize,
    pub params: Vec<f64>,
    pub state: Observation,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Observation {
    Running,
    Complete(f64),
    /// Stopped at `step` with `value` there (its last intermediate value).
    Pruned {
        step: i64,
        value: f64,
    },
}

/// `min(ceil(0.1 n), 25)`.
pub fn gamma(n: usize) -> usize {
    ((0.1 * n as f64).ceil() as usize).min(25)
}

/// Ones for fewer than 25 trials; else a ramp from 1/n up to 1 for the oldest n − 25, then 25
/// ones (trials in number order).
pub fn weights(n: usize) -> Vec<f64> {
    if n < 25 {
        return vec![1.0; n];
    }
    let ramp = n - 25;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            if ramp == 1 {
                1.0 / n as f64
            } else {
                1.0 / n as f64 + (1.0 - 1.0 / n as f64) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, 25));
    w
}

/// The internal form of `value` for `range`.
pub fn internal(range: &Range, value: &Value) -> f64 {
    match (range, value) {
        (Range::Categorical { choices }, Value::Choice(c)) => {
            choices.iter().position(|x| x == c).unwrap_or(0) as f64
        }
        (_, Value::Number(v)) => *v,
        (_, Value::Choice(_)) => f64::NAN,
    }
}

/// A parameter's value from its internal form.
pub fn external(range: &Range, x: f64) -> Value {
    match range {
        Range::Categorical { choices } => {
            Value::Choice(choices[(x as usize).min(choices.len() - 1)].clone())
        }
        Range::Int { low, high, .. } => Value::Number(x.round().clamp(*low as f64, *high as f64)),
        Range::Float { low, high, .. } => Value::Number(x.clamp(*low, *high)),
    }
}

/// Bounds in the space TPE works in: log for a log range, ±½ around an integer range.
fn bounds(range: &Range) -> (f64, f64, bool) {
    let (low, high, log) = match range {
        Range::Float { low, high, log } => (*low, *high, *log),
        Range::Int { low, high, log } => (*low as f64 - 0.5, *high as f64 + 0.5, *log),
        Range::Categorical { .. } => (0.0, 0.0, false),
    };
    if log {
        (low.max(1e-300).ln(), high.ln(), true)
    } else {
        (low, high, false)
    }
}

fn transform(range: &Range, x: f64) -> f64 {
    match range {
        Range::Float { log: true, .. } | Range::Int { log: true, .. } => x.max(1e-300).ln(),
        _ => x,
    }
}

/// A uniform draw over `range` (the startup trials, and the random sampler).
pub fn random_value(range: &Range, rng: &mut Rng) -> Value {
    match range {
        Range::Categorical { choices } => Value::Choice(
            choices[(rng.uniform() * choices.len() as f64) as usize % choices.len()].clone(),
        ),
        _ => {
            let (low, high, log) = bounds(range);
            let x = low + rng.uniform() * (high - low);
            external(range, if log { x.exp() } else { x })
        }
    }
}

/// One dimension's kernels.
enum Kernels {
    /// Truncated normals (transformed space): centres and widths, the prior last.
    Numeric {
        mus: Vec<f64>,
        sigmas: Vec<f64>,
        low: f64,
        high: f64,
        /// An integer range: a value's mass is that of [x − ½, x + ½].
        discrete: bool,
        log: bool,
        /// Per kernel, ln(Φ(b) − Φ(a)) + ln σ: the truncation's normaliser, the same at every x.
        norms: Vec<f64>,
    },
    /// Per kernel, each choice's probability (the prior row uniform).
    Categorical { rows: Vec<Vec<f64>> },
}

/// A mixture over every dimension, one kernel per observed trial and the prior.
struct Estimator {
    weights: Vec<f64>,
    dims: Vec<Kernels>,
}

impl Estimator {
    fn new(space: &Space, observed: &[&Observed]) -> Self {
        let n = observed.len();
        let mut weights = weights(n);
        weights.push(PRIOR_WEIGHT);
        let total: f64 = weights.iter().sum();
        let weights: Vec<f64> = weights.iter().map(|w| w / total).collect();
        let dims = space
            .dimensions
            .iter()
            .enumerate()
            .map(|(d, dim)| match &dim.range {
                Range::Categorical { choices } => {
                    let c = choices.len();
                    let kernels = n + 1;
                    let mut rows = vec![vec![PRIOR_WEIGHT / kernels as f64; c]; kernels];
                    for (i, o) in observed.iter().enumerate() {
                        let x = o.params[d] as usize;
                        if x < c {
                            rows[i][x] += 1.0;
                        }
                    }
                    for row in &mut rows {
                        let sum: f64 = row.iter().sum();
                        if sum > 0.0 {
                            row.iter_mut().for_each(|v| *v /= sum);
                        }
                    }
                    Kernels::Categorical { rows }
                }
                range => {
                    let (low, high, log) = bounds(range);
                    let mus: Vec<f64> = observed
                        .iter()
                        .map(|o| transform(range, o.params[d]))
                        .collect();
                    let mut sigmas = neighbour_widths(&mus, low, high);
                    let max_sigma = high - low;
                    let min_sigma = (high - low) / (100.0f64).min(1.0 + (n + 1) as f64);
                    sigmas
                        .iter_mut()
                        .for_each(|s| *s = s.clamp(min_sigma, max_sigma));
                    let mut mus = mus;
                    mus.push(0.5 * (low + high));
                    sigmas.push(high - low);
                    let norms = mus
                        .iter()
                        .zip(&sigmas)
                        .map(|(mu, s)| {
                            truncnorm::log_mass((low - mu) / s, (high - mu) / s) + s.ln()
                        })
                        .collect();
                    Kernels::Numeric {
                        mus,
                        sigmas,
                        low,
                        high,
                        discrete: matches!(range, Range::Int { .. }),
                        log,
                        norms,
                    }
                }
            })
            .collect();
        Estimator { weights, dims }
    }

    /// Draws `n` candidates (internal form): one kernel per candidate for every dimension.
    fn sample(&self, space: &Space, n: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
        (0..n)
            .map(|_| {
                let k = rng.choose(&self.weights);
                self.dims
                    .iter()
                    .zip(&space.dimensions)
                    .map(|(kernels, dim)| match kernels {
                        Kernels::Categorical { rows } => rng.choose(&rows[k]) as f64,
                        Kernels::Numeric {
                            mus,
                            sigmas,
                            low,
                            high,
                            log,
                            ..
                        } => {
                            let x =
                                truncnorm::sample(rng.uniform(), mus[k], sigmas[k], *low, *high);
                            let x = if *log { x.exp() } else { x };
                            match external(&dim.range, x) {
                                Value::Number(v) => v,
                                Value::Choice(_) => x,
                            }
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The mixture's log density at `x` (internal form).
    fn log_pdf(&self, space: &Space, x: &[f64]) -> f64 {
        let per_kernel: Vec<f64> = (0..self.weights.len())
            .map(|k| {
                let mut sum = self.weights[k].ln();
                for ((kernels, dim), &value) in self.dims.iter().zip(&space.dimensions).zip(x) {
                    sum += match kernels {
                        Kernels::Categorical { rows } => rows[k][value as usize].max(1e-300).ln(),
                        Kernels::Numeric {
                            mus,
                            sigmas,
                            low,
                            high,
                            discrete,
                            norms,
                            ..
                        } => {
                            let (mu, s) = (mus[k], sigmas[k]);
                            if *discrete {
                                let (lo, hi) = (
                                    transform(&dim.range, value - 0.5),
                                    transform(&dim.range, value + 0.5),
                                );
                                truncnorm::log_mass(
                                    (lo.max(*low) - mu) / s,
                                    (hi.min(*high) - mu) / s,
                                ) - (norms[k] - s.ln())
                            } else {
                                let t = transform(&dim.range, value);
                                if t < *low || t > *high {
                                    f64::NEG_INFINITY
                                } else {
                                    let z = (t - mu) / s;
                                    -0.5 * z * z - truncnorm::LN_SQRT_2PI - norms[k]
                                }
                            }
                        }
                    };
                }
                sum
            })
            .collect();
        let max = per_kernel.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let max = if max.is_finite() { max } else { 0.0 };
        max + per_kernel.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
    }
}

/// Each centre's width: the distance to its farther neighbour among the sorted centres and the
/// bounds; the two ends take their inner neighbour's distance (Optuna's `consider_endpoints`
/// off) once there are two or more.
fn neighbour_widths(mus: &[f64], low: f64, high: f64) -> Vec<f64> {
    let n = mus.len();
    if n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| mus[a].total_cmp(&mus[b]));
    let mut s = Vec::with_capacity(n + 2);
    s.push(low);
    s.extend(order.iter().map(|&i| mus[i]));
    s.push(high);
    let mut sorted: Vec<f64> = (0..n)
        .map(|k| (s[k + 1] - s[k]).max(s[k + 2] - s[k + 1]))
        .collect();
    if n >= 2 {
        sorted[0] = s[2] - s[1];
        sorted[n - 1] = s[n] - s[n - 1];
    }
    let mut widths = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        widths[i] = sorted[rank];
    }
    widths
}

/// The best `gamma(n)` finished trials, and the rest with every running one.
fn split(trials: &[Observed]) -> (Vec<&Observed>, Vec<&Observed>) {
    let finished: Vec<&Observed> = trials
        .iter()
        .filter(|t| !matches!(t.state, Observation::Running))
        .collect();
    let mut n_below = gamma(finished.len());
    let mut complete: Vec<&Observed> = finished
        .iter()
        .copied()
        .filter(|t| matches!(t.state, Observation::Complete(_)))
        .collect();
    complete.sort_by(|a, b| value_of(a).total_cmp(&value_of(b)));
    let mut pruned: Vec<&Observed> = finished
        .iter()
        .copied()
        .filter(|t| matches!(t.state, Observation::Pruned { .. }))
        .collect();
    // Deeper first, then the better value at the last step.
    pruned.sort_by(|a, b| match (&a.state, &b.state) {
        (
            Observation::Pruned {
                step: sa,
                value: va,
            },
            Observation::Pruned {
                step: sb,
                value: vb,
            },
        ) => sb.cmp(sa).then(va.total_cmp(vb)),
        _ => std::cmp::Ordering::Equal,
    });
    let take = n_below.min(complete.len());
    let mut below: Vec<&Observed> = complete.drain(..take).collect();
    n_below -= take;
    let take = n_below.min(pruned.len());
    below.extend(pruned.drain(..take));
    let mut above: Vec<&Observed> = complete.into_iter().chain(pruned).collect();
    above.extend(
        trials
            .iter()
            .filter(|t| matches!(t.state, Observation::Running)),
    );
    below.sort_by_key(|t| t.number);
    above.sort_by_key(|t| t.number);
    (below, above)
}

fn value_of(t: &Observed) -> f64 {
    match t.state {
        Observation::Complete(v) => {
            if v.is_nan() {
                f64::INFINITY
            } else {
                v
            }
        }
        _ => f64::INFINITY,
    }
}

/// The next trial's parameters, given every trial so far (running ones included).
pub fn suggest(space: &Space, trials: &[Observed], rng: &mut Rng) -> Vec<Value> {
    let finished = trials
        .iter()
        .filter(|t| !matches!(t.state, Observation::Running))
        .count();
    if finished < STARTUP_TRIALS {
        return space
            .dimensions
            .iter()
            .map(|d| random_value(&d.range, rng))
            .collect();
    }
    let (below, above) = split(trials);
    let l = Estimator::new(space, &below);
    let g = Estimator::new(space, &above);
    let candidates = l.sample(space, EI_CANDIDATES, rng);
    let best = candidates
        .iter()
        .map(|c| l.log_pdf(space, c) - g.log_pdf(space, c))
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, v)| {
            if v > best.1 { (i, v) } else { best }
        });
    candidates[best.0]
        .iter()
        .zip(&space.dimensions)
        .map(|(&x, d)| external(&d.range, x))
        .collect()
}

#[cfg(test)]
#[path = "tpe_tests.rs"]
mod tests;
