//! Models, training and evaluation. Core module: no screen code. So far: evaluation metrics
//! (`metrics`), train/validation splits (`split`) the feature pipeline (`features`) and lag / rolling
//! features by group (`lags`); the model zoo and the training loop come with issue 4.

mod error;
pub mod features;
mod frame;
pub mod gbdt;
pub mod lags;
pub mod linear;
pub mod metrics;
pub mod split;

pub use error::MlError;
