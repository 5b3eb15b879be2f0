//! The Train pane's key bindings: the form's and the feature picker's. Key handling and the help
//! overlay both read these tables.

use crossterm::event::KeyCode;

use crate::tui::keymap::{Binding, KeySpec, KeyTable};

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
}

pub const TRAIN_KEYS: KeyTable<TrainCommand> = KeyTable {
    section: "train",
    bindings: &[
    Binding {
        name: "down",
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        desc: "next field",
        command: TrainCommand::Down,
    },
    Binding {
        name: "up",
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        desc: "previous field",
        command: TrainCommand::Up,
    },
    Binding {
        name: "previous",
        keys: &[KeySpec::plain(KeyCode::Left), KeySpec::char('h')],
        desc: "previous choice",
        command: TrainCommand::Previous,
    },
    Binding {
        name: "next",
        keys: &[KeySpec::plain(KeyCode::Right), KeySpec::char('l')],
        desc: "next choice",
        command: TrainCommand::Next,
    },
    Binding {
        name: "edit",
        keys: &[KeySpec::char('e'), KeySpec::char('i')],
        desc: "edit the field (Enter or Esc to finish)",
        command: TrainCommand::Edit,
    },
    Binding {
        name: "toggle",
        keys: &[KeySpec::char(' ')],
        desc: "toggle; on Features, pick the columns",
        command: TrainCommand::Toggle,
    },
    Binding {
        name: "launch",
        keys: &[KeySpec::plain(KeyCode::Enter)],
        desc: "launch the run",
        command: TrainCommand::Launch,
    },
    Binding {
        name: "reset",
        keys: &[KeySpec::char('R')],
        desc: "reset the form to the dataset's defaults",
        command: TrainCommand::Reset,
    },
    ],
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerCommand {
    Down,
    Up,
    Toggle,
    All,
    None,
    Close,
}

pub const PICKER_KEYS: KeyTable<PickerCommand> = KeyTable {
    section: "train_features",
    bindings: &[
    Binding {
        name: "down",
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        desc: "next column",
        command: PickerCommand::Down,
    },
    Binding {
        name: "up",
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        desc: "previous column",
        command: PickerCommand::Up,
    },
    Binding {
        name: "toggle",
        keys: &[KeySpec::char(' ')],
        desc: "use or drop the column",
        command: PickerCommand::Toggle,
    },
    Binding {
        name: "all",
        keys: &[KeySpec::char('a')],
        desc: "use every column",
        command: PickerCommand::All,
    },
    Binding {
        name: "none",
        keys: &[KeySpec::char('n')],
        desc: "use no column",
        command: PickerCommand::None,
    },
    Binding {
        name: "close",
        keys: &[KeySpec::plain(KeyCode::Esc), KeySpec::plain(KeyCode::Enter)],
        desc: "back to the form",
        command: PickerCommand::Close,
    },
    ],
};
