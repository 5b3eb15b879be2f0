//! The prediction interval every regression model carries: split-conformal, from the
//! absolute residuals on validation rows the model never trained on.

use serde::{Deserialize, Serialize};

/// A split-conformal interval: with `level` coverage, the actual value lies within
/// `half_width` of the prediction, for rows drawn like the validation rows (which the model
/// never trained on). `half_width` is the ⌈(n + 1)·level⌉-th smallest absolute validation
/// residual (Vovk et al.; Lei et al. 2018), so it needs no assumption about the errors' shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conformal {
    pub level: f64,
    pub half_width: f64,
    pub validation_rows: usize,
}

/// The coverage Shelfcast's intervals are built for.
pub const INTERVAL_LEVEL: f64 = 0.9;

/// The split-conformal half width at `level` from absolute residuals.
pub fn conformal_half_width(mut residuals: Vec<f64>, level: f64) -> Option<Conformal> {
    residuals.retain(|r| r.is_finite());
    let n = residuals.len();
    if n == 0 {
        return None;
    }
    residuals.sort_by(f64::total_cmp);
    let rank = (((n + 1) as f64) * level).ceil() as usize;
    let half_width = residuals[rank.clamp(1, n) - 1];
    Some(Conformal {
        level,
        half_width,
        validation_rows: n,
    })
}
