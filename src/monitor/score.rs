//! The error of predictions against actuals, as Evidently's regression preset and NannyML's
//! realized performance name it: count, MAE, RMSE, WAPE, bias (mean error, predicted minus
//! actual), MAPE over the non-zero actuals (the zeros skipped and counted), the largest absolute
//! error and R². And the periods they are cut into: a day, an ISO week (Monday to Sunday, named
//! by its Monday) or a month.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How scores are cut in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            other => Err(format!("--by {other}: expected day, week or month")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The period of a date (`YYYY-MM-DD`): the day, the week's Monday, or `YYYY-MM`; `None` for
    /// text that is no date.
    pub fn of(self, date: &str) -> Option<String> {
        let day = NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d").ok()?;
        Some(match self {
            Period::Day => day.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let monday =
                    day - chrono::Duration::days(day.weekday().num_days_from_monday() as i64);
                monday.format("%Y-%m-%d").to_string()
            }
            Period::Month => day.format("%Y-%m").to_string(),
        })
    }
}

/// Which score the band and the alerts watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Watched {
    Wape,
    Mae,
    Rmse,
}

impl Watched {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "wape" => Ok(Watched::Wape),
            "mae" => Ok(Watched::Mae),
            "rmse" => Ok(Watched::Rmse),
            other => Err(format!("--metric {other}: expected wape, mae or rmse")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Watched::Wape => "wape",
            Watched::Mae => "mae",
            Watched::Rmse => "rmse",
        }
    }

    /// The watched value of a score (`None`: WAPE of actuals summing to zero).
    pub fn of(self, score: &Score) -> Option<f64> {
        match self {
            Watched::Wape => score.wape,
            Watched::Mae => Some(score.mae),
            Watched::Rmse => Some(score.rmse),
        }
    }
}

/// The error of a set of (predicted, actual) pairs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Score {
    pub count: usize,
    pub mae: f64,
    pub rmse: f64,
    /// Σ|error| / Σ|actual|, in percent.
    pub wape: Option<f64>,
    /// Mean of predicted − actual: positive over-forecasts.
    pub bias: f64,
    /// Mean |error| / |actual| over the rows whose actual is not zero, in percent.
    pub mape: Option<f64>,
    pub zeros_skipped: usize,
    pub max_abs_error: f64,
    pub r2: Option<f64>,
    pub predicted_sum: f64,
    pub actual_sum: f64,
}

impl Score {
    pub fn of(pairs: impl IntoIterator<Item = (f64, f64)>) -> Score {
        let (mut n, mut abs, mut sq, mut err, mut actual_abs) = (0usize, 0.0, 0.0, 0.0, 0.0);
        let (mut ape, mut ape_n, mut zeros, mut max_abs) = (0.0, 0usize, 0usize, 0.0f64);
        let (mut predicted_sum, mut actual_sum, mut actual_sq) = (0.0, 0.0, 0.0);
        for (predicted, actual) in pairs {
            if !predicted.is_finite() || !actual.is_finite() {
                continue;
            }
            let e = predicted - actual;
            n += 1;
            abs += e.abs();
            sq += e * e;
            err += e;
            actual_abs += actual.abs();
            max_abs = max_abs.max(e.abs());
            predicted_sum += predicted;
            actual_sum += actual;
            actual_sq += actual * actual;
            if actual == 0.0 {
                zeros += 1;
            } else {
                ape += (e / actual).abs();
                ape_n += 1;
            }
        }
        if n == 0 {
            return Score::default();
        }
        let count = n as f64;
        let mean_actual = actual_sum / count;
        let total_ss = actual_sq - count * mean_actual * mean_actual;
        Score {
            count: n,
            mae: abs / count,
            rmse: (sq / count).sqrt(),
            wape: (actual_abs > 0.0).then(|| 100.0 * abs / actual_abs),
            bias: err / count,
            mape: (ape_n > 0).then(|| 100.0 * ape / ape_n as f64),
            zeros_skipped: zeros,
            max_abs_error: max_abs,
            r2: (total_ss > 0.0).then(|| 1.0 - sq / total_ss),
            predicted_sum,
            actual_sum,
        }
    }
}

/// Groups `items` by `key` (in the keys' order) and scores each group.
pub fn score_by<T, K: Ord + Clone>(
    items: &[T],
    key: impl Fn(&T) -> Option<K>,
    pair: impl Fn(&T) -> (f64, f64),
) -> Vec<(K, Score)> {
    let mut groups: std::collections::BTreeMap<K, Vec<(f64, f64)>> = Default::default();
    for item in items {
        if let Some(k) = key(item) {
            groups.entry(k).or_default().push(pair(item));
        }
    }
    groups
        .into_iter()
        .map(|(k, pairs)| (k, Score::of(pairs)))
        .collect()
}
