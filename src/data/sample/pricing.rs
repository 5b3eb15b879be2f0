//! The sample's prices: each item's regular price within its category's band, on shelf price
//! points, and the true promotion uplift a category's spec implies.

use super::SampleRng;
use super::retail::CategorySpec;

pub(super) fn uplift_ratio(spec: &CategorySpec) -> f64 {
    let depth = f64::from(spec.typical_depth_pct) / 100.0;
    (1.0 - depth).powf(spec.elasticity) * spec.promo_halo
}

pub(super) fn price_point(rng: &mut SampleRng, spec: &CategorySpec) -> f64 {
    shelf_price(rng, spec.price_low, spec.price_high)
}

/// A shelf price between `low` and `high`, ending in .49 or .99.
pub(super) fn shelf_price(rng: &mut SampleRng, low: f64, high: f64) -> f64 {
    let raw = rng.range(low, high);
    let whole = raw.floor();
    if raw - whole < 0.5 {
        whole + 0.49
    } else {
        whole + 0.99
    }
}
