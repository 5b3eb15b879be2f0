//! Key bindings as data: each binding has its keys, the label shown for them and a description.
//! Key matching and the help overlay read the same tables, so help can never drift from
//! behaviour.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl KeySpec {
    pub const fn plain(code: KeyCode) -> Self {
        Self { code, ctrl: false }
    }

    pub const fn char(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    pub fn matches(&self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl != self.ctrl {
            return false;
        }
        match (self.code, key.code) {
            // Shift+Tab arrives as BackTab on most terminals.
            (KeyCode::BackTab, KeyCode::BackTab) => true,
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b,
            (a, b) => a == b,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Binding<C: Copy> {
    pub keys: &'static [KeySpec],
    pub label: &'static str,
    pub desc: &'static str,
    pub command: C,
}

/// A line of the help overlay or the footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHelp {
    pub keys: &'static str,
    pub desc: &'static str,
}

pub fn lookup<C: Copy>(bindings: &[Binding<C>], key: &KeyEvent) -> Option<C> {
    bindings
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(key)))
        .map(|b| b.command)
}

pub fn help_of<C: Copy>(bindings: &[Binding<C>]) -> Vec<KeyHelp> {
    bindings
        .iter()
        .map(|b| KeyHelp {
            keys: b.label,
            desc: b.desc,
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalCommand {
    Quit,
    ToggleHelp,
    CloseOverlay,
    /// Show the tab at this index.
    Tab(usize),
}

pub const GLOBAL_KEYS: &[Binding<GlobalCommand>] = &[
    Binding {
        keys: &[KeySpec::char('1')],
        label: "1",
        desc: "Datasets",
        command: GlobalCommand::Tab(0),
    },
    Binding {
        keys: &[KeySpec::char('2')],
        label: "2",
        desc: "Train a model",
        command: GlobalCommand::Tab(1),
    },
    Binding {
        keys: &[KeySpec::char('3')],
        label: "3",
        desc: "Runs",
        command: GlobalCommand::Tab(2),
    },
    Binding {
        keys: &[KeySpec::char('4')],
        label: "4",
        desc: "Compare the marked runs",
        command: GlobalCommand::Tab(3),
    },
    Binding {
        keys: &[KeySpec::char('5')],
        label: "5",
        desc: "Models: versions, champion and challenger",
        command: GlobalCommand::Tab(4),
    },
    Binding {
        keys: &[KeySpec::char('6')],
        label: "6",
        desc: "Predict with a registered model",
        command: GlobalCommand::Tab(5),
    },
    Binding {
        keys: &[KeySpec::char('7')],
        label: "7",
        desc: "Drift between a reference and current data",
        command: GlobalCommand::Tab(6),
    },
    Binding {
        keys: &[KeySpec::char('?')],
        label: "?",
        desc: "show or hide this help",
        command: GlobalCommand::ToggleHelp,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Esc)],
        label: "Esc",
        desc: "close the help",
        command: GlobalCommand::CloseOverlay,
    },
    Binding {
        keys: &[KeySpec::char('q'), KeySpec::ctrl('c')],
        label: "q / Ctrl-C",
        desc: "quit",
        command: GlobalCommand::Quit,
    },
];
