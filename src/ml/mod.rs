//! Models, training and evaluation. Core module: no screen code.
//!
//! - `features`, `lags`, `split`: from a frame to train / validation matrices, without leakage;
//! - `models`: the model zoo behind one trait (`gbdt`, `linear`, `forest` are the backends);
//! - `metrics`: evaluation; `signature`: what a model expects as input;
//! - `train`: a whole training job from a spec, emitting step events; `artifact`: saving and
//!   loading a trained model with checksums.

pub mod artifact;
pub mod backtest;
pub mod baseline;
mod baseline_prep;
pub mod boost;
pub mod conform;
pub mod conformal;
pub mod encode;
mod error;
pub mod evaluation;
pub mod features;
pub mod forecast;
pub mod forecast_future;
pub mod forecast_view;
pub mod forest;
mod frame;
pub mod gbdt;
pub mod history;
pub mod lags;
pub mod linear;
pub mod lookup;
pub mod lookup_table;
pub mod metrics;
mod model_impls;
pub mod models;
pub mod params;
pub mod predict;
mod predict_direct;
mod prepared;
pub mod record_json;
pub mod signature;
pub mod spec_check;
pub mod split;
pub mod train;
pub mod validation_rows;
pub mod whatif;

pub use error::MlError;
