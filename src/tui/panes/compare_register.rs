//! Registering from the Compare tab: `r` offers the best of the compared runs by the headline
//! metric (rmse, or ROC AUC for classification) and asks for the model's name; Tab offers the
//! next compared run instead. The registry does the work, as from the Runs tab and the CLI.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::compare::Comparison;
use crate::project::Project;
use crate::registry::register_run;
use crate::store::{RunId, RunStore};

/// The prompt while it is open: which compared run, and the name typed so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterPrompt {
    pub run: usize,
    pub name: String,
    /// Why this run is offered ("best rmse"), shown beside it.
    pub why: String,
}

/// What a key in the prompt leads to.
pub enum PromptOutcome {
    Open(RegisterPrompt),
    Cancelled,
    Register(RunId, String),
}

/// The prompt for `comparison`: the run best by the headline metric first.
pub fn open_prompt(comparison: &Comparison) -> RegisterPrompt {
    let headline = comparison
        .metrics
        .iter()
        .find(|m| m.key == "rmse" || m.key == "roc_auc")
        .and_then(|m| m.best_run.map(|run| (run, m.key.clone())));
    match headline {
        Some((run, key)) => RegisterPrompt {
            run,
            name: String::new(),
            why: format!("best {key}"),
        },
        None => RegisterPrompt {
            run: 0,
            name: String::new(),
            why: String::new(),
        },
    }
}

pub fn prompt_key(
    mut prompt: RegisterPrompt,
    key: &KeyEvent,
    comparison: &Comparison,
) -> PromptOutcome {
    match key.code {
        KeyCode::Esc => return PromptOutcome::Cancelled,
        KeyCode::Enter => {
            if let Some(run) = comparison.runs.get(prompt.run)
                && !prompt.name.trim().is_empty()
            {
                return PromptOutcome::Register(run.id, prompt.name.trim().to_string());
            }
        }
        KeyCode::Tab => {
            prompt.run = (prompt.run + 1) % comparison.runs.len().max(1);
            prompt.why.clear();
        }
        KeyCode::Backspace => {
            prompt.name.pop();
        }
        KeyCode::Char(c)
            if !key.modifiers.contains(KeyModifiers::CONTROL)
                && prompt.name.chars().count() < 64 =>
        {
            prompt.name.push(c);
        }
        _ => {}
    }
    PromptOutcome::Open(prompt)
}

/// The prompt's line for the message area.
pub fn prompt_text(prompt: &RegisterPrompt, comparison: &Comparison) -> String {
    let run = comparison.runs.get(prompt.run).map_or(0, |r| r.id);
    let why = if prompt.why.is_empty() {
        String::new()
    } else {
        format!(" ({})", prompt.why)
    };
    format!(
        "register run {run}{why} as a version of model: {}▏   Tab another run · Enter · Esc",
        prompt.name
    )
}

/// Registers `run` as the next version of `model`; the message for the tab.
pub fn register(project: &Project, store: &mut RunStore, run: RunId, model: &str) -> String {
    match register_run(project, store, run, model, None, None) {
        Ok(version) => format!(
            "run {run} is {model} version {} (Models tab: 5)",
            version.version
        ),
        Err(e) => format!("not registered: {e}"),
    }
}
