//! The promo-retail generator behind `sample-data`. Expected units sold are a product of named
//! effects; the observed units are Poisson around them. `sample_truth.json` records the effects
//! that a model should recover.

use std::fmt::Write as _;
use std::io::Write;

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::SampleRng;
use super::calendar::is_holiday_week;
use super::pricing::{price_point, shelf_price, uplift_ratio};

pub struct CategorySpec {
    pub name: &'static str,
    pub price_low: f64,
    pub price_high: f64,
    /// Price elasticity of demand: units scale with (price / regular price) ^ elasticity.
    pub elasticity: f64,
    /// Lift of the promotion itself (flyer, shelf tag) on top of the price cut.
    pub promo_halo: f64,
    /// The usual depth of a promotion in this category, in % off; actual depths are this +-5.
    pub typical_depth_pct: u32,
    pub promo_rate: f64,
    pub season_amplitude: f64,
    pub season_peak_week: f64,
}

pub const CATEGORIES: [CategorySpec; 8] = [
    cat("Beverages", 1.5, 4.0, -1.8, 1.15, 20, 0.15, 0.25, 28.0),
    cat("Snacks", 1.2, 3.5, -2.2, 1.20, 25, 0.18, 0.08, 50.0),
    cat("Dairy", 1.0, 3.0, -0.9, 1.05, 15, 0.10, 0.05, 10.0),
    cat("Bakery", 1.5, 5.0, -1.1, 1.10, 20, 0.10, 0.15, 51.0),
    cat("Produce", 0.8, 4.0, -1.3, 1.08, 20, 0.12, 0.20, 30.0),
    cat("Frozen", 2.5, 7.0, -1.6, 1.12, 25, 0.14, 0.18, 30.0),
    cat("Household", 3.0, 10.0, -1.4, 1.10, 30, 0.12, 0.03, 40.0),
    cat("Personal Care", 2.5, 9.0, -1.5, 1.12, 25, 0.13, 0.04, 20.0),
];

#[allow(clippy::too_many_arguments)]
const fn cat(
    name: &'static str,
    price_low: f64,
    price_high: f64,
    elasticity: f64,
    promo_halo: f64,
    typical_depth_pct: u32,
    promo_rate: f64,
    season_amplitude: f64,
    season_peak_week: f64,
) -> CategorySpec {
    CategorySpec {
        name,
        price_low,
        price_high,
        elasticity,
        promo_halo,
        typical_depth_pct,
        promo_rate,
        season_amplitude,
        season_peak_week,
    }
}

const STORES: usize = 20;
const ITEMS: usize = 50;
const TRAIN_WEEKS: usize = 156;
const DRIFT_WEEKS: usize = 26;
pub(super) const REGIONS: [&str; 4] = ["North", "South", "East", "West"];
const HOLIDAY_LIFT: f64 = 1.3;
const DISPLAY_LIFT: f64 = 1.25;
const TREND_PER_YEAR: f64 = 0.04;
const DRIFT_PRICE_INFLATION: f64 = 1.08;

fn first_week() -> NaiveDate {
    // invariant: a fixed, valid calendar date (a Monday).
    NaiveDate::from_ymd_opt(2021, 1, 4).unwrap_or_default()
}

struct Store {
    id: String,
    region: &'static str,
    size: f64,
}

struct Item {
    id: String,
    category: usize,
    base_units: f64,
    regular_price: f64,
}

#[derive(Default)]
pub struct SalesTable {
    week_start: Vec<NaiveDate>,
    store_id: Vec<String>,
    region: Vec<&'static str>,
    item_id: Vec<String>,
    category: Vec<&'static str>,
    regular_price: Vec<f64>,
    price: Vec<f64>,
    promo: Vec<u8>,
    promo_depth_pct: Vec<u32>,
    display: Vec<u8>,
    holiday: Vec<u8>,
    units_sold: Vec<u64>,
}

impl SalesTable {
    pub fn len(&self) -> usize {
        self.units_sold.len()
    }

