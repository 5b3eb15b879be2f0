//! `shelfcast models`, `register`, `alias`, `archive`: the model registry from a script. A thin
//! face over `registry`.

use serde_json::{Value, json};

use crate::project::Project;
use crate::registry::{self, ModelRef};
use crate::store::RunId;

use super::train::metric_text;

/// The headline validation figure of a version's saved metrics, for listings.
fn headline(metrics_json: &str) -> Option<(String, f64)> {
    let metrics: crate::ml::artifact::MetricsFile = serde_json::from_str(metrics_json).ok()?;
    let (name, value) = metrics.validation.headline();
    Some((name.to_string(), value))
}

pub fn list(project: &Project, json: bool) -> anyhow::Result<()> {
    let (mut store, read_only) = project.open_store_for_reading()?;
    if read_only.is_none() {
        for line in registry::recover_all(project, &mut store)? {
            say_err!("{line}");
        }
    }
    let versions = store.model_versions(None)?;
    if json {
        let mut models: Vec<Value> = Vec::new();
        let mut names: Vec<&str> = versions.iter().map(|v| v.model_name.as_str()).collect();
        names.dedup();
        for name in names {
            let of_model: Vec<Value> = versions
                .iter()
                .filter(|v| v.model_name == name)
                .map(|v| {
                    json!({
                        "version": v.version,
                        "run_id": v.run_id,
                        "status": v.status,
                        "aliases": v.aliases,
                        "created_at": v.created_at,
                        "artifact_path": v.artifact_path,
                        "dataset_id": v.dataset_id,
                        "metrics": serde_json::from_str::<Value>(&v.metrics_json).unwrap_or(Value::Null),
                    })
                })
                .collect();
            models.push(json!({
                "model": name,
                "versions": of_model,
                "alias_history": store.alias_history(name)?,
            }));
        }
        say!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(());
    }
    if versions.is_empty() {
        say!("no registered model yet: shelfcast register RUN --model NAME");
        return Ok(());
    }
    say!(
        "{:<20} {:>7}  {:<22} {:>6}  {:<9} {:<18} created",
        "model",
        "version",
        "aliases",
        "run",
        "status",
        "metric"
    );
    for v in &versions {
        let metric = headline(&v.metrics_json).map_or("-".to_string(), |(k, value)| {
            format!("{k} {}", metric_text(value))
        });
        say!(
            "{:<20} {:>7}  {:<22} {:>6}  {:<9} {:<18} {}",
            v.model_name,
            v.version,
            v.aliases.join(","),
            v.run_id,
            v.status,
            metric,
            v.created_at
                .get(..19)
                .unwrap_or(&v.created_at)
                .replace('T', " ")
        );
    }
    Ok(())
}

pub fn register(
    project: &Project,
    run: RunId,
    model: &str,
    alias: Option<&str>,
    description: Option<&str>,
) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    if registry::check_name(model).is_ok() {
        for line in registry::recover_model_folders(project, &mut store, model)? {
            say_err!("{line}");
        }
    }
    let version = registry::register_run(project, &mut store, run, model, alias, description)?;
    say!(
        "registered run {run} as {model} version {}{} ({})",
        version.version,
        if version.aliases.is_empty() {
            String::new()
        } else {
            format!(" [{}]", version.aliases.join(", "))
        },
        version.artifact_path
    );
    Ok(())
}

pub fn alias(
    project: &Project,
    model: &str,
    alias: &str,
    version: i64,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    let reason = reason.unwrap_or("moved from the command line");
    let previous = registry::set_alias(&mut store, model, alias, version, reason)?;
    match previous {
        Some(previous) if previous != version => {
            say!("{model}@{alias}: version {previous} → {version} ({reason})")
        }
        Some(_) => say!("{model}@{alias} already was version {version}"),
        None => say!("{model}@{alias} is now version {version} ({reason})"),
    }
    Ok(())
}

pub fn archive(project: &Project, model: &str, version: i64) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    registry::archive(&mut store, model, version)?;
    say!("{model} version {version} archived");
    Ok(())
}

/// Loads a version with its checksums checked, and says what it is: a quick integrity check.
pub fn check(project: &Project, reference: &str) -> anyhow::Result<()> {
    let store = project.open_store()?;
    let reference = ModelRef::parse(reference)?;
    let (version, loaded) = registry::load_version(project, &store, &reference)?;
    say!(
        "{reference}: version {} of {}, {} model on {} inputs predicting {} ({}); {} files, \
         every checksum matches",
        version.version,
        version.model_name,
        loaded.manifest.model_kind,
        loaded.signature.inputs.len(),
        loaded.signature.target,
        loaded.signature.task.as_str().replace('_', " "),
        loaded.manifest.files.len()
    );
    Ok(())
}
