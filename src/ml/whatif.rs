//! What-if predictions: the same rows with some columns set to other values, through a fitted
//! pipeline and model. The promotion uplift a category manager asks for ("what do we sell with
//! the promotion on, against off?") is the difference of two such predictions.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use serde_json::Value;

use super::MlError;
use super::artifact::LoadedModel;
use super::features::FeaturePipeline;
use super::frame::column;
use super::models::Model;
use super::signature::{FieldKind, InputField, Signature};
use super::train::predict_target;

/// How a promotion shows in the data: a 0/1 flag, optionally a depth in percent and a price
/// column derived from a regular price (price = regular x (1 - depth / 100)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromotionColumns {
    pub flag: String,
    pub depth_pct: Option<String>,
    /// (price column, regular price column).
    pub price: Option<(String, String)>,
}

/// The promotion columns of a model, found by name in its signature: a 0/1 `promo` flag, a
/// `*depth*` percentage, and `price` derived from `regular_price`.
pub fn promotion_columns(signature: &Signature) -> Option<PromotionColumns> {
    let input = |pred: &dyn Fn(&InputField) -> bool| signature.inputs.iter().find(|i| pred(i));
    let flag = input(&|i: &InputField| {
        matches!(i.kind, FieldKind::Number | FieldKind::Boolean)
            && (i.name.eq_ignore_ascii_case("promo")
                || i.name.to_ascii_lowercase().ends_with("promo"))
    })?;
    let depth = input(&|i: &InputField| {
        i.kind == FieldKind::Number && i.name.to_ascii_lowercase().contains("depth")
    });
    let price = input(&|i: &InputField| i.kind == FieldKind::Number && i.name == "price");
    let regular = input(&|i: &InputField| i.kind == FieldKind::Number && i.name == "regular_price");
    Some(PromotionColumns {
        flag: flag.name.clone(),
        depth_pct: depth.map(|d| d.name.clone()),
        price: price
            .zip(regular)
            .map(|(p, r)| (p.name.clone(), r.name.clone())),
    })
}

/// The depths the what-if tries: 10, 20, 30 and 40 % within the depths seen in training; one
/// `None` (the promotion on) for a model without a depth column.
pub fn uplift_depths(signature: &Signature, promotion: &PromotionColumns) -> Vec<Option<f64>> {
    let Some(depth) = &promotion.depth_pct else {
        return vec![None];
    };
    let max = signature
        .inputs
        .iter()
        .find(|i| &i.name == depth)
        .and_then(|i| i.max.as_ref().and_then(Value::as_f64))
        .unwrap_or(30.0);
    [10.0, 20.0, 30.0, 40.0]
        .into_iter()
        .filter(|d| *d <= max.max(10.0))
        .map(Some)
        .collect()
}

/// Mean predictions of a group of rows with the promotion off and on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Uplift {
    pub rows: usize,
    pub depth_pct: Option<f64>,
    pub mean_off: f64,
    pub mean_on: f64,
}

impl Uplift {
    pub fn units(&self) -> f64 {
        self.mean_on - self.mean_off
    }

    /// On over off (1.2 is a 20% lift); `None` when the baseline is zero.
    pub fn ratio(&self) -> Option<f64> {
        (self.mean_off != 0.0).then(|| self.mean_on / self.mean_off)
    }
}

fn set_column(rows: &mut DataFrame, name: &str, values: Column) -> Result<(), MlError> {
    column(rows, name)?;
    rows.with_column(values.with_name(name.into()))?;
    Ok(())
}

/// `rows` with the promotion on at `depth_pct` (`Some`) or off (`None`), every other column
/// unchanged.
pub fn with_promotion(
    rows: &DataFrame,
    promotion: &PromotionColumns,
    depth_pct: Option<f64>,
) -> Result<DataFrame, MlError> {
    let mut out = rows.clone();
    let n = out.height();
    let flag_type = column(rows, &promotion.flag)?.dtype().clone();
    let flag =
        Column::new("flag".into(), vec![i64::from(depth_pct.is_some()); n]).cast(&flag_type)?;
    set_column(&mut out, &promotion.flag, flag)?;
    let depth = depth_pct.unwrap_or(0.0);
    if let Some(depth_column) = &promotion.depth_pct {
        let depth_type = column(rows, depth_column)?.dtype().clone();
        let values = Column::new("depth".into(), vec![depth; n]).cast(&depth_type)?;
        set_column(&mut out, depth_column, values)?;
    }
    if let Some((price, regular)) = &promotion.price {
        let regular_values = column(rows, regular)?.cast(&DataType::Float64)?;
        let prices: Vec<Option<f64>> = regular_values
            .f64()?
            .iter()
            .map(|r| r.map(|r| r * (1.0 - depth / 100.0)))
            .collect();
        set_column(&mut out, price, Column::new("price".into(), prices))?;
    }
    Ok(out)
}

/// Mean prediction of `rows` with the promotion off and on at `depth_pct`.
pub fn promotion_uplift(
    pipeline: &FeaturePipeline,
    model: &dyn Model,
    rows: &DataFrame,
    promotion: &PromotionColumns,
    depth_pct: Option<f64>,
) -> Result<Uplift, MlError> {
    if rows.height() == 0 {
        return Err(MlError::Empty("promotion uplift"));
    }
    let mean = |frame: &DataFrame| -> Result<f64, MlError> {
        let x = pipeline.transform(frame)?;
        let predicted = predict_target(pipeline, model, &x)?;
        Ok(predicted.iter().sum::<f64>() / predicted.len() as f64)
    };
    let off = with_promotion(rows, promotion, None)?;
    let on = with_promotion(rows, promotion, Some(depth_pct.unwrap_or(0.0)))?;
    Ok(Uplift {
        rows: rows.height(),
        depth_pct,
        mean_off: mean(&off)?,
        mean_on: mean(&on)?,
    })
}

/// Predictions of `frame` with the promotion off, and on at each of `depths` (`None`: on, for a
/// model without a depth column): the one what-if loop behind a record's uplift table and a
/// batch file's uplift columns. Returns (off, one vector per depth).
pub fn promotion_predictions(
    loaded: &LoadedModel,
    frame: &DataFrame,
    promotion: &PromotionColumns,
    depths: &[Option<f64>],
) -> Result<(Vec<f64>, Vec<Vec<f64>>), MlError> {
    let predict = |depth: Option<f64>| -> Result<Vec<f64>, MlError> {
        let rows = with_promotion(frame, promotion, depth)?;
        Ok(super::predict::predict_frame(loaded, &rows)?
            .into_iter()
            .map(|p| p.0)
            .collect())
    };
    let off = predict(None)?;
    let on = depths
        .iter()
        .map(|depth| predict(Some(depth.unwrap_or(0.0))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((off, on))
}
