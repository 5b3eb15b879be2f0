//! The truncated normal of TPE's kernels: its log density and its quantile, from the normal
//! CDF (through `drift::special::erfc`) and an inverse CDF (Acklam's rational approximation
//! with one Halley step, accurate to about 1e-15 in the body).

use crate::drift::special::erfc;

pub const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Φ(x).
pub fn cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for p in (0, 1).
pub fn ppf(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let low = 0.02425;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Φ(x) − p.
    let e = cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// ln(Φ(b) − Φ(a)), computed on the side of the tails where it keeps its digits.
pub fn log_mass(a: f64, b: f64) -> f64 {
    let mass = if a > 0.0 {
        // Both in the upper tail: the survival functions differ with more precision.
        cdf(-a) - cdf(-b)
    } else {
        cdf(b) - cdf(a)
    };
    mass.max(f64::MIN_POSITIVE).ln()
}

/// The log density at `x` of a normal (`mu`, `sigma`) truncated to [low, high].
pub fn log_pdf(x: f64, mu: f64, sigma: f64, low: f64, high: f64) -> f64 {
    if x < low || x > high {
        return f64::NEG_INFINITY;
    }
    let z = (x - mu) / sigma;
    -0.5 * z * z - LN_SQRT_2PI - log_mass((low - mu) / sigma, (high - mu) / sigma) - sigma.ln()
}

/// A draw at quantile `u` in [0, 1) of the truncated normal.
pub fn sample(u: f64, mu: f64, sigma: f64, low: f64, high: f64) -> f64 {
    let (a, b) = ((low - mu) / sigma, (high - mu) / sigma);
    let (fa, fb) = (cdf(a), cdf(b));
    let x = if fb - fa > 1e-12 {
        ppf(fa + u * (fb - fa)) * sigma + mu
    } else {
        // Far in a tail: the mass is too small to invert; the interval is what remains.
        low + u * (high - low)
    };
    x.clamp(low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantile_inverts_the_cdf_and_the_density_integrates_to_one() {
        for p in [1e-6, 0.01, 0.3, 0.5, 0.77, 0.999] {
            assert!((cdf(ppf(p)) - p).abs() < 1e-12, "{p}");
        }
        let (mu, sigma, low, high) = (0.3, 0.4, 0.0, 1.0);
        let n = 20_000;
        let step = (high - low) / n as f64;
        let integral: f64 = (0..n)
            .map(|i| log_pdf(low + (i as f64 + 0.5) * step, mu, sigma, low, high).exp() * step)
            .sum();
        assert!((integral - 1.0).abs() < 1e-6, "{integral}");
    }
}
