//! The one confirmation every destructive or registry-moving key goes through: a question with
//! what it would do, answered by the `yes` key (`y` unless keys.toml says otherwise) or by any
//! other key, which changes nothing.

use crossterm::event::{KeyCode, KeyEvent};

use crate::tui::keymap::{Binding, KeySpec, KeyTable, Keymap};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmCommand {
    Yes,
}

pub const CONFIRM_KEYS: KeyTable<ConfirmCommand> = KeyTable {
    section: "confirm",
    bindings: &[Binding {
        name: "yes",
        keys: &[KeySpec::char('y')],
        desc: "yes, do it (any other key: no)",
        command: ConfirmCommand::Yes,
    }],
};

/// A question waiting for its answer, with what a yes does.
#[derive(Clone, Debug, PartialEq)]
pub struct Confirm<T> {
    pub question: String,
    pub on_yes: T,
}

impl<T> Confirm<T> {
    pub fn new(question: impl Into<String>, on_yes: T) -> Self {
        Self {
            question: question.into(),
            on_yes,
        }
    }

    /// The question (ending in its question mark) with its answers, from the live keys:
    /// `cancel run 3 (x)? y / any key`.
    pub fn prompt(&self, keys: &Keymap) -> String {
        format!(
            "{} {} / any key",
            self.question,
            keys.key_for(&CONFIRM_KEYS, ConfirmCommand::Yes)
        )
    }

    /// `Some(on_yes)` for the yes key, `None` (nothing happens) for any other.
    pub fn answer(self, key: &KeyEvent, keys: &Keymap) -> Option<T> {
        // A bare modifier or a resize is not an answer; every real key is.
        if matches!(key.code, KeyCode::Modifier(_)) {
            return None;
        }
        (keys.lookup(&CONFIRM_KEYS, key) == Some(ConfirmCommand::Yes)).then_some(self.on_yes)
    }
}
