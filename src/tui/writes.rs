//! The store writes the panes ask for (`Action::Write`), applied by the App, which owns the
//! connection: each through the same core call the CLI makes (the registry for aliases and
//! registering), answered with the line the pane shows.

use super::action::StoreWrite;
use crate::project::Project;
use crate::registry;
use crate::store::RunStore;

/// Applies `write`; the message for the pane (an error is user-facing text too).
pub fn apply(
    write: &StoreWrite,
    project: &Project,
    store: &mut RunStore,
) -> Result<String, String> {
    let failed = |e: &dyn std::fmt::Display| format!("could not change the store: {e}");
    match write {
        StoreWrite::CancelRun(id) => crate::jobs::slurm::cancel_run(store, *id)
            .map(|()| format!("asked run {id} to stop; it stops at its next step"))
            .map_err(|e| failed(&e)),
        StoreWrite::DeleteRuns(ids) => ids
            .iter()
            .try_for_each(|id| store.delete_run(*id))
            .map(|()| format!("deleted run(s) {ids:?}; `shelfcast restore ID` brings one back"))
            .map_err(|e| failed(&e)),
        StoreWrite::RenameRun(id, name) => store
            .rename_run(*id, name)
            .map(|()| format!("run {id} is now '{name}'"))
            .map_err(|e| failed(&e)),
        StoreWrite::TagRun(id, key, value) => store
            .set_tags(*id, &[(key.as_str(), value.as_str())])
            .map(|()| format!("run {id}: {key} = {value}"))
            .map_err(|e| failed(&e)),
        StoreWrite::NoteRun(id, text) => store
            .set_note(*id, (!text.is_empty()).then_some(text.as_str()))
            .map(|()| format!("run {id}: note saved"))
            .map_err(|e| failed(&e)),
        StoreWrite::PauseSchedule(name, paused) => store
            .set_schedule_paused(name, *paused, chrono::Utc::now().timestamp_millis())
            .map(|skipped| {
                if *paused {
                    format!(
                        "paused {name}{}",
                        crate::schedule::skipped_queued_text(skipped)
                    )
                } else {
                    format!("resumed {name}")
                }
            })
            .map_err(|e| failed(&e)),
        StoreWrite::RemoveSchedule(name) => store
            .remove_schedule(name)
            .map(|()| format!("removed {name}; its job runs stay in the history"))
            .map_err(|e| failed(&e)),
        StoreWrite::RunScheduleNow(name) => {
            let now = chrono::Utc::now().timestamp_millis();
            crate::schedule::tick::queue_now(store, name, None, now)
                .map(|id| format!("job run {id} of {name} queued"))
                .map_err(|e| failed(&e))
        }
        StoreWrite::RetryJobRun(id) => {
            let now = chrono::Utc::now().timestamp_millis();
            crate::schedule::tick::retry_now(store, *id, now)
                .map(|new| format!("job run {id} queued again as job run {new}"))
                .map_err(|e| failed(&e))
        }
        StoreWrite::Register { run, model } => {
            registry::register_run(project, store, *run, model, None, None)
                .map(|version| {
                    format!(
                        "run {run} is {model} version {} (Models tab: 5)",
                        version.version
                    )
                })
                .map_err(|e| format!("not registered: {e}"))
        }
        StoreWrite::SetAlias {
            model,
            alias,
            version,
            reason,
        } => registry::set_alias(store, model, alias, *version, reason)
            .map(|previous| {
                format!(
                    "{model}@{alias}: {} → version {version} ({reason})",
                    previous.map_or("none".to_string(), |p| format!("version {p}"))
                )
            })
            .map_err(|e| e.to_string()),
        StoreWrite::Archive { model, version } => registry::archive(store, model, *version)
            .map(|()| format!("{model} version {version} archived"))
            .map_err(|e| e.to_string()),
        StoreWrite::SaveForm {
            model,
            name,
            record,
        } => store
            .save_form(model, name, record)
            .map(|()| format!("form '{name}' saved for {model}"))
            .map_err(|e| format!("saving the form: {e}")),
        StoreWrite::LogPrediction { version_id, row } => store
            .log_predictions(*version_id, std::slice::from_ref(row))
            .map(|()| {
                format!(
                    "predicted; logged for {} on {}, to score when the actuals arrive",
                    row.series_key.as_deref().unwrap_or("-"),
                    row.target_date.as_deref().unwrap_or("-")
                )
            })
            .map_err(|e| format!("logging the prediction: {e}")),
        StoreWrite::DeleteForm { model, name } => store
            .delete_form(model, name)
            .map(|_| format!("form '{name}' deleted"))
            .map_err(|e| format!("deleting the form: {e}")),
    }
}
