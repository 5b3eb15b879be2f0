//! Models, training and evaluation. Core module: no screen code. So far: evaluation metrics
//! (`metrics`) and train/validation splits (`split`); features, the model zoo and the training loop come with issue 4.

mod error;
pub mod metrics;
pub mod split;

pub use error::MlError;
