//! The Train pane's key bindings: the form's and the feature picker's. Key handling and the help
//! overlay both read these tables.

use crossterm::event::KeyCode;

use crate::tui::keymap::{KeySpec, key_table};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrainCommand {
    Down,
    Up,
    Previous,
    Next,
    Edit,
    Toggle,
    Launch,
    Reset,
    Study,
}

key_table! {
    pub TRAIN_KEYS: TrainCommand = "train" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => TrainCommand::Down, "next field";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => TrainCommand::Up, "previous field";
        previous: [KeySpec::plain(KeyCode::Left), KeySpec::char('h')] => TrainCommand::Previous, "previous choice";
        next: [KeySpec::plain(KeyCode::Right), KeySpec::char('l')] => TrainCommand::Next, "next choice";
        edit: [KeySpec::char('e'), KeySpec::char('i')] => TrainCommand::Edit, "edit the field (Enter or Esc to finish)";
        toggle: [KeySpec::char(' ')] => TrainCommand::Toggle, "toggle; on Features, pick the columns";
        launch: [KeySpec::plain(KeyCode::Enter)] => TrainCommand::Launch, "launch the run";
        reset: [KeySpec::char('R')] => TrainCommand::Reset, "reset the form to the dataset's defaults";
        study: [KeySpec::char('S')] => TrainCommand::Study, "study: give each parameter the model tunes its search range (again: back to one run)";
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerCommand {
    Down,
    Up,
    Toggle,
    All,
    None,
    Close,
}

key_table! {
    pub PICKER_KEYS: PickerCommand = "train_features" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => PickerCommand::Down, "next column";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => PickerCommand::Up, "previous column";
        toggle: [KeySpec::char(' ')] => PickerCommand::Toggle, "use or drop the column";
        all: [KeySpec::char('a')] => PickerCommand::All, "use every column";
        none: [KeySpec::char('n')] => PickerCommand::None, "use no column";
        close: [KeySpec::plain(KeyCode::Esc), KeySpec::plain(KeyCode::Enter)] => PickerCommand::Close, "back to the form";
    }
}
