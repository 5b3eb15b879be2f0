//! The Runs pane's key bindings. Key handling and the help overlay both read this table.

use crossterm::event::KeyCode;

use crate::tui::keymap::{Binding, KeySpec, KeyTable};

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
}

pub const RUNS_KEYS: KeyTable<RunsCommand> = KeyTable {
    section: "runs",
    bindings: &[
    Binding {
        name: "down",
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        desc: "next run",
        command: RunsCommand::Down,
    },
    Binding {
        name: "up",
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        desc: "previous run",
        command: RunsCommand::Up,
    },
    Binding {
        name: "top",
        keys: &[KeySpec::char('g'), KeySpec::plain(KeyCode::Home)],
        desc: "first",
        command: RunsCommand::Top,
    },
    Binding {
        name: "bottom",
        keys: &[KeySpec::char('G'), KeySpec::plain(KeyCode::End)],
        desc: "last",
        command: RunsCommand::Bottom,
    },
    Binding {
        name: "open",
        keys: &[KeySpec::plain(KeyCode::Enter)],
        desc: "open the run: live curves, log, metrics",
        command: RunsCommand::Open,
    },
    Binding {
        name: "back",
        keys: &[
            KeySpec::plain(KeyCode::Esc),
            KeySpec::plain(KeyCode::Backspace),
        ],
        desc: "back to the list; in the list, clear the filter",
        command: RunsCommand::Back,
    },
    Binding {
        name: "filter",
        keys: &[KeySpec::char('/')],
        desc: "filter: metrics.rmse < 5 and params.model = \"gbdt\" or ...",
        command: RunsCommand::Filter,
    },
    Binding {
        name: "sort",
        keys: &[KeySpec::char('s')],
        desc: "sort by the next column",
        command: RunsCommand::Sort,
    },
    Binding {
        name: "reverse",
        keys: &[KeySpec::char('S')],
        desc: "reverse the sort",
        command: RunsCommand::Reverse,
    },
    Binding {
        name: "experiment",
        keys: &[KeySpec::char('x')],
        desc: "next experiment (all, then each)",
        command: RunsCommand::Experiment,
    },
    Binding {
        name: "metric_view",
        keys: &[KeySpec::char('v')],
        desc: "metric columns: last value, best value, value at a step",
        command: RunsCommand::MetricView,
    },
    Binding {
        name: "mark",
        keys: &[KeySpec::char(' ')],
        desc: "mark the run (for compare, delete)",
        command: RunsCommand::Mark,
    },
    Binding {
        name: "unmark",
        keys: &[KeySpec::char('u')],
        desc: "unmark every run",
        command: RunsCommand::Unmark,
    },
    Binding {
        name: "compare",
        keys: &[KeySpec::char('C')],
        desc: "compare the marked runs (tab 4)",
        command: RunsCommand::Compare,
    },
    Binding {
        name: "rename",
        keys: &[KeySpec::char('R')],
        desc: "rename the run",
        command: RunsCommand::Rename,
    },
    Binding {
        name: "tag",
        keys: &[KeySpec::char('T')],
        desc: "tag the run (KEY=VALUE)",
        command: RunsCommand::Tag,
    },
    Binding {
        name: "note",
        keys: &[KeySpec::char('N')],
        desc: "write a note on the run",
        command: RunsCommand::Note,
    },
    Binding {
        name: "delete",
        keys: &[KeySpec::char('D'), KeySpec::plain(KeyCode::Delete)],
        desc: "delete the marked (or selected) runs, after a yes",
        command: RunsCommand::Delete,
    },
    Binding {
        name: "cancel",
        keys: &[KeySpec::char('c')],
        desc: "cancel the run (asks first)",
        command: RunsCommand::Cancel,
    },
    Binding {
        name: "register",
        keys: &[KeySpec::char('M')],
        desc: "register the run's model as a new version of a named model",
        command: RunsCommand::Register,
    },
    ],
};
