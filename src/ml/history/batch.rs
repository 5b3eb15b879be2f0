//! A batch file's lags looked up in the bundled history, row by row, as `complete_record` does
//! for one record.

use super::*;

/// What filling a batch from the history did, for the batch's report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BatchFill {
    /// Rows whose lags were looked up (or reached through forecasts).
    pub filled: usize,
    /// Rows of series the history does not hold: their lags stay missing.
    pub no_history: usize,
    /// Rows dated more than one period past their series' history.
    pub beyond: usize,
}

/// A conformed batch (`conform_frame`) with each lag or rolling mean it leaves blank looked up
/// in the bundled history, as `complete_record` does for one record. Covariates stay the file's.
pub fn fill_batch(
    loaded: &LoadedModel,
    frame: DataFrame,
) -> Result<(DataFrame, BatchFill), MlError> {
    let (Some(history), Some(lags)) = (&loaded.history, &loaded.signature.derived) else {
        return Ok((frame, BatchFill::default()));
    };
    let names = lags.output_names();
    let mut given: Vec<Vec<Option<f64>>> = Vec::with_capacity(names.len());
    for name in &names {
        let column = frame.column(name)?.cast(&DataType::Float64)?;
        given.push(column.as_materialized_series().f64()?.iter().collect());
    }
    let blank_rows: Vec<usize> = (0..frame.height())
        .filter(|&r| given.iter().any(|c| c[r].is_none()))
        .collect();
    if blank_rows.is_empty() {
        return Ok((frame, BatchFill::default()));
    }
    let days = day_numbers(&frame, &lags.date)?;
    let keys = group_keys(&frame, &lags.groups)?;
    // Series reached past their history's end: forecast once, as far as the batch needs.
    let mut reach: HashMap<&str, usize> = HashMap::new();
    for &row in &blank_rows {
        if let Some(s) = history.series.get(&keys[row])
            && let Some(&last) = s.days.last()
            && days[row] > last
        {
            let h = ((i64::from(days[row]) - i64::from(last)) / i64::from(s.period)) as usize;
            let entry = reach.entry(keys[row].as_str()).or_insert(1);
            *entry = (*entry).max(h.min(crate::ml::spec_check::MAX_PERIODS));
        }
    }
    let mut extended: HashMap<&str, (Vec<i32>, Vec<Option<f64>>)> = HashMap::new();
    for (key, h) in &reach {
        let Some(s) = history.series.get(*key) else {
            continue;
        };
        let (mut d, mut v) = (s.days.clone(), s.values.clone());
        if *h > 1 {
            let rows = IdxCa::from_vec("rows".into(), s.rows.clone());
            let tail = history.frame.take(&rows)?;
            for f in forecast(loaded, tail, None, h - 1, Covariates::CarryForward)? {
                d.push(f.day);
                v.push(Some(f.value));
            }
        }
        extended.insert(key, (d, v));
    }
    let mut fill = BatchFill::default();
    for &row in &blank_rows {
        let Some(s) = history.series.get(&keys[row]) else {
            fill.no_history += 1;
            continue;
        };
        let (d, v) = extended
            .get(keys[row].as_str())
            .map_or((&s.days, &s.values), |(d, v)| (d, v));
        if s.days
            .last()
            .is_some_and(|&last| days[row] > last + s.period)
        {
            fill.beyond += 1;
        }
        for (slot, value) in features_at(d, v, s.period, lags, days[row])
            .into_iter()
            .enumerate()
        {
            if given[slot][row].is_none() {
                given[slot][row] = value;
            }
        }
        fill.filled += 1;
    }
    let mut frame = frame;
    for (name, values) in names.iter().zip(given) {
        let column = Float64Chunked::from_iter_options(name.as_str().into(), values.into_iter());
        frame.with_column(column.into_series().into_column())?;
    }
    Ok((frame, fill))
}
