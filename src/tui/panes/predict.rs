//! The Predict pane: pick a registered model by alias or version (← → on the first row), fill a
//! form generated from its signature, and Enter gives the prediction with its split-conformal
//! interval and — for a model with a promotion column — the what-if uplift with the promotion
//! off and on at a few depths (and at the depth typed). Forms are saved by name per model and
//! recalled against any version.
//!
//! Loading a model (reading and checksumming its files) runs off the UI task; the event loop
//! takes `pending_load` and answers with `Action::ModelLoaded`. One prediction is a one-row
//! frame through the pipeline and the model: well under a millisecond, done on the key.
//!
//! State and keys live here; the form in `predict_form.rs`, the key tables in
//! `predict_keys.rs`, drawing in `predict_view.rs`.

use std::path::Path;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::predict_form::{FieldCheck, FormField, build_form, fill_form, form_record, reset_form};
pub use super::predict_keys::{PREDICT_KEYS, PredictCommand, SAVED_KEYS, SavedCommand};
use crate::ml::artifact::LoadedModel;
use crate::ml::predict::{PredictError, Prediction, predict_record};
use crate::project::Project;
use crate::registry::{self, ALIASES, ModelRef};
use crate::store::{ModelVersion, RunStore, SavedForm};
use crate::tui::action::Action;
use crate::tui::component::{Component, EventState};
use crate::tui::keymap::{KeyHelp, help_of, lookup};
use crate::tui::theme::Theme;

/// A model the first row can name, and the version it names now.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelChoice {
    pub reference: ModelRef,
    pub version: ModelVersion,
}

/// A model loaded for the form.
pub struct LoadedChoice {
    pub reference: ModelRef,
    pub version: ModelVersion,
    pub model: Arc<LoadedModel>,
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

/// Loads `reference` with its own store connection (checksums verified): the event loop runs
/// this on a blocking thread, tests inline.
pub fn load_model(project: &Project, store_path: &Path, reference: ModelRef) -> ModelLoad {
    let result = RunStore::open(store_path)
        .map_err(registry::RegistryError::from)
        .and_then(|store| registry::load_version(project, &store, &reference))
        .map(|(version, loaded)| (version, Arc::new(loaded)))
        .map_err(|e| e.to_string());
    ModelLoad { reference, result }
}

/// The last prediction and what produced it.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictOutcome {
    pub model: String,
    pub version: i64,
    /// The form's values it answered.
    pub record: serde_json::Map<String, serde_json::Value>,
    pub prediction: Prediction,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Form,
    /// Typing into the focused field.
    Editing,
    /// Typing the name to save the form under.
    Naming(String),
    /// The saved-forms list, with its cursor.
    Saved(usize),
    /// Waiting for `y` to delete this saved form.
    ConfirmDelete(usize),
}

/// Store work a key asked for, done by `service` (the App owns the store).
#[derive(Clone, Debug, PartialEq)]
enum StoreJob {
    Save(String),
    Delete(String),
}

pub struct PredictTab {
    pub choices: Vec<ModelChoice>,
    pub choice: usize,
    pub loaded: Option<LoadedChoice>,
    /// A model for the event loop to load.
    pub pending_load: Option<ModelRef>,
    pub loading: bool,
    pub fields: Vec<FormField>,
    /// 0 is the model row; field i is at i + 1.
    pub focus: usize,
    pub mode: Mode,
    pub outcome: Option<PredictOutcome>,
    /// (is an error, text) for the line under the form.
    pub message: Option<(bool, String)>,
    pub forms: Vec<SavedForm>,
    forms_stale: bool,
    job: Option<StoreJob>,
}

impl PredictTab {
    pub fn new() -> Self {
        Self {
            choices: Vec::new(),
            choice: 0,
            loaded: None,
            pending_load: None,
            loading: false,
            fields: Vec::new(),
            focus: 0,
            mode: Mode::Form,
            outcome: None,
            message: None,
            forms: Vec::new(),
            forms_stale: false,
            job: None,
        }
    }

    /// Re-reads the registered models. The choice stays on the same reference; when the
    /// version it names changed (an alias moved), that version is loaded.
    pub fn reload(&mut self, store: &RunStore) {
        let versions = match store.model_versions(None) {
            Ok(versions) => versions,
            Err(e) => {
                self.message = Some((true, format!("reading models: {e}")));
                return;
            }
        };
        let current = self.choices.get(self.choice).map(|c| c.reference.clone());
        self.choices = model_choices(&versions);
        self.choice = current
            .and_then(|r| self.choices.iter().position(|c| c.reference == r))
            .unwrap_or(0);
        self.load_if_moved();
    }

