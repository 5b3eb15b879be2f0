//! Performance when the actuals arrive: actuals matched to what a model predicted (`actuals`),
//! scores per period, version, step and segment beside a reference band from the model's own
//! validation, with alerts (`score`, `report`), and the standalone HTML report (`html`). Core:
//! the CLI, the TUI and the daemon's monitor job call these functions.

pub mod actuals;
pub mod forecast_score;
pub mod html;
pub mod report;
pub mod score;

use crate::project::Project;
use crate::store::RunStore;

pub use report::{MonitorReport, MonitorRequest};

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Artifact(#[from] crate::ml::artifact::ArtifactError),
}

/// Monitors `request.model`: its scored pairs, and the reference band from the validation rows of
/// the newest version that has scored pairs (the newest version when none has).
pub fn monitor(
    project: &Project,
    store: &RunStore,
    request: &MonitorRequest,
) -> Result<MonitorReport, MonitorError> {
    let newest = crate::registry::resolve(
        store,
        &crate::registry::ModelRef::Latest(request.model.clone()),
    )?;
    let pairs = store.scored_pairs(&request.model, request.since.as_deref())?;
    let version_number = request.version.unwrap_or_else(|| {
        pairs
            .iter()
            .map(|p| p.version)
            .max()
            .unwrap_or(newest.version)
    });
    let version = store
        .model_version(&request.model, version_number)?
        .unwrap_or(newest);
    let signature: crate::ml::signature::Signature = serde_json::from_str(&version.signature_json)
        .map_err(|e| {
            MonitorError::Input(format!(
                "model {}'s signature does not read: {e}",
                request.model
            ))
        })?;
    let keys = signature
        .derived
        .as_ref()
        .map(|l| l.groups.clone())
        .unwrap_or_default();
    let dir = project.root.join(&version.artifact_path);
    let manifest = crate::ml::artifact::verify_bundle(&dir)?;
    let reference = crate::ml::validation_rows::load_validation(&dir, &manifest)?;
    report::build_report(request, &keys, &pairs, reference.as_deref())
}

/// The series key (its values joined by '|', as forecasts record them) and the target date of a
/// record of a lag model, so a logged prediction can be scored when the actuals arrive; `None`
/// for a model without lags or a record without its keys and date.
pub fn series_of_record(
    signature: &crate::ml::signature::Signature,
    record: &serde_json::Map<String, serde_json::Value>,
) -> Option<(String, String)> {
    let lags = signature.derived.as_ref()?;
    let text = |value: &serde_json::Value| match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let keys: Option<Vec<String>> = lags
        .groups
        .iter()
        .map(|g| record.get(g).and_then(text))
        .collect();
    let date = record.get(&lags.date).and_then(text)?;
    let day = chrono::NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d").ok()?;
    Some((keys?.join("|"), day.format("%Y-%m-%d").to_string()))
}
