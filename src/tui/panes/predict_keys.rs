//! The Predict pane's key bindings: the form's and the saved-forms list's. Key handling and the
//! help overlay both read these tables.

use crossterm::event::KeyCode;

use crate::tui::keymap::{Binding, KeySpec};

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

pub const PREDICT_KEYS: &[Binding<PredictCommand>] = &[
    Binding {
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        label: "j / ↓",
        desc: "next field",
        command: PredictCommand::Down,
    },
    Binding {
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        label: "k / ↑",
        desc: "previous field",
        command: PredictCommand::Up,
    },
    Binding {
        keys: &[KeySpec::char('g'), KeySpec::plain(KeyCode::Home)],
        label: "g / Home",
        desc: "the model row",
        command: PredictCommand::First,
    },
    Binding {
        keys: &[KeySpec::char('G'), KeySpec::plain(KeyCode::End)],
        label: "G / End",
        desc: "the last field",
        command: PredictCommand::Last,
    },
    Binding {
        keys: &[KeySpec::char('h'), KeySpec::plain(KeyCode::Left)],
        label: "h / ←",
        desc: "previous model, level or flag",
        command: PredictCommand::Previous,
    },
    Binding {
        keys: &[KeySpec::char('l'), KeySpec::plain(KeyCode::Right)],
        label: "l / →",
        desc: "next model, level or flag",
        command: PredictCommand::Next,
    },
    Binding {
        keys: &[KeySpec::char('e'), KeySpec::char('i')],
        label: "e / i",
        desc: "type the value (Esc ends, Enter ends and predicts)",
        command: PredictCommand::Edit,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Enter)],
        label: "Enter",
        desc: "predict, with the interval and the promotion what-if",
        command: PredictCommand::Predict,
    },
    Binding {
        keys: &[KeySpec::char('s')],
        label: "s",
        desc: "save the form under a name",
        command: PredictCommand::Save,
    },
    Binding {
        keys: &[KeySpec::char('o')],
        label: "o",
        desc: "open a saved form",
        command: PredictCommand::Saved,
    },
    Binding {
        keys: &[KeySpec::char('R')],
        label: "R",
        desc: "reset every field to a typical training value",
        command: PredictCommand::Reset,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavedCommand {
    Down,
    Up,
    Recall,
    Delete,
    Close,
}

pub const SAVED_KEYS: &[Binding<SavedCommand>] = &[
    Binding {
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        label: "j / ↓",
        desc: "next saved form",
        command: SavedCommand::Down,
    },
    Binding {
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        label: "k / ↑",
        desc: "previous saved form",
        command: SavedCommand::Up,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Enter)],
        label: "Enter",
        desc: "fill the form with it",
        command: SavedCommand::Recall,
    },
    Binding {
        keys: &[KeySpec::char('d')],
        label: "d",
        desc: "delete it (asks first)",
        command: SavedCommand::Delete,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Esc), KeySpec::char('o')],
        label: "Esc / o",
        desc: "back to the form",
        command: SavedCommand::Close,
    },
];
