//! Each backend's fitted model behind the `Model` trait: gradient boosting (ml::boost), linear
//! models and trees (smartcore), and the forecasting baselines. Split from `models` so the zoo's
//! kinds and specs and the backends' adapters each stay one screenful.

use serde::{Deserialize, Serialize};

use super::MlError;
use super::baseline::{BaselineKind, BaselineModel};
use super::features::Matrix;
use super::forest::ForestModel;
use super::gbdt::GbdtModel;
use super::linear::{LinearKind, LinearModel};
use super::models::{Model, ModelKind};

impl Model for GbdtModel {
    fn kind(&self) -> ModelKind {
        ModelKind::Gbdt
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError> {
        GbdtModel::predict(self, x)
    }
    fn importance(&self) -> Vec<(String, f64)> {
        GbdtModel::importance(self)
    }
    fn importance_kind(&self) -> &'static str {
        "total gain"
    }
    fn encode(&self) -> Result<(&'static str, Vec<u8>), MlError> {
        GbdtModel::encode(self)
    }
    fn take_fitted(&mut self) -> Option<(Vec<f64>, Option<Vec<f64>>)> {
        GbdtModel::take_fitted(self)
    }
}

fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, MlError> {
    serde_json::to_vec(value).map_err(|e| MlError::Model(format!("saving the model: {e}")))
}

pub(super) fn from_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, MlError> {
    serde_json::from_slice(bytes).map_err(|e| MlError::Model(format!("reading the model: {e}")))
}

impl Model for LinearModel {
    fn kind(&self) -> ModelKind {
        match self.params.kind {
            LinearKind::Linear => ModelKind::Linear,
            LinearKind::Ridge => ModelKind::Ridge,
            LinearKind::Lasso => ModelKind::Lasso,
            LinearKind::ElasticNet => ModelKind::ElasticNet,
            LinearKind::Logistic => ModelKind::Logistic,
        }
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError> {
        LinearModel::predict(self, x)
    }
    fn importance(&self) -> Vec<(String, f64)> {
        LinearModel::importance(self)
    }
    fn importance_kind(&self) -> &'static str {
        "|coefficient| on standardised features"
    }
    fn encode(&self) -> Result<(&'static str, Vec<u8>), MlError> {
        Ok(("model.json", json_bytes(self)?))
    }
}

impl Model for ForestModel {
    fn kind(&self) -> ModelKind {
        if self.forest {
            ModelKind::RandomForest
        } else {
            ModelKind::DecisionTree
        }
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError> {
        ForestModel::predict(self, x)
    }
    fn importance(&self) -> Vec<(String, f64)> {
        ForestModel::importance(self)
    }
    fn importance_kind(&self) -> &'static str {
        "impurity decrease"
    }
    fn encode(&self) -> Result<(&'static str, Vec<u8>), MlError> {
        Ok(("model.json", json_bytes(self)?))
    }
}

impl Model for BaselineModel {
    fn kind(&self) -> ModelKind {
        match self.kind {
            BaselineKind::Naive => ModelKind::Naive,
            BaselineKind::SeasonalNaive => ModelKind::SeasonalNaive,
            BaselineKind::WindowAverage => ModelKind::WindowAverage,
            BaselineKind::SeriesMean => ModelKind::SeriesMean,
        }
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError> {
        BaselineModel::predict(self, x)
    }
    fn importance(&self) -> Vec<(String, f64)> {
        vec![(self.column.clone(), 1.0)]
    }
    fn importance_kind(&self) -> &'static str {
        "what it repeats: a past value, or a mean of past values"
    }
    fn encode(&self) -> Result<(&'static str, Vec<u8>), MlError> {
        Ok(("model.json", json_bytes(self)?))
    }
}
