//! The Diebold–Mariano test of equal forecast accuracy with the Harvey–Leybourne–Newbold
//! small-sample correction, one-sided: is the challenger's loss lower than the champion's?
//!
//! The loss differential is taken per date (the mean over the series of |e_champion| −
//! |e_challenger| on that date), a series of H values over the hold-out. Its long-run variance
//! uses autocovariances up to lag h − 1; with a recursive forecast every date is a different step
//! from one origin, so h = 1 is used (the dates' differentials taken as serially uncorrelated),
//! and the HLN factor is then sqrt((H − 1) / H). The statistic is compared with Student's t on
//! H − 1 degrees of freedom.

use crate::drift::special::ln_gamma;

/// The test's outcome: the corrected statistic and the one-sided p-value (small when the
/// challenger is better).
#[derive(Clone, Debug, PartialEq)]
pub struct DmOutcome {
    pub statistic: f64,
    pub p_value: f64,
    pub dates: usize,
}

/// The test on the per-date loss differentials `d` (champion's loss minus challenger's).
pub fn diebold_mariano(d: &[f64]) -> Option<DmOutcome> {
    let n = d.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    let variance = d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / nf;
    if variance <= 0.0 {
        return None;
    }
    let dm = mean / (variance / nf).sqrt();
    let h = 1.0;
    let correction = ((nf + 1.0 - 2.0 * h + h * (h - 1.0) / nf) / nf).sqrt();
    let statistic = dm * correction;
    Some(DmOutcome {
        statistic,
        p_value: 1.0 - student_t_cdf(statistic, nf - 1.0),
        dates: n,
    })
}

/// Student's t cumulative distribution with `nu` degrees of freedom.
pub fn student_t_cdf(t: f64, nu: f64) -> f64 {
    let x = nu / (nu + t * t);
    let tail = 0.5 * incomplete_beta(nu / 2.0, 0.5, x);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The regularized incomplete beta function I_x(a, b), by its continued fraction (Numerical
/// Recipes' `betacf`), accurate to about 1e-12.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-14 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_matches_published_quantiles() {
        // t(0.975) with 10 degrees of freedom is 2.228; with 1 (Cauchy) tan(0.475 pi).
        assert!((student_t_cdf(2.228_138_85, 10.0) - 0.975).abs() < 1e-6);
        assert!((student_t_cdf(12.706_204_7, 1.0) - 0.975).abs() < 1e-6);
        assert!((student_t_cdf(0.0, 5.0) - 0.5).abs() < 1e-12);
        assert!((student_t_cdf(-1.475_884, 5.0) - 0.1).abs() < 1e-5);
    }

    #[test]
    fn a_clearly_better_challenger_has_a_small_p_value() {
        let better: Vec<f64> = (0..26)
            .map(|i| 1.0 + 0.3 * ((i * 7 % 5) as f64 - 2.0))
            .collect();
        let outcome = diebold_mariano(&better).expect("a test");
        assert!(outcome.p_value < 0.001, "{outcome:?}");
        let even: Vec<f64> = (0..26)
            .map(|i| if i % 2 == 0 { 0.5 } else { -0.5 })
            .collect();
        assert!(diebold_mariano(&even).expect("a test").p_value > 0.4);
    }
}