    /// Selects `reference` (the Models tab's Enter), adding it as a choice if need be.
    pub fn open(&mut self, store: &RunStore, reference: ModelRef) {
        self.reload(store);
        match self.choices.iter().position(|c| c.reference == reference) {
            Some(index) => self.choice = index,
            None => match registry::resolve(store, &reference) {
                Ok(version) => {
                    self.choices.push(ModelChoice { reference, version });
                    self.choice = self.choices.len() - 1;
                }
                Err(e) => self.message = Some((true, e.to_string())),
            },
        }
        self.focus = 0;
        self.mode = Mode::Form;
        self.load_if_moved();
    }

    fn load_if_moved(&mut self) {
        let Some(choice) = self.choices.get(self.choice) else {
            self.loaded = None;
            self.fields.clear();
            return;
        };
        let current = self
            .loaded
            .as_ref()
            .is_some_and(|l| l.reference == choice.reference && l.version.id == choice.version.id);
        let asked = self.pending_load.as_ref() == Some(&choice.reference);
        if !current && !asked {
            self.pending_load = Some(choice.reference.clone());
            self.loading = true;
        }
    }

    /// Takes a model load the event loop should start.
    pub fn take_pending_load(&mut self) -> Option<ModelRef> {
        self.pending_load.take()
    }

    fn model_loaded(&mut self, load: ModelLoad) {
        // A load for a choice left since is dropped; the current one is on its way.
        let wanted = self.choices.get(self.choice).map(|c| &c.reference);
        if wanted != Some(&load.reference) {
            return;
        }
        self.loading = false;
        match load.result {
            Ok((version, model)) => {
                self.fields = build_form(&model.signature, &self.fields);
                self.focus = self.focus.min(self.fields.len());
                self.message = Some((
                    false,
                    format!(
                        "{} → {} version {}: {} inputs, checksums verified",
                        load.reference,
                        version.model_name,
                        version.version,
                        model.signature.inputs.len()
                    ),
                ));
                self.outcome = None;
                self.forms_stale = true;
                self.loaded = Some(LoadedChoice {
                    reference: load.reference,
                    version,
                    model,
                });
            }
            Err(e) => {
                self.loaded = None;
                self.fields.clear();
                self.outcome = None;
                self.message = Some((true, format!("{}: {e}", load.reference)));
            }
        }
    }

    /// Saves, deletes and re-reads saved forms (the App owns the store).
    pub fn service(&mut self, store: &mut RunStore) {
        let Some(loaded) = &self.loaded else {
            return;
        };
        let model = loaded.version.model_name.clone();
        match self.job.take() {
            Some(StoreJob::Save(name)) => {
                let record = form_record(&self.fields);
                self.message = Some(match store.save_form(&model, &name, &record) {
                    Ok(()) => (false, format!("form '{name}' saved for {model}")),
                    Err(e) => (true, format!("saving the form: {e}")),
                });
                self.forms_stale = true;
            }
            Some(StoreJob::Delete(name)) => {
                self.message = Some(match store.delete_form(&model, &name) {
                    Ok(_) => (false, format!("form '{name}' deleted")),
                    Err(e) => (true, format!("deleting the form: {e}")),
                });
                self.forms_stale = true;
            }
            None => {}
        }
        if std::mem::take(&mut self.forms_stale) {
            match store.saved_forms(&model) {
                Ok(forms) => self.forms = forms,
                Err(e) => self.message = Some((true, format!("reading saved forms: {e}"))),
            }
        }
    }

    /// Whether keys typed now are text (so global keys such as `q` must not act).
    pub fn captures_text(&self) -> bool {
        matches!(self.mode, Mode::Editing | Mode::Naming(_))
    }

    pub fn focused_field(&self) -> Option<&FormField> {
        self.focus.checked_sub(1).and_then(|i| self.fields.get(i))
    }

    fn focused_field_mut(&mut self) -> Option<&mut FormField> {
        self.focus
            .checked_sub(1)
            .and_then(|i| self.fields.get_mut(i))
    }

    fn move_focus(&mut self, down: bool) {
        self.focus = if down {
            (self.focus + 1).min(self.fields.len())
        } else {
            self.focus.saturating_sub(1)
        };
    }

