//! Forecasting baselines as models (statsforecast's naive, seasonal naive, window average and
//! historic average), so they train, validate, register, forecast and serve through the same
//! pipeline as any model and a run can be compared with "the same week last year".
//!
//! A baseline repeats one feature of the series' own past, which training derives like any lag:
//! - `naive`: the last value (lag 1);
//! - `seasonal_naive`: the value one season back (lag S; S from the date column's period, 52 for
//!   weekly, 7 for daily, 12 for monthly data, or `season=`);
//! - `window_average`: the mean of the last W periods (`window=`, default 4);
//! - `series_mean`: the mean of all the series' history (a window of `MAX_PERIODS`).
//!
//! Past a forecast's origin the recursive walk feeds a baseline its own earlier values, exactly as
//! it feeds a fitted model: naive and series mean stay flat, seasonal naive repeats the last
//! season. A window average is then a moving average over its own forecasts, not the flat mean of
//! statsforecast's `WindowAverage` (the two agree at step 1). A row whose history does not reach
//! back gets the training median of that feature, as every model does.

use serde::{Deserialize, Serialize};

use super::MlError;
use super::features::Matrix;
use super::params::{ParamInfo, ParamSetter};
use super::spec_check::MAX_PERIODS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineKind {
    Naive,
    SeasonalNaive,
    WindowAverage,
    SeriesMean,
}

/// The past value a baseline repeats: a lag of k periods or a mean over the last w periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PastValue {
    Lag(usize),
    Mean(usize),
}

impl PastValue {
    /// The derived feature's column name, as `LagSpec::output_names` spells it.
    pub fn column(self, value: &str) -> String {
        match self {
            PastValue::Lag(k) => format!("{value}__lag_{k}"),
            PastValue::Mean(w) => format!("{value}__mean_{w}"),
        }
    }
}

const SEASON: ParamInfo = ParamInfo {
    name: "season",
    range: "a whole number of periods from 1 to 10000, or 0 for the date column's own",
    description: "periods in a season (0: 52 weekly, 7 daily, 12 monthly)",
    search: None,
};
const WINDOW: ParamInfo = ParamInfo {
    name: "window",
    range: "a whole number of periods from 1 to 10000",
    description: "periods averaged",
    search: Some("int:2..13"),
};
const SEASONAL_PARAMS: &[ParamInfo] = &[SEASON];
const WINDOW_PARAMS: &[ParamInfo] = &[WINDOW];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineParams {
    pub kind: BaselineKind,
    /// 0: inferred from the date column's period.
    pub season: usize,
    pub window: usize,
}

impl BaselineParams {
    pub fn defaults(kind: BaselineKind) -> Self {
        Self {
            kind,
            season: 0,
            window: 4,
        }
    }

    pub fn info(&self) -> &'static [ParamInfo] {
        match self.kind {
            BaselineKind::SeasonalNaive => SEASONAL_PARAMS,
            BaselineKind::WindowAverage => WINDOW_PARAMS,
            BaselineKind::Naive | BaselineKind::SeriesMean => &[],
        }
    }

    pub fn set(&mut self, key: &str, value: &str) -> Result<(), MlError> {
        let setter = ParamSetter::new(self.info(), key, value)?;
        match key {
            "season" => self.season = setter.int(0, MAX_PERIODS)?,
            "window" => self.window = setter.int(1, MAX_PERIODS)?,
            _ => return Err(setter.unknown()),
        }
        Ok(())
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        match self.kind {
            BaselineKind::SeasonalNaive => vec![("season", self.season.to_string())],
            BaselineKind::WindowAverage => vec![("window", self.window.to_string())],
            BaselineKind::Naive | BaselineKind::SeriesMean => Vec::new(),
        }
    }

    /// What the baseline repeats, for a series whose season is `season_of_data` periods long.
    pub fn past_value(&self, season_of_data: usize) -> PastValue {
        match self.kind {
            BaselineKind::Naive => PastValue::Lag(1),
            BaselineKind::SeasonalNaive => PastValue::Lag(if self.season == 0 {
                season_of_data.max(1)
            } else {
                self.season
            }),
            BaselineKind::WindowAverage => PastValue::Mean(self.window),
            BaselineKind::SeriesMean => PastValue::Mean(MAX_PERIODS),
        }
    }
}

/// A fitted baseline: the one encoded column it repeats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineModel {
    pub kind: BaselineKind,
    pub column: String,
}

impl BaselineModel {
    /// Checks that `x` (the training matrix) holds the column the baseline repeats.
    pub fn fit(kind: BaselineKind, column: String, x: &Matrix) -> Result<Self, MlError> {
        if !x.names.contains(&column) {
            return Err(MlError::Model(format!(
                "the baseline repeats '{column}', which the features do not hold"
            )));
        }
        Ok(Self { kind, column })
    }

    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError> {
        x.column(&self.column).ok_or_else(|| {
            MlError::Model(format!(
                "the baseline repeats '{}', which these rows do not hold",
                self.column
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_baseline_names_the_past_value_it_repeats() {
        let weekly = 52;
        let p = |kind| BaselineParams::defaults(kind).past_value(weekly);
        assert_eq!(p(BaselineKind::Naive), PastValue::Lag(1));
        assert_eq!(p(BaselineKind::SeasonalNaive), PastValue::Lag(52));
        assert_eq!(p(BaselineKind::WindowAverage), PastValue::Mean(4));
        assert_eq!(p(BaselineKind::SeriesMean), PastValue::Mean(MAX_PERIODS));
        let mut monthly = BaselineParams::defaults(BaselineKind::SeasonalNaive);
        monthly.set("season", "12").expect("12 is a season");
        assert_eq!(monthly.past_value(weekly), PastValue::Lag(12));
        assert!(monthly.set("season", "-1").is_err());
        assert!(
            monthly.set("window", "3").is_err(),
            "seasonal naive has no window"
        );
        assert_eq!(PastValue::Mean(4).column("units"), "units__mean_4");
    }
}
