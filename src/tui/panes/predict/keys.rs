//! The Predict pane's key bindings: the form's and the saved-forms list's. Key handling and the
//! help overlay both read these tables.

use crossterm::event::KeyCode;

use crate::tui::keymap::{Binding, KeySpec, KeyTable};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PredictCommand {
    Down,
    Up,
    First,
    Last,
    Previous,
    Next,
    Edit,
    Predict,
    Save,
    Saved,
    Reset,
}

pub const PREDICT_KEYS: KeyTable<PredictCommand> = KeyTable {
    section: "predict",
    bindings: &[
    Binding {
        name: "down",
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        desc: "next field",
        command: PredictCommand::Down,
    },
    Binding {
        name: "up",
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        desc: "previous field",
        command: PredictCommand::Up,
    },
    Binding {
        name: "first",
        keys: &[KeySpec::char('g'), KeySpec::plain(KeyCode::Home)],
        desc: "the model row",
        command: PredictCommand::First,
    },
    Binding {
        name: "last",
        keys: &[KeySpec::char('G'), KeySpec::plain(KeyCode::End)],
        desc: "the last field",
        command: PredictCommand::Last,
    },
    Binding {
        name: "previous",
        keys: &[KeySpec::plain(KeyCode::Left), KeySpec::char('h')],
        desc: "previous model, level or flag",
        command: PredictCommand::Previous,
    },
    Binding {
        name: "next",
        keys: &[KeySpec::plain(KeyCode::Right), KeySpec::char('l')],
        desc: "next model, level or flag",
        command: PredictCommand::Next,
    },
    Binding {
        name: "edit",
        keys: &[KeySpec::char('e'), KeySpec::char('i')],
        desc: "type the value (Esc ends, Enter ends and predicts)",
        command: PredictCommand::Edit,
    },
    Binding {
        name: "predict",
        keys: &[KeySpec::plain(KeyCode::Enter)],
        desc: "predict, with the interval and the promotion what-if",
        command: PredictCommand::Predict,
    },
    Binding {
        name: "save",
        keys: &[KeySpec::char('s')],
        desc: "save the form under a name",
        command: PredictCommand::Save,
    },
    Binding {
        name: "saved",
        keys: &[KeySpec::char('o')],
        desc: "open a saved form",
        command: PredictCommand::Saved,
    },
    Binding {
        name: "reset",
        keys: &[KeySpec::char('R')],
        desc: "reset every field to a typical training value",
        command: PredictCommand::Reset,
    },
    ],
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavedCommand {
    Down,
    Up,
    Recall,
    Delete,
    Close,
}

pub const SAVED_KEYS: KeyTable<SavedCommand> = KeyTable {
    section: "saved_forms",
    bindings: &[
    Binding {
        name: "down",
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        desc: "next saved form",
        command: SavedCommand::Down,
    },
    Binding {
        name: "up",
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        desc: "previous saved form",
        command: SavedCommand::Up,
    },
    Binding {
        name: "recall",
        keys: &[KeySpec::plain(KeyCode::Enter)],
        desc: "fill the form with it",
        command: SavedCommand::Recall,
    },
    Binding {
        name: "delete",
        keys: &[KeySpec::char('d')],
        desc: "delete it (asks first)",
        command: SavedCommand::Delete,
    },
    Binding {
        name: "close",
        keys: &[KeySpec::plain(KeyCode::Esc), KeySpec::char('o')],
        desc: "back to the form",
        command: SavedCommand::Close,
    },
    ],
};
