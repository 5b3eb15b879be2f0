//! The Runs pane's key bindings. Key handling and the help overlay both read this table.

use crossterm::event::KeyCode;

use crate::tui::keymap::{Binding, KeySpec};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsCommand {
    Down,
    Up,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    Sort,
    Reverse,
    Experiment,
    MetricView,
    Mark,
    Unmark,
    Compare,
    Rename,
    Tag,
    Note,
    Delete,
    Cancel,
    Register,
    Confirm,
}

pub const RUNS_KEYS: &[Binding<RunsCommand>] = &[
    Binding {
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        label: "j / ↓",
        desc: "next run",
        command: RunsCommand::Down,
    },
    Binding {
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        label: "k / ↑",
        desc: "previous run",
        command: RunsCommand::Up,
    },
    Binding {
        keys: &[KeySpec::char('g'), KeySpec::plain(KeyCode::Home)],
        label: "g / Home",
        desc: "first",
        command: RunsCommand::Top,
    },
    Binding {
        keys: &[KeySpec::char('G'), KeySpec::plain(KeyCode::End)],
        label: "G / End",
        desc: "last",
        command: RunsCommand::Bottom,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Enter)],
        label: "Enter",
        desc: "open the run: live curves, log, metrics",
        command: RunsCommand::Open,
    },
    Binding {
        keys: &[
            KeySpec::plain(KeyCode::Esc),
            KeySpec::plain(KeyCode::Backspace),
        ],
        label: "Esc",
        desc: "back to the list; in the list, clear the filter",
        command: RunsCommand::Back,
    },
    Binding {
        keys: &[KeySpec::char('/')],
        label: "/",
        desc: "filter: metrics.rmse < 5 and params.model = \"gbdt\" or ...",
        command: RunsCommand::Filter,
    },
    Binding {
        keys: &[KeySpec::char('s')],
        label: "s",
        desc: "sort by the next column",
        command: RunsCommand::Sort,
    },
    Binding {
        keys: &[KeySpec::char('S')],
        label: "S",
        desc: "reverse the sort",
        command: RunsCommand::Reverse,
    },
    Binding {
        keys: &[KeySpec::char('x')],
        label: "x",
        desc: "next experiment (all, then each)",
        command: RunsCommand::Experiment,
    },
    Binding {
        keys: &[KeySpec::char('v')],
        label: "v",
        desc: "metric columns: last value, best value, value at a step",
        command: RunsCommand::MetricView,
    },
    Binding {
        keys: &[KeySpec::char(' ')],
        label: "Space",
        desc: "mark the run (for compare, delete)",
        command: RunsCommand::Mark,
    },
    Binding {
        keys: &[KeySpec::char('u')],
        label: "u",
        desc: "unmark every run",
        command: RunsCommand::Unmark,
    },
    Binding {
        keys: &[KeySpec::char('C')],
        label: "C",
        desc: "compare the marked runs (tab 4)",
        command: RunsCommand::Compare,
    },
    Binding {
        keys: &[KeySpec::char('R')],
        label: "R",
        desc: "rename the run",
        command: RunsCommand::Rename,
    },
    Binding {
        keys: &[KeySpec::char('T')],
        label: "T",
        desc: "tag the run (KEY=VALUE)",
        command: RunsCommand::Tag,
    },
    Binding {
        keys: &[KeySpec::char('N')],
        label: "N",
        desc: "write a note on the run",
        command: RunsCommand::Note,
    },
    Binding {
        keys: &[KeySpec::char('D'), KeySpec::plain(KeyCode::Delete)],
        label: "D / Del",
        desc: "delete the marked (or selected) runs, after a yes",
        command: RunsCommand::Delete,
    },
    Binding {
        keys: &[KeySpec::char('c')],
        label: "c",
        desc: "cancel the run (asks first)",
        command: RunsCommand::Cancel,
    },
    Binding {
        keys: &[KeySpec::char('M')],
        label: "M",
        desc: "register the run's model as a new version of a named model",
        command: RunsCommand::Register,
    },
    Binding {
        keys: &[KeySpec::char('y')],
        label: "y",
        desc: "yes (to a cancel or delete question)",
        command: RunsCommand::Confirm,
    },
];