    pub fn write_csv(&self, w: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            w,
            "week_start,store_id,region,item_id,category,regular_price,price,promo,\
             promo_depth_pct,display,holiday,units_sold"
        )?;
        let mut line = String::with_capacity(128);
        for i in 0..self.len() {
            line.clear();
            let _ = writeln!(
                line,
                "{},{},{},{},{},{:.2},{:.2},{},{},{},{},{}",
                self.week_start[i].format("%Y-%m-%d"),
                self.store_id[i],
                self.region[i],
                self.item_id[i],
                self.category[i],
                self.regular_price[i],
                self.price[i],
                self.promo[i],
                self.promo_depth_pct[i],
                self.display[i],
                self.holiday[i],
                self.units_sold[i]
            );
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    pub fn to_frame(&self) -> PolarsResult<DataFrame> {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let days: Vec<i32> = self
            .week_start
            .iter()
            .map(|d| (*d - epoch).num_days() as i32)
            .collect();
        let round2 =
            |v: &Vec<f64>| -> Vec<f64> { v.iter().map(|x| (x * 100.0).round() / 100.0).collect() };
        let week = Series::new("week_start".into(), days).cast(&DataType::Date)?;
        DataFrame::new_infer_height(vec![
            week.into_column(),
            Column::new("store_id".into(), &self.store_id),
            Column::new("region".into(), &self.region),
            Column::new("item_id".into(), &self.item_id),
            Column::new("category".into(), &self.category),
            Column::new("regular_price".into(), round2(&self.regular_price)),
            Column::new("price".into(), round2(&self.price)),
            Column::new(
                "promo".into(),
                self.promo.iter().map(|&v| i64::from(v)).collect::<Vec<_>>(),
            ),
            Column::new(
                "promo_depth_pct".into(),
                self.promo_depth_pct
                    .iter()
                    .map(|&v| i64::from(v))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "display".into(),
                self.display
                    .iter()
                    .map(|&v| i64::from(v))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "holiday".into(),
                self.holiday
                    .iter()
                    .map(|&v| i64::from(v))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "units_sold".into(),
                self.units_sold
                    .iter()
                    .map(|&v| v as i64)
                    .collect::<Vec<_>>(),
            ),
        ])
    }
}

#[derive(Serialize)]
pub struct CategoryTruth {
    pub category: &'static str,
    pub elasticity: f64,
    pub promo_halo: f64,
    pub typical_depth_pct: u32,
    /// Expected units with the promotion on (typical depth) over units with it off.
    pub uplift_ratio: f64,
    pub uplift_pct: f64,
    /// Mean expected units per training row of the category with the promotion off.
    pub mean_units_promo_off: f64,
    /// Mean expected extra units per row when the promotion is switched on.
    pub uplift_units: f64,
}

#[derive(Serialize)]
pub struct Truth {
    pub seed: u64,
    pub definition: &'static str,
    pub holiday_lift: f64,
    pub display_lift: f64,
    pub trend_per_year: f64,
    pub categories: Vec<CategoryTruth>,
    pub drift: DriftTruth,
}

/// What the drifted half-year changed, column by column, for drift checks to be held to.
#[derive(Clone, Debug, Serialize)]
pub struct DriftTruth {
    pub file: &'static str,
    /// Changed enough that the data-drift preset must flag them.
    pub drifted: Vec<&'static str>,
    /// Changed by construction, but by less than the preset's thresholds.
    pub changed_mildly: Vec<&'static str>,
    /// Generated as before (their shares move only with the mix and the calendar).
    pub unchanged: Vec<&'static str>,
    pub notes: &'static str,
}

pub struct SalesSample {
    pub train: SalesTable,
    pub drift: SalesTable,
    pub truth: Truth,
}

struct World {
    stores: Vec<Store>,
    items: Vec<Item>,
    /// Idiosyncratic store x item demand factor.
    pair: Vec<f64>,
}

pub fn generate(seed: u64) -> SalesSample {
    let mut rng = SampleRng::new(seed);
    let mut world = build_world(&mut rng);
    let mut train_rng = SampleRng::new(seed.wrapping_add(1));
    let mut off_sums = vec![(0.0f64, 0u64); CATEGORIES.len()];
    let mut train = SalesTable::default();
    for week in 0..TRAIN_WEEKS {
        simulate_week(
            &world,
            week,
            &Regime::normal(),
            &mut train_rng,
            &mut train,
            &mut off_sums,
        );
    }

    // The drifted half-year: a new store opens, Household thins out, Snacks grows.
    let mut drift_rng = SampleRng::new(seed.wrapping_add(2));
    world.stores.push(Store {
        id: format!("S{:02}", STORES + 1),
        region: "West",
        size: 1.3,
    });
    for _ in 0..ITEMS {
        world.pair.push(drift_rng.lognormal(0.0, 0.15));
    }
    let new_items: Vec<Item> = (0..4)
        .map(|k| Item {
            id: format!("I{:03}", ITEMS + k + 1),
            category: 1,
            base_units: drift_rng.lognormal(2.5, 0.4),
            // Premium lines: the new Snacks sell above the old range, so the mix shift pushes
            // prices up too rather than hiding the inflation.
            regular_price: shelf_price(&mut drift_rng, 3.0, 4.6),
        })
        .collect();
    let mut drift = SalesTable::default();
    let regime = Regime::drifted(new_items);
    let mut ignore = vec![(0.0, 0); CATEGORIES.len()];
    for week in TRAIN_WEEKS..TRAIN_WEEKS + DRIFT_WEEKS {
        simulate_week(
            &world,
            week,
            &regime,
            &mut drift_rng,
            &mut drift,
            &mut ignore,
        );
    }

    let categories = CATEGORIES
        .iter()
        .zip(off_sums)
        .map(|(spec, (sum, n))| {
            let ratio = uplift_ratio(spec);
            let mean_off = if n == 0 { 0.0 } else { sum / n as f64 };
            CategoryTruth {
                category: spec.name,
                elasticity: spec.elasticity,
                promo_halo: spec.promo_halo,
                typical_depth_pct: spec.typical_depth_pct,
                uplift_ratio: round4(ratio),
                uplift_pct: round4((ratio - 1.0) * 100.0),
                mean_units_promo_off: round4(mean_off),
                uplift_units: round4(mean_off * (ratio - 1.0)),
            }
        })
        .collect();
    SalesSample {
        train,
        drift,
        truth: Truth {
            seed,
            definition: "Promotion on means promo=1 at the category's typical depth (price = \
                         regular_price x (1 - depth/100)); off means promo=0, depth 0, price = \
                         regular_price; every other column unchanged. uplift_units is the mean \
                         over the category's sales_weekly rows of expected units on minus off.",
            holiday_lift: HOLIDAY_LIFT,
            display_lift: DISPLAY_LIFT,
            trend_per_year: TREND_PER_YEAR,
            categories,
            drift: DriftTruth {
                file: "sales_weekly_2024h1.csv",
                drifted: vec![
                    "store_id",
                    "item_id",
                    "category",
                    "regular_price",
                    "price",
                    "units_sold",
                ],
                changed_mildly: vec!["region", "promo", "promo_depth_pct"],
                unchanged: vec!["display", "holiday"],
                notes: "A new store (S21, West) opens; four Household items are delisted and \
                        four premium Snacks items added; shelf prices rise 8%; Beverages and \
                        Snacks promote far more often, Dairy and Bakery less. week_start moves \
                        by definition and is not tested.",
            },
        },
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

fn build_world(rng: &mut SampleRng) -> World {
    let stores = (0..STORES)
        .map(|s| Store {
            id: format!("S{:02}", s + 1),
            region: REGIONS[s % REGIONS.len()],
            size: rng.lognormal(0.0, 0.35),
        })
        .collect();
    let items = (0..ITEMS)
        .map(|i| {
            let category = i % CATEGORIES.len();
            Item {
                id: format!("I{:03}", i + 1),
                category,
                base_units: rng.lognormal(2.5, 0.5),
                regular_price: price_point(rng, &CATEGORIES[category]),
            }
        })
        .collect();
    let pair = (0..STORES * ITEMS)
        .map(|_| rng.lognormal(0.0, 0.15))
        .collect();
    World {
        stores,
        items,
        pair,
    }
}

/// How the market behaves in a period.
struct Regime {
    price_factor: f64,
    promo_rate_factor: [f64; 8],
    delisted: Vec<&'static str>,
    new_items: Vec<Item>,
}

impl Regime {
    fn normal() -> Self {
        Self {
            price_factor: 1.0,
            promo_rate_factor: [1.0; 8],
            delisted: Vec::new(),
            new_items: Vec::new(),
        }
    }

    fn drifted(new_items: Vec<Item>) -> Self {
        Self {
            price_factor: DRIFT_PRICE_INFLATION,
            // Beverages and Snacks promote far more, Dairy and Bakery less.
            promo_rate_factor: [1.8, 1.6, 0.5, 0.5, 1.0, 1.2, 1.0, 1.0],
            // Four of Household's six items (I007, I015, I023, I031 are 6,14,22,30 by index).
            delisted: vec!["I007", "I015", "I023", "I031"],
            new_items,
        }
    }
}

fn simulate_week(
    world: &World,
    week: usize,
    regime: &Regime,
    rng: &mut SampleRng,
    out: &mut SalesTable,
    off_sums: &mut [(f64, u64)],
) {
    let date = first_week() + Duration::weeks(week as i64);
    let holiday = is_holiday_week(date);
    let week_of_year = f64::from(date.iso_week().week());
    let trend = 1.0 + TREND_PER_YEAR * week as f64 / 52.0;
    let new_pair_offset = STORES * ITEMS;
    for (s, store) in world.stores.iter().enumerate() {
        let items = world.items.iter().chain(regime.new_items.iter());
        for (i, item) in items.enumerate() {
            if regime.delisted.contains(&item.id.as_str()) {
                continue;
            }
            let spec = &CATEGORIES[item.category];
            let pair = if s < STORES && i < ITEMS {
                world.pair[s * ITEMS + i]
            } else if s == STORES && i < ITEMS {
                world.pair.get(new_pair_offset + i).copied().unwrap_or(1.0)
            } else {
                1.0
            };
            let season = 1.0
                + spec.season_amplitude
                    * (std::f64::consts::TAU * (week_of_year - spec.season_peak_week) / 52.0).cos();
            let regular = item.regular_price * regime.price_factor;
            let promo = rng.chance(spec.promo_rate * regime.promo_rate_factor[item.category]);
            let depth = if promo {
                (spec.typical_depth_pct as i64 + 5 * (rng.below(3) as i64 - 1)) as u32
            } else {
                0
            };
            let price = regular * (1.0 - f64::from(depth) / 100.0);
            let display = rng.chance(if promo { 0.35 } else { 0.03 });
            let base = item.base_units
                * store.size
                * pair
                * season
                * trend
                * if holiday { HOLIDAY_LIFT } else { 1.0 }
                * if display { DISPLAY_LIFT } else { 1.0 };
            let promo_effect = if promo {
                (price / regular).powf(spec.elasticity) * spec.promo_halo
            } else {
                1.0
            };
            let expected = base * promo_effect;
            off_sums[item.category].0 += base;
            off_sums[item.category].1 += 1;
            out.week_start.push(date);
            out.store_id.push(store.id.clone());
            out.region.push(store.region);
            out.item_id.push(item.id.clone());
            out.category.push(spec.name);
            out.regular_price.push(regular);
            out.price.push(price);
            out.promo.push(u8::from(promo));
            out.promo_depth_pct.push(depth);
            out.display.push(u8::from(display));
            out.holiday.push(u8::from(holiday));
            out.units_sold.push(rng.poisson(expected));
        }
    }
}
