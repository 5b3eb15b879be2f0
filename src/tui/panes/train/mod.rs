//! The Train pane: a form to launch a training run. Dataset, target, task and model are choice
//! lists (← →), features a multi-select with each column's profile beside it, hyper-parameters
//! typed fields with the model's defaults and inline validation, then split, lags, seed,
//! experiment, name, and where it runs (here, or on Slurm with the job's options). Enter
//! launches; the launch itself (validation against the data, queueing, starting the detached
//! worker or submitting its batch job) runs off the UI task, like profiling.
//!
//! State and keys live here; the key tables in `keys.rs`, the checks and the launch request in
//! `request.rs`, here or Slurm in `dispatch.rs`, drawing in `view.rs`.

mod about;
mod defaults;
mod dispatch;
mod editing;
mod keys;
mod request;
mod view;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

pub use keys::{PICKER_KEYS, PickerCommand, TRAIN_KEYS, TrainCommand};
use crate::data::{ColumnKind, DatasetProfile};
use crate::ml::features::Task;
use crate::ml::models::{ModelKind, ModelSpec};
use crate::project::Project;
use crate::tui::action::{Action, Job, Target};
use crate::tui::component::{Component, EventState, PaneContext, RenderContext};
use crate::tui::keymap::{KeyHelp, Keymap};
use crate::tui::keymap_file::KeySection;
use crate::tui::widgets::text_input::{INPUT_KEYS, InputOutcome, TextInput};

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&TRAIN_KEYS, &PICKER_KEYS];

/// A dataset the form can train on: a profiled file of `data/`.
#[derive(Clone, Debug)]
pub struct DatasetChoice {
    pub relative: String,
    pub path: PathBuf,
    pub profile: Arc<DatasetProfile>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskChoice {
    Auto,
    Regression,
    Binary,
}

impl TaskChoice {
    pub fn label(self) -> &'static str {
        match self {
            TaskChoice::Auto => "auto",
            TaskChoice::Regression => "regression",
            TaskChoice::Binary => "binary",
        }
    }

    pub(super) fn task(self) -> Option<Task> {
        match self {
            TaskChoice::Auto => None,
            TaskChoice::Regression => Some(Task::Regression),
            TaskChoice::Binary => Some(Task::BinaryClassification),
        }
    }
}

/// A typed field of the form and what its check says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextField {
    pub input: TextInput,
    pub error: Option<String>,
}

impl TextField {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            input: TextInput::new(value),
            error: None,
        }
    }

    pub fn value(&self) -> &str {
        self.input.text()
    }
}

/// One row of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Dataset,
    Target,
    Task,
    Model,
    Features,
    Lookups,
    Param(usize),
    Split,
    Lags,
    Rolling,
    Groups,
    Backtest,
    Study,
    StudyTrials,
    Log1p,
    Seed,
    Experiment,
    Name,
    /// Here or on Slurm.
    RunOn,
    /// The Slurm job's options (shown when the form runs on Slurm).
    SlurmJob,
    Launch,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Dataset => "Dataset",
            Field::Target => "Target",
            Field::Task => "Task",
            Field::Model => "Model",
            Field::Features => "Features",
            Field::Lookups => "Lookups",
            Field::Param(_) => "",
            Field::Split => "Split",
            Field::Lags => "Lags",
            Field::Rolling => "Rolling means",
            Field::Groups => "Lag groups",
            Field::Backtest => "Backtest windows",
            Field::Study => "Study space",
            Field::StudyTrials => "Study trials",
            Field::Log1p => "log1p target",
            Field::Seed => "Seed",
            Field::Experiment => "Experiment",
            Field::Name => "Run name",
            Field::RunOn => "Run on",
            Field::SlurmJob => "Slurm job",
            Field::Launch => "",
        }
    }

    fn is_text(self) -> bool {
        matches!(
            self,
            Field::Param(_)
                | Field::Lookups
                | Field::Split
                | Field::Lags
                | Field::Rolling
                | Field::Groups
                | Field::Backtest
                | Field::StudyTrials
                | Field::Seed
                | Field::Experiment
                | Field::Name
                | Field::SlurmJob
        )
    }
}