    fn cycle(&mut self, forward: bool) {
        if self.focus == 0 {
            let n = self.choices.len();
            if n > 1 {
                self.choice = if forward {
                    (self.choice + 1) % n
                } else {
                    (self.choice + n - 1) % n
                };
                self.load_if_moved();
            }
            return;
        }
        if let Some(field) = self.focused_field_mut()
            && !field.cycle(forward)
        {
            self.mode = Mode::Editing;
        }
    }

    /// Predicts from the form, or says which fields stop it.
    pub fn predict(&mut self) {
        let Some(loaded) = &self.loaded else {
            self.message = Some((true, "no model loaded".into()));
            return;
        };
        let bad: Vec<(usize, &FormField)> = self
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| matches!(f.check, FieldCheck::Error(_)))
            .collect();
        if let Some((first, _)) = bad.first() {
            let names: Vec<&str> = bad.iter().map(|(_, f)| f.input.name.as_str()).collect();
            self.message = Some((
                true,
                format!("fix {} field(s) first: {}", bad.len(), names.join(", ")),
            ));
            self.focus = first + 1;
            return;
        }
        let record = form_record(&self.fields);
        match predict_record(&loaded.model, &record, true) {
            Ok(prediction) => {
                self.message = None;
                self.outcome = Some(PredictOutcome {
                    model: loaded.version.model_name.clone(),
                    version: loaded.version.version,
                    record,
                    prediction,
                });
            }
            Err(PredictError::Invalid(issues)) => {
                let text: Vec<String> = issues
                    .iter()
                    .map(|i| format!("{}: {}", i.field, i.reason))
                    .collect();
                self.message = Some((true, text.join("; ")));
            }
            Err(e) => self.message = Some((true, format!("the model could not predict: {e}"))),
        }
    }

    fn edit_key(&mut self, key: &KeyEvent) {
        match key.code {
            KeyCode::Esc => self.mode = Mode::Form,
            KeyCode::Enter => {
                self.mode = Mode::Form;
                self.predict();
            }
            KeyCode::Tab | KeyCode::Down => {
                self.move_focus(true);
                self.mode = self.text_mode();
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.move_focus(false);
                self.mode = self.text_mode();
            }
            KeyCode::Backspace => self.change_value(|v| {
                v.pop();
            }),
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.change_value(String::clear)
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.change_value(|v| v.push(c))
            }
            _ => {}
        }
    }

    /// Editing carries on into the next field only if that one is typed too.
    fn text_mode(&self) -> Mode {
        match self.focused_field() {
            Some(field) if field.is_text() => Mode::Editing,
            _ => Mode::Form,
        }
    }

    /// `e`: type into the focused field, levels included.
    fn edit_mode(&self) -> Mode {
        match self.focused_field() {
            Some(field) if field.is_typeable() => Mode::Editing,
            _ => Mode::Form,
        }
    }

    fn change_value(&mut self, change: impl FnOnce(&mut String)) {
        // The last message is about values that are changing.
        self.message = None;
        if let Some(field) = self.focused_field_mut() {
            change(&mut field.value);
            field.recheck();
        }
    }

    fn naming_key(&mut self, key: &KeyEvent, mut name: String) {
        self.mode = match key.code {
            KeyCode::Esc => {
                self.message = Some((false, "not saved".into()));
                Mode::Form
            }
            KeyCode::Enter => match name.trim() {
                "" => {
                    self.message = Some((true, "a saved form needs a name".into()));
                    Mode::Naming(name)
                }
                trimmed => {
                    self.job = Some(StoreJob::Save(trimmed.to_string()));
                    Mode::Form
                }
            },
            KeyCode::Backspace => {
                name.pop();
                Mode::Naming(name)
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if name.chars().count() < 60 {
                    name.push(c);
                }
                Mode::Naming(name)
            }
            _ => Mode::Naming(name),
        };
    }

    fn saved_key(&mut self, key: &KeyEvent, cursor: usize) {
        let n = self.forms.len();
        self.mode = match lookup(SAVED_KEYS, key) {
            Some(SavedCommand::Down) => Mode::Saved((cursor + 1).min(n.saturating_sub(1))),
            Some(SavedCommand::Up) => Mode::Saved(cursor.saturating_sub(1)),
            Some(SavedCommand::Recall) => {
                if let Some(form) = self.forms.get(cursor).cloned() {
                    let extra = fill_form(&mut self.fields, &form.record);
                    self.message = Some((
                        false,
                        if extra.is_empty() {
                            format!("form '{}' recalled", form.name)
                        } else {
                            format!(
                                "form '{}' recalled; not in this version: {}",
                                form.name,
                                extra.join(", ")
                            )
                        },
                    ));
                    self.outcome = None;
                }
                Mode::Form
            }
            Some(SavedCommand::Delete) if cursor < n => {
                self.message = Some((
                    false,
                    format!(
                        "delete saved form '{}'? y / any key",
                        self.forms[cursor].name
                    ),
                ));
                Mode::ConfirmDelete(cursor)
            }
            Some(SavedCommand::Close) => Mode::Form,
            _ => Mode::Saved(cursor),
        };
    }
}

