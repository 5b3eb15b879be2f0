//! One forecast as an analyst looks at it: a series, or the sum of the series a filter picks
//! (`store=S01` sums a store's items; empty sums every series), its recent history and its next
//! periods with their interval band, and a promotion plan: the periods where the promotion is
//! flipped from what each series carries forward, with the uplift the plan makes. Built from the
//! model's bundled history by the forecast's own walk (`forecast_future::forecast_adjusted`);
//! the Forecast tab shows it and writes it as CSV and SVG.

use std::collections::BTreeSet;
use std::path::Path;

use plotters::prelude::*;
use polars::prelude::*;

use super::MlError;
use super::artifact::LoadedModel;
use super::forecast_future::{Covariates, Forecasted, forecast_adjusted};
use super::frame::day_numbers;
use super::lags::numbers;
use super::whatif::{PromotionColumns, promotion_columns, uplift_depths, with_promotion};
use crate::data::profile::day_text;

/// Which series: (group, value) pairs, every one to match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeriesFilter {
    pub pairs: Vec<(String, String)>,
}

impl SeriesFilter {
    /// `store=S01 item=I001` (spaces or commas between pairs); empty is every series. A name
    /// that is not one of `groups` is refused, naming them.
    pub fn parse(text: &str, groups: &[String]) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for part in text.split([' ', ',']).filter(|p| !p.trim().is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(format!(
                    "'{part}': expected KEY=VALUE, a key of {}",
                    groups.join(", ")
                ));
            };
            let key = key.trim();
            if !groups.iter().any(|g| g == key) {
                return Err(format!(
                    "'{key}' is not a series key of this model; its keys are {}",
                    groups.join(", ")
                ));
            }
            pairs.push((key.to_string(), value.trim().to_string()));
        }
        Ok(Self { pairs })
    }

    pub fn describe(&self) -> String {
        if self.pairs.is_empty() {
            "all series".to_string()
        } else {
            self.pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
}

/// What to forecast.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewRequest {
    pub filter: SeriesFilter,
    pub horizon: usize,
    /// Steps (from 1) where the promotion is flipped from what the series carries forward.
    pub plan: BTreeSet<usize>,
    /// How many of the last history dates the view keeps.
    pub history_periods: usize,
}

/// One future period of the view, summed over its series.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewPoint {
    pub day: i32,
    pub step: usize,
    pub forecast: f64,
    /// The per-series intervals summed (a conservative band for a sum).
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// The forecast with the plan, where a plan is set.
    pub planned: Option<f64>,
    /// How many of the series run the promotion in this period (carried forward, or as the plan
    /// has it).
    pub promoted: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForecastView {
    pub filter: SeriesFilter,
    pub series: usize,
    pub target: String,
    /// (day, summed actual) of the last history dates.
    pub history: Vec<(i32, f64)>,
    pub points: Vec<ViewPoint>,
    /// The promotion column flipped by a plan (`None`: the model has none).
    pub promotion: Option<String>,
    /// The depth (%) a flipped-on promotion runs at.
    pub depth_pct: Option<f64>,
}

