//! Parameter importances after PED-ANOVA (Watanabe et al., 2023; Optuna 5's default evaluator):
//! for each parameter, the Pearson divergence between its density among the best 10% of the
//! complete trials and among all of them — a parameter whose good values sit in a narrow part of
//! its range scores high. The densities here are histograms (20 bins on the range as sampled,
//! log for a log range; one per choice), each bin with a pseudo-count of one trial's share, not
//! Optuna's Parzen estimators; the importances are normalised to sum to 1.

use super::space::{Range, Space};

const BINS: usize = 20;
const TOP_QUANTILE: f64 = 0.1;

fn bin(range: &Range, x: f64) -> usize {
    match range {
        Range::Categorical { choices } => (x as usize).min(choices.len() - 1),
        _ => {
            let (low, high, log) = match range {
                Range::Float { low, high, log } => (*low, *high, *log),
                Range::Int { low, high, log } => (*low as f64, *high as f64, *log),
                Range::Categorical { .. } => (0.0, 1.0, false),
            };
            let (l, h, v) = if log {
                (low.ln(), high.ln(), x.max(low).ln())
            } else {
                (low, high, x)
            };
            let t = ((v - l) / (h - l)).clamp(0.0, 1.0);
            ((t * BINS as f64) as usize).min(BINS - 1)
        }
    }
}

fn bins(range: &Range) -> usize {
    match range {
        Range::Categorical { choices } => choices.len(),
        _ => BINS,
    }
}

/// Each parameter's importance, in the space's order, from complete trials' (params in the
/// internal form, loss to minimise); `None` with fewer than 10 trials.
pub fn importances(space: &Space, trials: &[(Vec<f64>, f64)]) -> Option<Vec<f64>> {
    if trials.len() < 10 {
        return None;
    }
    let mut order: Vec<usize> = (0..trials.len()).collect();
    order.sort_by(|&a, &b| trials[a].1.total_cmp(&trials[b].1));
    let top = ((trials.len() as f64 * TOP_QUANTILE).ceil() as usize).max(2);
    let mut scores: Vec<f64> = space
        .dimensions
        .iter()
        .enumerate()
        .map(|(d, dim)| {
            let k = bins(&dim.range);
            let density = |rows: &[usize]| -> Vec<f64> {
                let mut counts = vec![1.0 / k as f64; k];
                for &r in rows {
                    counts[bin(&dim.range, trials[r].0[d])] += 1.0;
                }
                let total: f64 = counts.iter().sum();
                counts.iter().map(|c| c / total).collect()
            };
            let all: Vec<usize> = (0..trials.len()).collect();
            let (p, q) = (density(&order[..top]), density(&all));
            p.iter()
                .zip(&q)
                .map(|(p, q)| q * (p / q - 1.0).powi(2))
                .sum::<f64>()
        })
        .collect();
    let total: f64 = scores.iter().sum();
    if total > 0.0 {
        scores.iter_mut().for_each(|s| *s /= total);
    }
    Some(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_the_loss_depends_on_ranks_first() {
        let space = Space::parse("a=0..1,b=0..1").expect("space");
        let mut rng = super::super::rng::Rng::new(3);
        let trials: Vec<(Vec<f64>, f64)> = (0..200)
            .map(|_| {
                let (a, b) = (rng.uniform(), rng.uniform());
                (vec![a, b], (a - 0.2).powi(2) + 0.01 * b)
            })
            .collect();
        let scores = importances(&space, &trials).expect("scores");
        assert!(scores[0] > 0.8, "{scores:?}");
    }
}
