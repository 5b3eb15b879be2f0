//! Reading the compared runs: the comparison, every series of each run (only what was logged
//! since, while they train), and the scatter over every run the Runs tab's filter matches.

use super::*;

impl CompareTab {
    pub(super) fn load(&mut self, store: &RunStore) -> Result<(), crate::store::StoreError> {
        let comparison = compare_runs(&self.project, store, &self.ids)?;
        let mut finals = Vec::new();
        for &id in &self.ids {
            for summary in store.metric_summaries(id)? {
                if summary.points <= 1 && !finals.contains(&summary.key) {
                    finals.push(summary.key);
                }
            }
        }
        finals.sort();
        let mut held = std::mem::take(&mut self.series);
        for &id in &self.ids {
            let mut series = match held.iter().position(|s| s.run == id) {
                Some(at) => held.swap_remove(at),
                None => RunSeries::new(id),
            };
            series.refresh(store)?;
            self.series.push(series);
        }
        // Scatter: a final metric against a param that differs among the compared runs.
        if !finals.contains(&self.scatter.metric) {
            self.scatter.metric = ["rmse", "roc_auc", "log_loss"]
                .iter()
                .map(|s| s.to_string())
                .find(|k| finals.contains(k))
                .or(finals.first().cloned())
                .unwrap_or_default();
        }
        self.scatter_metrics = finals;
        let mut params: Vec<String> = comparison
            .differing_params()
            .map(|p| p.key.clone())
            .filter(|k| !matches!(k.as_str(), "train_rows" | "valid_rows" | "features"))
            .collect();
        if params.is_empty() {
            params.push("model".into());
        }
        if !params.contains(&self.scatter.param) {
            self.scatter.param = params[0].clone();
        }
        self.scatter_params = params;
        self.scatter = load_scatter(
            store,
            &self.filter,
            &self.scatter.metric,
            &self.scatter.param,
        )?;
        self.comparison = Some(comparison);
        Ok(())
    }
}

/// The scatter's points: every run the filter matches that has both the metric and the param.
pub(super) fn load_scatter(
    store: &RunStore,
    filter: &Option<Filter>,
    metric: &str,
    param: &str,
) -> Result<Scatter, crate::store::StoreError> {
    let rows = store.query_runs(&RunQuery {
        filter: filter.clone(),
        metrics: vec![metric.to_string()],
        params: vec![param.to_string()],
        ..Default::default()
    })?;
    let pairs: Vec<(String, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.params.first()?.clone()?, (*r.metrics.first()?)?)))
        .collect();
    let numeric = pairs.iter().all(|(p, _)| p.trim().parse::<f64>().is_ok());
    let mut categories: Vec<String> = Vec::new();
    if !numeric {
        categories = pairs.iter().map(|(p, _)| p.clone()).collect();
        categories.sort();
        categories.dedup();
    }
    let points = pairs
        .iter()
        .map(|(p, m)| {
            let x = if numeric {
                p.trim().parse::<f64>().unwrap_or(0.0)
            } else {
                categories.iter().position(|c| c == p).unwrap_or(0) as f64
            };
            (x, *m)
        })
        .collect();
    Ok(Scatter {
        metric: metric.to_string(),
        param: param.to_string(),
        points,
        categories,
        runs: rows.len(),
    })
}
