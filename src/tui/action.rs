//! The one message bus of the TUI. Everything that changes app state arrives as an `Action`: a
//! pane's key answers with one, the data-folder watcher and the background jobs send them, and
//! the App delivers each to every pane (a pane ignores what is not its business). Cross-pane
//! requests are actions too — open a tab with a context, run a job, write to the store — so no
//! pane knows another and the App knows none by name.

use std::path::PathBuf;
use std::sync::Arc;

use crate::data::{DatasetFile, DatasetProfile, ProfileOutcome, ProfileStage, ReadOptions};
use crate::drift::run::{DriftOutcome, DriftRequest};
use crate::jobs::{LaunchRequest, Launched};
use crate::ml::artifact::LoadedModel;
use crate::ml::forecast_view::{ForecastView, ViewRequest};
use crate::monitor::{MonitorReport, MonitorRequest};
use crate::registry::ModelRef;
use crate::store::{Filter, ModelVersion, RunId};

use super::panes::Tab;

#[derive(Debug)]
pub enum Action {
    Quit,
    /// The App has built every pane: say what you have (the Datasets pane its files).
    Start,
    /// Something under `data/` changed: rescan it.
    DataFolderChanged,
    /// The files of `data/` as the Datasets pane knows them (profiles where ready).
    DataFiles(Arc<Vec<DataFile>>),
    /// Another process (a worker, the CLI) committed to the store.
    StoreChanged,
    /// A line for the status bar.
    Status(String),
    /// Bring `Tab` to the front.
    ShowTab(Tab),
    /// The run pinned as the reference in every chart and table (`None`: unpinned).
    Pin(Option<RunId>),
    /// Bring a tab to the front with something to show: the tab is the target's.
    Open(Target),
    /// Blocking work for `tui::jobs`, off the UI task.
    Run(Job),
    /// A change to the store, asked by the pane of `asked_by`; the App applies it and answers
    /// with `Written`.
    Write {
        write: StoreWrite,
        asked_by: Tab,
    },
    /// A write was applied (or why not, user-facing): the message is for the pane that asked;
    /// every pane that shows what it changed re-reads.
    Written {
        write: StoreWrite,
        asked_by: Tab,
        result: Result<String, String>,
    },
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
    /// A launch from the Train form ended: the run started, or why not (user-facing text).
    Launched(Result<Launched, String>),
    /// A model for the Predict pane was read and checked (or why not).
    ModelLoaded(ModelLoad),
    /// A drift check moved on: `done` of `total` columns, the last one `column`.
    DriftProgress {
        done: usize,
        total: usize,
        column: String,
    },
    /// A drift check ended: its outcome, or why not (user-facing text).
    DriftDone(Box<Result<DriftOutcome, String>>),
    /// A forecast for the Forecast tab moved on: `done` of `total` periods.
    ForecastProgress {
        done: usize,
        total: usize,
    },
    /// A forecast for the Forecast tab ended (its request, to drop a stale answer).
    ForecastDone {
        request: ViewRequest,
        result: Box<Result<ForecastView, String>>,
    },
    /// The Forecast tab's export was written: the CSV and SVG paths, or why not.
    ForecastExported(Result<(String, String), String>),
    /// A study was created and its runner started: its name and run, or why not.
    StudyStarted(Result<(String, RunId), String>),
    /// The Monitor tab's report (its request, to drop a stale answer) and the HTML file written
    /// when one was asked for.
    MonitorDone {
        request: MonitorRequest,
        result: Box<Result<(MonitorReport, Option<String>), String>>,
    },
    /// The scheduler's word on the runs on Slurm: those it ended, where the others wait or
    /// run (or why it could not be asked).
    SlurmQueue(Result<crate::jobs::slurm::QueueSurvey, String>),
}

/// A file of `data/`, with its profile once it is ready.
#[derive(Clone, Debug)]
pub struct DataFile {
    /// Below `data/`, with '/' separators.
    pub relative: String,
    pub path: PathBuf,
    pub profile: Option<Arc<DatasetProfile>>,
}

/// What a tab is opened on.
#[derive(Clone, Debug)]
pub enum Target {
    /// The Train form on this dataset.
    TrainOn(PathBuf),
    /// A run's live view.
    Run(RunId),
    /// These runs side by side; the scatter ranges over the runs the filter matches.
    Compare {
        runs: Vec<RunId>,
        filter: Option<Filter>,
    },
    /// The Predict form on this model.
    Predict(ModelRef),
}

impl Target {
    pub fn tab(&self) -> Tab {
        match self {
            Target::TrainOn(_) => Tab::Train,
            Target::Run(_) => Tab::Runs,
            Target::Compare { .. } => Tab::Compare,
            Target::Predict(_) => Tab::Predict,
        }
    }
}