pub struct TrainTab {
    pub project: Project,
    pub datasets: Vec<DatasetChoice>,
    pub dataset: usize,
    /// Index into the dataset's columns.
    pub target: usize,
    pub task: TaskChoice,
    pub model: ModelKind,
    /// One flag per column of the dataset (the target's is ignored).
    pub features: Vec<bool>,
    pub params: Vec<(&'static str, &'static str, TextField)>,
    /// Lookup tables from data/, `FILE:KEY[,KEY]` separated by ';'.
    pub lookups: TextField,
    pub split: TextField,
    pub lags: TextField,
    pub rolling: TextField,
    pub groups: TextField,
    /// Empty: one run; K: a backtest of K windows, each the time split's hold-out long.
    pub backtest: TextField,
    /// `N` trials, or `NxP`: N trials, P at once.
    pub study_trials: TextField,
    pub log1p: bool,
    pub seed: TextField,
    pub experiment: TextField,
    pub name: TextField,
    /// Workers go to Slurm (as batch jobs) rather than run here.
    pub on_slurm: bool,
    /// The Slurm job's options as typed (`time=01:00:00 mem=4G`), over `slurm_defaults`.
    pub slurm: TextField,
    /// `shelfcast.toml`'s `[slurm]`, read when the form switched to Slurm.
    pub slurm_defaults: crate::jobs::slurm::SlurmOptions,
    pub focus: usize,
    pub editing: bool,
    /// The feature picker's cursor, when it is open.
    pub picker: Option<usize>,
    /// The last launch's outcome: (is an error, text).
    pub message: Option<(bool, String)>,
    /// A launch is under way (off the UI task).
    pub launching: bool,
    /// Said before launch: lags shorter than the hold-out validate recursively.
    pub horizon_note: Option<String>,
}

impl TrainTab {
    pub fn new(ctx: &PaneContext<'_>) -> Self {
        Self {
            project: ctx.project.clone(),
            datasets: Vec::new(),
            dataset: 0,
            target: 0,
            task: TaskChoice::Auto,
            model: ModelKind::Gbdt,
            features: Vec::new(),
            params: Vec::new(),
            lookups: TextField::default(),
            split: TextField::new("random:0.2"),
            lags: TextField::default(),
            rolling: TextField::default(),
            groups: TextField::default(),
            backtest: TextField::default(),
            study_trials: TextField::new("30x2"),
            log1p: false,
            seed: TextField::new("42"),
            experiment: TextField::new("default"),
            name: TextField::default(),
            on_slurm: false,
            slurm: TextField::default(),
            slurm_defaults: Default::default(),
            focus: 0,
            editing: false,
            picker: None,
            message: None,
            launching: false,
            horizon_note: None,
        }
    }

    /// The rows of the form, in order (one per hyper-parameter of the chosen model).
    pub fn fields(&self) -> Vec<Field> {
        let mut fields = vec![
            Field::Dataset,
            Field::Target,
            Field::Task,
            Field::Model,
            Field::Features,
            Field::Lookups,
        ];
        fields.extend((0..self.params.len()).map(Field::Param));
        fields.extend([
            Field::Split,
            Field::Lags,
            Field::Rolling,
            Field::Groups,
            Field::Backtest,
            Field::Study,
            Field::StudyTrials,
            Field::Log1p,
            Field::Seed,
            Field::Experiment,
            Field::Name,
            Field::RunOn,
        ]);
        if self.on_slurm {
            fields.push(Field::SlurmJob);
        }
        fields.push(Field::Launch);
        fields
    }

