//! Models, training and evaluation. Core module: no screen code. So far: evaluation metrics
//! (`metrics`), train/validation splits (`split`) and the feature pipeline (`features`); the model zoo and the training loop come with issue 4.

mod error;
pub mod features;
pub mod metrics;
pub mod split;

pub use error::MlError;
