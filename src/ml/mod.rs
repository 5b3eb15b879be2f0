//! Models, training and evaluation. Core module: no screen code. So far: evaluation metrics
//! (`metrics`); features, splits, the model zoo and the training loop come with issue 4.

mod error;
pub mod metrics;

pub use error::MlError;