    pub fn focused(&self) -> Field {
        let fields = self.fields();
        fields
            .get(self.focus.min(fields.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Field::Launch)
    }

    pub fn profile(&self) -> Option<&DatasetProfile> {
        self.datasets.get(self.dataset).map(|d| d.profile.as_ref())
    }

    pub fn target_name(&self) -> Option<&str> {
        self.profile()
            .and_then(|p| p.columns.get(self.target))
            .map(|c| c.name.as_str())
    }

    /// Takes the profiled datasets of the Datasets pane, keeping the current choice.
    pub fn set_datasets(&mut self, datasets: Vec<DatasetChoice>) {
        let current = self.datasets.get(self.dataset).map(|d| d.path.clone());
        self.datasets = datasets;
        match current.and_then(|p| self.datasets.iter().position(|d| d.path == p)) {
            Some(index) => self.dataset = index,
            None => {
                self.dataset = 0;
                self.reset_for_dataset();
            }
        }
    }

    /// Chooses `path` (the Datasets pane's "train on this").
    pub fn choose_dataset(&mut self, path: &Path) {
        if let Some(index) = self.datasets.iter().position(|d| d.path == path) {
            if index != self.dataset {
                self.dataset = index;
                self.reset_for_dataset();
            }
            self.focus = 0;
        }
    }

    /// The task the target implies (or the override).
    pub fn task(&self) -> Task {
        if let Some(task) = self.task.task() {
            return task;
        }
        match self.profile().and_then(|p| p.columns.get(self.target)) {
            Some(c) if c.distinct == 2 => Task::BinaryClassification,
            _ => Task::Regression,
        }
    }

    pub(super) fn seed_value(&self) -> u64 {
        self.seed.value().trim().parse().unwrap_or(42)
    }

    /// The number of columns used as features (the target never counts).
    pub fn feature_count(&self) -> (usize, usize) {
        let Some(profile) = self.profile() else {
            return (0, 0);
        };
        let target = self.target_name().unwrap_or_default();
        let eligible = profile.columns.iter().filter(|c| c.name != target).count();
        let used = profile
            .columns
            .iter()
            .zip(&self.features)
            .filter(|(c, on)| **on && c.name != target)
            .count();
        (used, eligible)
    }

}

impl TrainTab {
    /// The profiled files of `data/`, keeping the current choice.
    fn take_files(&mut self, files: &[crate::tui::action::DataFile]) {
        let choices = files
            .iter()
            .filter_map(|f| {
                Some(DatasetChoice {
                    relative: f.relative.clone(),
                    path: f.path.clone(),
                    profile: Arc::clone(f.profile.as_ref()?),
                })
            })
            .collect();
        self.set_datasets(choices);
    }

}

impl Component for TrainTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        if let Some(cursor) = self.picker {
            return self.picker_key(key, cursor, ctx.keys);
        }
        if self.editing {
            self.edit_key(key, ctx.keys);
            return EventState::Consumed;
        }
        let Some(command) = ctx.keys.lookup(&TRAIN_KEYS, key) else {
            return EventState::NotConsumed;
        };
        match command {
            TrainCommand::Down => self.move_focus(true),
            TrainCommand::Up => self.move_focus(false),
            TrainCommand::Previous => self.cycle(false),
            TrainCommand::Next => self.cycle(true),
            TrainCommand::Edit => self.editing = self.focused().is_text(),
            TrainCommand::Toggle => match self.focused() {
                Field::Features if !self.features.is_empty() => self.picker = Some(0),
                Field::Log1p | Field::RunOn => self.cycle(true),
                _ => {}
            },
            TrainCommand::Launch if self.launching => {}
            TrainCommand::Study => self.toggle_study_ranges(),
            TrainCommand::Launch if self.is_study() => {
                match self.study_config().and_then(|c| Ok((c, self.dispatch()?))) {
                    Ok((config, dispatch)) => {
                        self.launching = true;
                        let name =
                            format!("study-{}", chrono::Local::now().format("%Y%m%d-%H%M%S"));
                        self.message = Some((false, format!("starting study {name}…")));
                        return EventState::action(Action::Run(Job::StartStudy {
                            name,
                            config: Box::new(config),
                            dispatch,
                        }));
                    }
                    Err(problem) => self.message = Some((true, problem)),
                }
            }
            TrainCommand::Launch => match self.request().and_then(|r| Ok((r, self.dispatch()?))) {
                // Launching reads and checks the whole dataset before the worker starts.
                Ok((request, dispatch)) => {
                    self.launching = true;
                    self.message = Some((false, "validating and starting the worker…".into()));
                    return EventState::action(Action::Run(Job::Launch {
                        request: Box::new(request),
                        dispatch,
                    }));
                }
                Err(problem) => self.message = Some((true, problem)),
            },
            TrainCommand::Reset => self.reset_for_dataset(),
        }
        EventState::Consumed
    }

    fn update(&mut self, action: &Action, _ctx: &PaneContext<'_>) -> Vec<Action> {
        match action {
            Action::Launched(result) => return self.launched(result),
            Action::StudyStarted(result) => {
                self.launching = false;
                match result {
                    Ok((name, run)) => {
                        self.message = Some((
                            false,
                            format!("study {name} started (run {run}): its trials train in the background"),
                        ));
                        return vec![Action::Open(Target::Run(*run))];
                    }
                    Err(e) => self.message = Some((true, e.clone())),
                }
            }
            Action::DataFiles(files) => self.take_files(files),
            Action::Open(Target::TrainOn(path)) => self.choose_dataset(path),
            _ => {}
        }
        Vec::new()
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx);
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        if self.picker.is_some() {
            keys.help(&PICKER_KEYS)
        } else if self.editing {
            keys.help(&INPUT_KEYS)
        } else {
            keys.help(&TRAIN_KEYS)
        }
    }

    fn title(&self) -> &'static str {
        "Train"
    }

    fn captures_text(&self) -> bool {
        self.editing || self.picker.is_some()
    }

    fn is_busy(&self) -> bool {
        self.launching
    }
}