/// Blocking work, run by `tui::jobs` on the blocking pool; each answers with its own actions.
#[derive(Debug)]
pub enum Job {
    /// Profile a file (progress as `ProfileProgress`, the end as `ProfileDone`).
    Profile {
        file: DatasetFile,
        options: ReadOptions,
        use_cache: bool,
    },
    /// Validate and start a run, here or on Slurm (`Launched`).
    Launch {
        request: Box<LaunchRequest>,
        dispatch: crate::jobs::slurm::Dispatch,
    },
    /// A drift check (`DriftProgress`, `DriftDone`).
    Drift(Box<DriftRequest>),
    /// Read a model and check its files (`ModelLoaded`).
    LoadModel(ModelRef),
    /// A store write too slow for the UI task: registering copies and checks the model's files
    /// (`Written`).
    Write { write: StoreWrite, asked_by: Tab },
    /// The Forecast tab's view of a loaded model (`ForecastProgress`, `ForecastDone`).
    Forecast {
        model: LoadedHandle,
        request: ViewRequest,
    },
    /// Start the project's daemon detached (`Status`).
    StartDaemon,
    /// Create a tuning study and start its runner detached (`StudyStarted`).
    StartStudy {
        name: String,
        config: Box<crate::tune::study::StudyConfig>,
        dispatch: crate::jobs::slurm::Dispatch,
    },
    /// The Monitor tab's report, written as HTML to `html` when given (`MonitorDone`).
    Monitor {
        request: MonitorRequest,
        html: Option<PathBuf>,
    },
    /// Ask Slurm about the runs on it, ending those whose jobs ended badly (`SlurmQueue`).
    SlurmQueue,
    /// Write a forecast view as CSV and SVG at `stem` (`ForecastExported`).
    ExportForecast {
        view: Box<ForecastView>,
        stem: PathBuf,
        title: String,
    },
}

/// A change to the store a key asked for. Short writes, applied by the App on the UI task, in
/// the order asked.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreWrite {
    CancelRun(RunId),
    DeleteRuns(Vec<RunId>),
    RenameRun(RunId, String),
    TagRun(RunId, String, String),
    NoteRun(RunId, String),
    /// Register a run as the next version of a model (copies its files).
    Register {
        run: RunId,
        model: String,
    },
    SetAlias {
        model: String,
        alias: &'static str,
        version: i64,
        reason: String,
    },
    Archive {
        model: String,
        version: i64,
    },
    SaveForm {
        model: String,
        name: String,
        record: serde_json::Map<String, serde_json::Value>,
    },
    DeleteForm {
        model: String,
        name: String,
    },
    /// Pause (true) or resume a schedule.
    PauseSchedule(String, bool),
    RemoveSchedule(String),
    /// Queue a job run of the schedule now.
    RunScheduleNow(String),
    /// Queue a failed job run again, as its next attempt, now.
    RetryJobRun(i64),
    /// A Predict-tab answer of a lag model, kept by series and date to be scored.
    LogPrediction {
        version_id: i64,
        row: crate::store::LoggedPrediction,
    },
}

impl StoreWrite {
    /// Whether the write reads or copies files, and so runs as a job off the UI task.
    pub fn is_slow(&self) -> bool {
        matches!(self, StoreWrite::Register { .. })
    }

    /// Whether the write changes runs (the Runs and Compare tabs re-read).
    pub fn touches_runs(&self) -> bool {
        matches!(
            self,
            StoreWrite::CancelRun(_)
                | StoreWrite::DeleteRuns(_)
                | StoreWrite::RenameRun(..)
                | StoreWrite::TagRun(..)
                | StoreWrite::NoteRun(..)
                | StoreWrite::Register { .. }
        )
    }

    /// Whether the write changes the registry (the Models, Predict and Drift tabs re-read).
    pub fn touches_models(&self) -> bool {
        matches!(
            self,
            StoreWrite::Register { .. } | StoreWrite::SetAlias { .. } | StoreWrite::Archive { .. }
        )
    }
}

/// The line a pane shows for a write it asked for: what changed, or why nothing did.
pub fn written_text(result: &Result<String, String>) -> String {
    match result {
        Ok(text) | Err(text) => text.clone(),
    }
}

/// A loaded model handed to a job (shown in debug output by its model kind only).
#[derive(Clone)]
pub struct LoadedHandle(pub Arc<LoadedModel>);

impl std::fmt::Debug for LoadedHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoadedModel({})", self.0.signature.model)
    }
}

/// The outcome of loading a model off the UI task.
pub struct ModelLoad {
    pub reference: ModelRef,
    pub result: Result<(ModelVersion, Arc<LoadedModel>), String>,
}

impl std::fmt::Debug for ModelLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelLoad")
            .field("reference", &self.reference)
            .field("ok", &self.result.is_ok())
            .finish()
    }
}
