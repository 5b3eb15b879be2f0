//! The sample's coupon campaign: customers, the coupon each was sent and whether it was
//! redeemed (a classification dataset with a known logit).

use std::fmt::Write as _;

use super::SampleRng;
use super::retail::REGIONS;
use crate::data::DataError;

const COUPON_CUSTOMERS: usize = 4_000;

/// The coupon-redemption sample: (rows, CSV text).
pub fn write_coupons(seed: u64) -> Result<(usize, String), DataError> {
    let mut rng = SampleRng::new(seed.wrapping_add(3));
    let channels = ["email", "app", "sms"];
    let mut text = String::from(
        "customer_id,age,tenure_months,visits_per_month,avg_basket,coupon_value,channel,region,\
         redeemed\n",
    );
    for c in 0..COUPON_CUSTOMERS {
        let age = 18 + rng.below(63) as i64;
        let tenure = rng.below(121) as i64;
        let visits = rng.poisson(4.0) as i64;
        let basket = rng.lognormal(3.7, 0.45);
        let value = [5, 10, 15, 20][rng.below(4)];
        let channel = rng.below(3);
        let region = REGIONS[rng.below(REGIONS.len())];
        let logit = -2.2 + 0.08 * f64::from(value) + 0.15 * visits as f64
            - 0.012 * (age - 45) as f64
            + 0.006 * tenure as f64
            + [0.0, 0.35, -0.4][channel]
            + 0.004 * (basket - 40.0);
        let redeemed = rng.chance(1.0 / (1.0 + (-logit).exp()));
        let _ = writeln!(
            text,
            "C{:05},{age},{tenure},{visits},{basket:.2},{value},{},{region},{}",
            c + 1,
            channels[channel],
            u8::from(redeemed)
        );
    }
    Ok((COUPON_CUSTOMERS, text))
}
