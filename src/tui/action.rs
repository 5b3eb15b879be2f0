//! Everything that changes app state arrives as an `Action` on one channel: key handling, the
//! data-folder watcher, background profiling jobs and the tick all speak this language.

use std::path::PathBuf;

use crate::data::{DatasetFile, ProfileOutcome, ProfileStage};
use crate::jobs::Launched;
use crate::store::RunId;
use crate::tui::panes::predict::ModelLoad;

#[derive(Debug)]
pub enum Action {
    Quit,
    /// Something under `data/` changed: rescan it.
    DatasetsChanged,
    /// A background profile moved on.
    ProfileProgress {
        path: PathBuf,
        stage: ProfileStage,
    },
    /// A background profile ended; the error is already user-facing text.
    ProfileDone {
        file: DatasetFile,
        result: Result<Box<ProfileOutcome>, String>,
    },
    /// A line for the status bar.
    Status(String),
    /// A launch from the Train form ended: the run started, or why not (user-facing text).
    Launched(Result<Launched, String>),
    /// Show this run in the Runs tab.
    OpenRun(RunId),
    /// A model for the Predict pane was read and checked (or why not).
    ModelLoaded(ModelLoad),
    /// A drift check moved on: `done` of `total` columns, the last one `column`.
    DriftProgress {
        done: usize,
        total: usize,
        column: String,
    },
    /// A drift check ended: its outcome, or why not (user-facing text).
    DriftDone(Box<Result<crate::drift::run::DriftOutcome, String>>),
}
