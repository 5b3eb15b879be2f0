//! The Predict pane's key bindings: the form's and the saved-forms list's. Key handling and the
//! help overlay both read these tables.

use crossterm::event::KeyCode;

use crate::tui::keymap::{KeySpec, key_table};

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

key_table! {
    pub PREDICT_KEYS: PredictCommand = "predict" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => PredictCommand::Down, "next field";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => PredictCommand::Up, "previous field";
        first: [KeySpec::char('g'), KeySpec::plain(KeyCode::Home)] => PredictCommand::First, "the model row";
        last: [KeySpec::char('G'), KeySpec::plain(KeyCode::End)] => PredictCommand::Last, "the last field";
        previous: [KeySpec::plain(KeyCode::Left), KeySpec::char('h')] => PredictCommand::Previous, "previous model, level or flag";
        next: [KeySpec::plain(KeyCode::Right), KeySpec::char('l')] => PredictCommand::Next, "next model, level or flag";
        edit: [KeySpec::char('e'), KeySpec::char('i')] => PredictCommand::Edit, "type the value (Esc ends, Enter ends and predicts)";
        predict: [KeySpec::plain(KeyCode::Enter)] => PredictCommand::Predict, "predict, with the interval and the promotion what-if";
        save: [KeySpec::char('s')] => PredictCommand::Save, "save the form under a name";
        saved: [KeySpec::char('o')] => PredictCommand::Saved, "open a saved form";
        reset: [KeySpec::char('R')] => PredictCommand::Reset, "reset every field to a typical training value";
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavedCommand {
    Down,
    Up,
    Recall,
    Delete,
    Close,
}

key_table! {
    pub SAVED_KEYS: SavedCommand = "saved_forms" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => SavedCommand::Down, "next saved form";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => SavedCommand::Up, "previous saved form";
        recall: [KeySpec::plain(KeyCode::Enter)] => SavedCommand::Recall, "fill the form with it";
        delete: [KeySpec::char('d')] => SavedCommand::Delete, "delete it (asks first)";
        close: [KeySpec::plain(KeyCode::Esc), KeySpec::char('o')] => SavedCommand::Close, "back to the form";
    }
}
