//! The Runs pane's key bindings. Key handling and the help overlay both read this table.

use crossterm::event::KeyCode;

use crate::tui::keymap::{KeySpec, key_table};

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
    Pin,
}

key_table! {
    pub RUNS_KEYS: RunsCommand = "runs" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => RunsCommand::Down, "next run";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => RunsCommand::Up, "previous run";
        top: [KeySpec::char('g'), KeySpec::plain(KeyCode::Home)] => RunsCommand::Top, "first";
        bottom: [KeySpec::char('G'), KeySpec::plain(KeyCode::End)] => RunsCommand::Bottom, "last";
        open: [KeySpec::plain(KeyCode::Enter)] => RunsCommand::Open, "open the run: live curves, log, metrics";
        back: [KeySpec::plain(KeyCode::Esc), KeySpec::plain(KeyCode::Backspace)] => RunsCommand::Back, "back to the list; in the list, clear the filter";
        filter: [KeySpec::char('/')] => RunsCommand::Filter, "filter: metrics.rmse < 5 and params.model = \"gbdt\" or ...";
        sort: [KeySpec::char('s')] => RunsCommand::Sort, "sort by the next column";
        reverse: [KeySpec::char('S')] => RunsCommand::Reverse, "reverse the sort";
        experiment: [KeySpec::char('x')] => RunsCommand::Experiment, "next experiment (all, then each)";
        metric_view: [KeySpec::char('v')] => RunsCommand::MetricView, "metric columns: last value, best value, value at a step";
        mark: [KeySpec::char(' ')] => RunsCommand::Mark, "mark the run (for compare, delete) and move to the next";
        unmark: [KeySpec::char('u')] => RunsCommand::Unmark, "unmark every run";
        compare: [KeySpec::char('C')] => RunsCommand::Compare, "compare the marked runs (tab 4)";
        rename: [KeySpec::char('R')] => RunsCommand::Rename, "rename the run";
        tag: [KeySpec::char('T')] => RunsCommand::Tag, "tag the run (KEY=VALUE)";
        note: [KeySpec::char('N')] => RunsCommand::Note, "write a note on the run";
        delete: [KeySpec::char('D'), KeySpec::plain(KeyCode::Delete)] => RunsCommand::Delete, "delete the marked (or selected) runs, after a yes";
        cancel: [KeySpec::char('c'), KeySpec::char('K')] => RunsCommand::Cancel, "cancel the run (asks first; K in the run view, where c sets the grid)";
        pin: [KeySpec::char('p')] => RunsCommand::Pin, "pin the run as the reference in every chart and table (again: unpin)";
        register: [KeySpec::char('M')] => RunsCommand::Register, "register the run's model as a new version of a named model";
    }
}

/// Keys of a study's run view, looked up before the Runs table's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StudyCommand {
    NextChart,
    PreviousChart,
    RegisterBest,
    Export,
}

key_table! {
    pub STUDY_KEYS: StudyCommand = "study" {
        next_chart: [KeySpec::char('p')] => StudyCommand::NextChart, "next chart: best so far, parallel coordinates, a slice per parameter";
        previous_chart: [KeySpec::char('P')] => StudyCommand::PreviousChart, "previous chart";
        register_best: [KeySpec::char('r')] => StudyCommand::RegisterBest, "register the best trial's model as a new version of a named model";
        export: [KeySpec::char('e')] => StudyCommand::Export, "export the study's charts as SVG (reports/)";
    }
}