/// The forecast the request describes, from the model's bundled history.
pub fn forecast_view(
    loaded: &LoadedModel,
    request: &ViewRequest,
    progress: &dyn Fn(usize, usize),
) -> Result<ForecastView, MlError> {
    let (Some(history), Some(lags)) = (&loaded.history, &loaded.signature.derived) else {
        return Err(MlError::Model(
            "this model keeps no series history (a model without lags, or one registered before \
             bundles kept it): register a lag model trained by this version of Shelfcast"
                .into(),
        ));
    };
    let wanted: Vec<(usize, String)> = request
        .filter
        .pairs
        .iter()
        .filter_map(|(k, v)| Some((lags.groups.iter().position(|g| g == k)?, v.clone())))
        .collect();
    let (rows, series) = history.rows_matching(&wanted);
    if series == 0 {
        let examples: Vec<String> = history
            .series_keys()
            .into_iter()
            .take(3)
            .map(|k| {
                lags.groups
                    .iter()
                    .zip(k)
                    .map(|(g, v)| format!("{g}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        return Err(MlError::Model(format!(
            "no series matches {}; the model's history holds {} series, such as {}",
            request.filter.describe(),
            history.series_count(),
            examples.join(", ")
        )));
    }
    let tail = history
        .frame()
        .take(&IdxCa::from_vec("rows".into(), rows))?;
    let summed_history = sum_by_day(&tail, &lags.date, &lags.value, request.history_periods)?;
    let promotion = promotion_columns(&loaded.signature);
    // Which periods run the promotion, counted on the future rows the walk is given.
    let base_promoted = std::cell::RefCell::new(Vec::new());
    let planned_promoted = std::cell::RefCell::new(Vec::new());
    let count = |rows: &DataFrame, steps: &[usize], into: &std::cell::RefCell<Vec<usize>>| {
        if let Some(columns) = &promotion {
            let flags = numbers(rows, &columns.flag)?;
            let mut counts = vec![0; request.horizon];
            for (flag, step) in flags.iter().zip(steps) {
                if flag.is_some_and(|f| f != 0.0) && *step >= 1 && *step <= counts.len() {
                    counts[step - 1] += 1;
                }
            }
            *into.borrow_mut() = counts;
        }
        Ok::<(), MlError>(())
    };
    let observe = |rows: DataFrame, steps: &[usize]| {
        count(&rows, steps, &base_promoted)?;
        Ok(rows)
    };
    let base = forecast_adjusted(
        loaded,
        tail.clone(),
        None,
        request.horizon,
        Covariates::CarryForward,
        Some(&observe),
        progress,
    )?;
    let depth_pct = promotion.as_ref().and_then(|p| {
        let depths = uplift_depths(&loaded.signature, p);
        depths.get(depths.len() / 2).copied().flatten()
    });
    let planned = match (&promotion, request.plan.is_empty()) {
        (Some(columns), false) => {
            let flip = |rows: DataFrame, steps: &[usize]| {
                let rows = flip_promotion(rows, steps, &request.plan, columns, depth_pct)?;
                count(&rows, steps, &planned_promoted)?;
                Ok(rows)
            };
            Some(forecast_adjusted(
                loaded,
                tail,
                None,
                request.horizon,
                Covariates::CarryForward,
                Some(&flip),
                progress,
            )?)
        }
        _ => None,
    };
    Ok(ForecastView {
        filter: request.filter.clone(),
        series,
        target: lags.value.clone(),
        history: summed_history,
        points: {
            let mut points = sum_by_step(&base, planned.as_deref());
            let counts = if planned.is_some() {
                planned_promoted.borrow().clone()
            } else {
                base_promoted.borrow().clone()
            };
            for (point, promoted) in points.iter_mut().zip(counts) {
                point.promoted = Some(promoted);
            }
            points
        },
        promotion: promotion.map(|p| p.flag),
        depth_pct,
    })
}

/// The last `periods` dates of `frame` with `value` summed over its rows of each date.
fn sum_by_day(
    frame: &DataFrame,
    date: &str,
    value: &str,
    periods: usize,
) -> Result<Vec<(i32, f64)>, MlError> {
    let days = day_numbers(frame, date)?;
    let values = numbers(frame, value)?;
    let mut sums: std::collections::BTreeMap<i32, f64> = std::collections::BTreeMap::new();
    for (day, v) in days.iter().zip(values) {
        *sums.entry(*day).or_default() += v.unwrap_or(0.0);
    }
    let skip = sums.len().saturating_sub(periods);
    Ok(sums.into_iter().skip(skip).collect())
}

fn sum_by_step(base: &[Forecasted], planned: Option<&[Forecasted]>) -> Vec<ViewPoint> {
    let horizon = base.iter().map(|f| f.step).max().unwrap_or(0);
    let mut points: Vec<ViewPoint> = (1..=horizon)
        .map(|step| ViewPoint {
            day: 0,
            step,
            forecast: 0.0,
            lower: Some(0.0),
            upper: Some(0.0),
            planned: planned.map(|_| 0.0),
            promoted: None,
        })
        .collect();
    for f in base {
        let p = &mut points[f.step - 1];
        p.day = p.day.max(f.day);
        p.forecast += f.value;
        match f.interval {
            Some((low, high)) => {
                p.lower = p.lower.map(|l| l + low);
                p.upper = p.upper.map(|u| u + high);
            }
            None => (p.lower, p.upper) = (None, None),
        }
    }
    for f in planned.unwrap_or_default() {
        let p = &mut points[f.step - 1];
        p.planned = p.planned.map(|v| v + f.value);
    }
    points
}

/// The future rows with the promotion flipped at the planned steps: on (at `depth_pct`, the
/// price cut to match) where the series carried it off, off where it carried it on.
fn flip_promotion(
    rows: DataFrame,
    steps: &[usize],
    plan: &BTreeSet<usize>,
    columns: &PromotionColumns,
    depth_pct: Option<f64>,
) -> Result<DataFrame, MlError> {
    let carried = numbers(&rows, &columns.flag)?;
    let planned: Vec<bool> = steps.iter().map(|s| plan.contains(s)).collect();
    let turn_on: Vec<bool> = planned
        .iter()
        .zip(&carried)
        .map(|(p, c)| *p && c.unwrap_or(0.0) == 0.0)
        .collect();
    let turn_off: Vec<bool> = planned
        .iter()
        .zip(&turn_on)
        .map(|(p, on)| *p && !on)
        .collect();
    let on = with_promotion(&rows, columns, Some(depth_pct.unwrap_or(0.0)))?;
    let off = with_promotion(&rows, columns, None)?;
    let mut out = rows;
    let mut names = vec![columns.flag.clone()];
    names.extend(columns.depth_pct.clone());
    if let Some((price, _)) = &columns.price {
        names.push(price.clone());
    }
    let on_mask = BooleanChunked::from_slice("on".into(), &turn_on);
    let off_mask = BooleanChunked::from_slice("off".into(), &turn_off);
    for name in names {
        let current = out.column(&name)?.as_materialized_series().clone();
        let with_off = off
            .column(&name)?
            .as_materialized_series()
            .zip_with(&off_mask, &current)?;
        let merged = on
            .column(&name)?
            .as_materialized_series()
            .zip_with(&on_mask, &with_off)?;
        out.with_column(merged.with_name(name.as_str().into()).into_column())?;
    }
    Ok(out)
}

impl ForecastView {
    /// The view as CSV: the history, then each forecast period with its band, the plan and its
    /// uplift.
    pub fn to_csv(&self) -> String {
        let mut csv = String::from("date,kind,step,value,lower,upper,planned,uplift,promoted\n");
        let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
        for (day, value) in &self.history {
            csv.push_str(&format!("{},history,,{value:.4},,,,,\n", day_text(*day)));
        }
        for p in &self.points {
            csv.push_str(&format!(
                "{},forecast,{},{:.4},{},{},{},{},{}\n",
                day_text(p.day),
                p.step,
                p.forecast,
                num(p.lower),
                num(p.upper),
                num(p.planned),
                num(p.planned.map(|v| v - p.forecast)),
                p.promoted.map_or(String::new(), |n| n.to_string()),
            ));
        }
        csv
    }

    /// The view as a standalone SVG chart: history, forecast with its band, the plan.
    pub fn to_svg(&self, title: &str) -> Result<String, MlError> {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (960, 480)).into_drawing_area();
            let draw = |e: &dyn std::fmt::Display| MlError::Model(format!("drawing: {e}"));
            root.fill(&WHITE).map_err(|e| draw(&e))?;
            let xs: Vec<i32> = self
                .history
                .iter()
                .map(|(d, _)| *d)
                .chain(self.points.iter().map(|p| p.day))
                .collect();
            let ys = self
                .history
                .iter()
                .map(|(_, v)| *v)
                .chain(self.points.iter().flat_map(|p| {
                    [Some(p.forecast), p.lower, p.upper, p.planned]
                        .into_iter()
                        .flatten()
                }));
            let (low, high) = ys.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
            let (x0, x1) = (
                *xs.iter().min().unwrap_or(&0),
                *xs.iter().max().unwrap_or(&1),
            );
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(64)
                .build_cartesian_2d(x0..x1.max(x0 + 1), low.min(0.0)..high.max(low + 1.0) * 1.05)
                .map_err(|e| draw(&e))?;
            chart
                .configure_mesh()
                .x_label_formatter(&|d| day_text(*d))
                .y_desc(self.target.as_str())
                .draw()
                .map_err(|e| draw(&e))?;
            let band: Vec<(i32, f64)> = self
                .points
                .iter()
                .filter_map(|p| p.upper.map(|u| (p.day, u)))
                .chain(
                    self.points
                        .iter()
                        .rev()
                        .filter_map(|p| p.lower.map(|l| (p.day, l))),
                )
                .collect();
            if !band.is_empty() {
                chart
                    .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.15).filled())))
                    .map_err(|e| draw(&e))?
                    .label("interval (90%)");
            }
            chart
                .draw_series(LineSeries::new(self.history.iter().copied(), &BLACK))
                .map_err(|e| draw(&e))?
                .label("history")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK));
            chart
                .draw_series(LineSeries::new(
                    self.points.iter().map(|p| (p.day, p.forecast)),
                    BLUE.stroke_width(2),
                ))
                .map_err(|e| draw(&e))?
                .label("forecast")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE));
            if self.points.iter().any(|p| p.planned.is_some()) {
                chart
                    .draw_series(LineSeries::new(
                        self.points
                            .iter()
                            .filter_map(|p| p.planned.map(|v| (p.day, v))),
                        RED.stroke_width(2),
                    ))
                    .map_err(|e| draw(&e))?
                    .label("with the promotion plan")
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED));
            }
            chart
                .configure_series_labels()
                .border_style(BLACK)
                .background_style(WHITE.mix(0.8))
                .draw()
                .map_err(|e| draw(&e))?;
            root.present().map_err(|e| draw(&e))?;
        }
        Ok(svg)
    }

    /// Writes the CSV and the SVG beside each other (`stem.csv`, `stem.svg`), atomically.
    pub fn export(&self, stem: &Path, title: &str) -> Result<(String, String), MlError> {
        let csv_path = stem.with_extension("csv");
        let svg_path = stem.with_extension("svg");
        let io = |path: &Path, e: std::io::Error| {
            MlError::Model(format!("writing {}: {e}", path.display()))
        };
        if let Some(folder) = stem.parent() {
            std::fs::create_dir_all(folder).map_err(|e| io(folder, e))?;
        }
        let svg = self.to_svg(title)?;
        crate::files::write_bytes_atomically(&csv_path, self.to_csv().as_bytes())
            .map_err(|e| io(&csv_path, e))?;
        crate::files::write_bytes_atomically(&svg_path, svg.as_bytes())
            .map_err(|e| io(&svg_path, e))?;
        Ok((
            csv_path.display().to_string(),
            svg_path.display().to_string(),
        ))
    }
}