impl Default for PredictTab {
    fn default() -> Self {
        Self::new()
    }
}

/// The references the first row steps through: each model's aliases, then its active versions.
pub fn model_choices(versions: &[ModelVersion]) -> Vec<ModelChoice> {
    let mut names: Vec<&str> = versions.iter().map(|v| v.model_name.as_str()).collect();
    names.dedup();
    let mut choices = Vec::new();
    for name in names {
        let of_model = || versions.iter().filter(move |v| v.model_name == name);
        for alias in ALIASES {
            if let Some(version) = of_model().find(|v| v.aliases.iter().any(|a| a == alias)) {
                choices.push(ModelChoice {
                    reference: ModelRef::Alias(name.to_string(), alias.to_string()),
                    version: version.clone(),
                });
            }
        }
        for version in of_model().filter(|v| v.status == "active") {
            choices.push(ModelChoice {
                reference: ModelRef::Version(name.to_string(), version.version),
                version: version.clone(),
            });
        }
    }
    choices
}

impl Component for PredictTab {
    fn handle_key(&mut self, key: &KeyEvent) -> EventState {
        match self.mode.clone() {
            Mode::Editing => {
                self.edit_key(key);
                return EventState::Consumed;
            }
            Mode::Naming(name) => {
                self.naming_key(key, name);
                return EventState::Consumed;
            }
            Mode::Saved(cursor) => {
                self.saved_key(key, cursor);
                return EventState::Consumed;
            }
            Mode::ConfirmDelete(cursor) => {
                if key.code == KeyCode::Char('y')
                    && let Some(form) = self.forms.get(cursor)
                {
                    self.job = Some(StoreJob::Delete(form.name.clone()));
                } else {
                    self.message = Some((false, "nothing deleted".into()));
                }
                self.mode = Mode::Saved(cursor.saturating_sub(1));
                return EventState::Consumed;
            }
            Mode::Form => {}
        }
        let Some(command) = lookup(PREDICT_KEYS, key) else {
            return EventState::NotConsumed;
        };
        match command {
            PredictCommand::Down => self.move_focus(true),
            PredictCommand::Up => self.move_focus(false),
            PredictCommand::First => self.focus = 0,
            PredictCommand::Last => self.focus = self.fields.len(),
            PredictCommand::Previous => self.cycle(false),
            PredictCommand::Next => self.cycle(true),
            PredictCommand::Edit => self.mode = self.edit_mode(),
            PredictCommand::Predict => self.predict(),
            PredictCommand::Save if self.loaded.is_some() => {
                self.message = Some((false, "name the form, Enter saves, Esc cancels".into()));
                self.mode = Mode::Naming(String::new());
            }
            PredictCommand::Saved if self.loaded.is_some() => {
                if self.forms.is_empty() {
                    self.message =
                        Some((false, "no saved form for this model yet (s saves)".into()));
                } else {
                    self.mode = Mode::Saved(0);
                }
            }
            PredictCommand::Reset => {
                reset_form(&mut self.fields);
                self.outcome = None;
            }
            PredictCommand::Save | PredictCommand::Saved => {}
        }
        EventState::Consumed
    }

    fn update(&mut self, action: Action) -> Option<Action> {
        match action {
            Action::ModelLoaded(load) => {
                self.model_loaded(load);
                None
            }
            other => Some(other),
        }
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme, _spinner: char) {
        super::predict_view::render(self, frame, area, theme);
    }

    fn commands(&self) -> Vec<KeyHelp> {
        match self.mode {
            Mode::Saved(_) | Mode::ConfirmDelete(_) => help_of(SAVED_KEYS),
            _ => help_of(PREDICT_KEYS),
        }
    }

    fn title(&self) -> &'static str {
        "Predict"
    }
}
