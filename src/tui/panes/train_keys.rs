//! The Train pane's key bindings: the form's and the feature picker's. Key handling and the help
//! overlay both read these tables.

use crossterm::event::KeyCode;

use crate::tui::keymap::{Binding, KeySpec};

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

pub const TRAIN_KEYS: &[Binding<TrainCommand>] = &[
    Binding {
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        label: "j / ↓",
        desc: "next field",
        command: TrainCommand::Down,
    },
    Binding {
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        label: "k / ↑",
        desc: "previous field",
        command: TrainCommand::Up,
    },
    Binding {
        keys: &[KeySpec::char('h'), KeySpec::plain(KeyCode::Left)],
        label: "h / ←",
        desc: "previous choice",
        command: TrainCommand::Previous,
    },
    Binding {
        keys: &[KeySpec::char('l'), KeySpec::plain(KeyCode::Right)],
        label: "l / →",
        desc: "next choice",
        command: TrainCommand::Next,
    },
    Binding {
        keys: &[KeySpec::char('e'), KeySpec::char('i')],
        label: "e / i",
        desc: "edit the field (Enter or Esc to finish)",
        command: TrainCommand::Edit,
    },
    Binding {
        keys: &[KeySpec::char(' ')],
        label: "Space",
        desc: "toggle; on Features, pick the columns",
        command: TrainCommand::Toggle,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Enter)],
        label: "Enter",
        desc: "launch the run",
        command: TrainCommand::Launch,
    },
    Binding {
        keys: &[KeySpec::char('R')],
        label: "R",
        desc: "reset the form to the dataset's defaults",
        command: TrainCommand::Reset,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerCommand {
    Down,
    Up,
    Toggle,
    All,
    None,
    Close,
}

pub const PICKER_KEYS: &[Binding<PickerCommand>] = &[
    Binding {
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        label: "j / ↓",
        desc: "next column",
        command: PickerCommand::Down,
    },
    Binding {
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        label: "k / ↑",
        desc: "previous column",
        command: PickerCommand::Up,
    },
    Binding {
        keys: &[KeySpec::char(' ')],
        label: "Space",
        desc: "use or drop the column",
        command: PickerCommand::Toggle,
    },
    Binding {
        keys: &[KeySpec::char('a')],
        label: "a",
        desc: "use every column",
        command: PickerCommand::All,
    },
    Binding {
        keys: &[KeySpec::char('n')],
        label: "n",
        desc: "use no column",
        command: PickerCommand::None,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Esc), KeySpec::plain(KeyCode::Enter)],
        label: "Esc / Enter",
        desc: "back to the form",
        command: PickerCommand::Close,
    },
];
