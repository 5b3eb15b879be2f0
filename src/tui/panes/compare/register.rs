//! Registering from the Compare tab: `r` offers the best of the compared runs by the headline
//! metric (rmse, or ROC AUC for classification) and asks for the model's name; Tab offers the
//! next compared run instead. The registry does the work (`Action::Write`), as from the Runs tab
//! and the CLI.

use crossterm::event::{KeyCode, KeyEvent};

use crate::compare::Comparison;
use crate::store::RunId;
use crate::tui::keymap::{Binding, KeySpec, KeyTable, Keymap};
use crate::tui::widgets::text_input::{INPUT_KEYS, InputCommand, InputOutcome, TextInput};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterCommand {
    NextRun,
}

/// The prompt's own key beside the text input's.
pub const REGISTER_KEYS: KeyTable<RegisterCommand> = KeyTable {
    section: "compare_register",
    bindings: &[Binding {
        name: "next_run",
        keys: &[KeySpec::plain(KeyCode::Tab)],
        desc: "offer the next compared run instead",
        command: RegisterCommand::NextRun,
    }],
};

/// The prompt while it is open: which compared run, and the name typed so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterPrompt {
    pub run: usize,
    pub name: TextInput,
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
            name: TextInput::default().with_limit(64),
            why: format!("best {key}"),
        },
        None => RegisterPrompt {
            run: 0,
            name: TextInput::default().with_limit(64),
            why: String::new(),
        },
    }
}

pub fn prompt_key(
    mut prompt: RegisterPrompt,
    key: &KeyEvent,
    comparison: &Comparison,
    keys: &Keymap,
) -> PromptOutcome {
    match prompt.name.handle_key(key, keys) {
        InputOutcome::Cancelled => return PromptOutcome::Cancelled,
        InputOutcome::Accepted => {
            if let Some(run) = comparison.runs.get(prompt.run)
                && !prompt.name.text().trim().is_empty()
            {
                return PromptOutcome::Register(run.id, prompt.name.text().trim().to_string());
            }
        }
        InputOutcome::Ignored
            if keys.lookup(&REGISTER_KEYS, key) == Some(RegisterCommand::NextRun) =>
        {
            prompt.run = (prompt.run + 1) % comparison.runs.len().max(1);
            prompt.why.clear();
        }
        InputOutcome::Edited | InputOutcome::Ignored => {}
    }
    PromptOutcome::Open(prompt)
}

/// The prompt's line for the message area.
pub fn prompt_text(prompt: &RegisterPrompt, comparison: &Comparison, keys: &Keymap) -> String {
    let run = comparison.runs.get(prompt.run).map_or(0, |r| r.id);
    let why = if prompt.why.is_empty() {
        String::new()
    } else {
        format!(" ({})", prompt.why)
    };
    format!(
        "register run {run}{why} as a version of model: {}   {} another run · {}",
        prompt.name.with_cursor(),
        keys.key_for(&REGISTER_KEYS, RegisterCommand::NextRun),
        keys.hint(
            &INPUT_KEYS,
            &[(InputCommand::Accept, "registers"), (InputCommand::Cancel, "cancels")]
        )
    )
}

