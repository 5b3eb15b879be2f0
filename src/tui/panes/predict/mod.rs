//! The Predict pane: pick a registered model by alias or version (← → on the first row), fill a
//! form generated from its signature, and Enter gives the prediction with its split-conformal
//! interval and — for a model with a promotion column — the what-if uplift with the promotion
//! off and on at a few depths (and at the depth typed). Forms are saved by name per model and
//! recalled against any version.
//!
//! Loading a model (reading and checksumming its files) runs off the UI task as a job
//! (`Job::LoadModel`, answered by `Action::ModelLoaded`). One prediction is one record through
//! the pipeline and the model: well under a millisecond, done on the key.
//!
//! State and keys live here; the form in `form.rs`, the key tables in `keys.rs`, drawing in
//! `view.rs`.

mod form;
mod keys;
mod view;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

pub use form::{FieldCheck, FormField};
use form::{build_form, fill_form, form_record, reset_form};
pub use keys::{PREDICT_KEYS, PredictCommand, SAVED_KEYS, SavedCommand};
use crate::ml::artifact::LoadedModel;
use crate::ml::predict::{PredictError, Prediction, predict_record};
use crate::registry::{self, ALIASES, ModelRef};
use crate::store::{ModelVersion, RunStore, SavedForm};
use crate::tui::action::{Action, Job, ModelLoad, StoreWrite, Target};
use crate::tui::component::{Component, EventState, PaneContext, RenderContext, Tick};
use crate::tui::keymap::{KeyHelp, Keymap};
use crate::tui::keymap_file::KeySection;
use crate::tui::panes::Tab;
use crate::tui::widgets::confirm::{CONFIRM_KEYS, Confirm};
use crate::tui::widgets::text_input::{INPUT_KEYS, InputOutcome, TextInput};

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&PREDICT_KEYS, &SAVED_KEYS];

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
    Editing(TextInput),
    /// Typing the name to save the form under.
    Naming(TextInput),
    /// The saved-forms list, with its cursor.
    Saved(usize),
    /// Waiting for the yes to delete the saved form under the cursor.
    ConfirmDelete(usize, Confirm<StoreWrite>),
}

pub struct PredictTab {
    pub choices: Vec<ModelChoice>,
    pub choice: usize,
    pub loaded: Option<LoadedChoice>,
    /// The model a load job was asked for and not answered yet.
    asked: Option<ModelRef>,
    pub loading: bool,
    pub fields: Vec<FormField>,
    /// 0 is the model row; field i is at i + 1.
    pub focus: usize,
    pub mode: Mode,
    pub outcome: Option<PredictOutcome>,
    /// (is an error, text) for the line under the form.
    pub message: Option<(bool, String)>,
    pub forms: Vec<SavedForm>,
    /// Another process committed since the models were last read.
    stale: bool,
}

impl PredictTab {
    /// The models are read, and the chosen one loaded, when the tab is first shown.
    pub fn new(_ctx: &PaneContext<'_>) -> Self {
        Self {
            choices: Vec::new(),
            choice: 0,
            loaded: None,
            asked: None,
            loading: false,
            fields: Vec::new(),
            focus: 0,
            mode: Mode::Form,
            outcome: None,
            message: None,
            forms: Vec::new(),
            stale: false,
        }
    }

    /// Re-reads the registered models. The choice stays on the same reference; when the
    /// version it names changed (an alias moved), that version is loaded.
    pub fn reload(&mut self, store: &RunStore) -> Option<Action> {
        self.stale = false;
        let versions = match store.model_versions(None) {
            Ok(versions) => versions,
            Err(e) => {
                self.message = Some((true, format!("reading models: {e}")));
                return None;
            }
        };
        let current = self.choices.get(self.choice).map(|c| c.reference.clone());
        self.choices = model_choices(&versions);
        self.choice = current
            .and_then(|r| self.choices.iter().position(|c| c.reference == r))
            .unwrap_or(0);
        self.load_if_moved()
    }

    /// Selects `reference` (the Models tab's Enter), adding it as a choice if need be.
    pub fn open(&mut self, store: &RunStore, reference: &ModelRef) -> Option<Action> {
        let reference = reference.clone();
        // A load the re-read asks for is superseded by the one for `reference`.
        let _ = self.reload(store);
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
        self.load_if_moved()
    }

    /// The load job for the chosen reference when the loaded model is not the version it names.
    fn load_if_moved(&mut self) -> Option<Action> {
        let Some(choice) = self.choices.get(self.choice) else {
            self.loaded = None;
            self.fields.clear();
            return None;
        };
        let current = self
            .loaded
            .as_ref()
            .is_some_and(|l| l.reference == choice.reference && l.version.id == choice.version.id);
        let asked = self.asked.as_ref() == Some(&choice.reference);
        if current || asked {
            return None;
        }
        self.asked = Some(choice.reference.clone());
        self.loading = true;
        Some(Action::Run(Job::LoadModel(choice.reference.clone())))
    }

    fn model_loaded(&mut self, load: &ModelLoad, store: &RunStore) {
        if self.asked.as_ref() == Some(&load.reference) {
            self.asked = None;
        }
        // A load for a choice left since is dropped; the current one is on its way.
        let wanted = self.choices.get(self.choice).map(|c| &c.reference);
        if wanted != Some(&load.reference) {
            return;
        }
        self.loading = false;
        match &load.result {
            Ok((version, model)) => {
                let (version, model) = (version.clone(), Arc::clone(model));
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
                self.loaded = Some(LoadedChoice {
                    reference: load.reference.clone(),
                    version,
                    model,
                });
                self.read_forms(store);
            }
            Err(e) => {
                self.loaded = None;
                self.fields.clear();
                self.outcome = None;
                self.message = Some((true, format!("{}: {e}", load.reference)));
            }
        }
    }

    /// The saved forms of the loaded model.
    fn read_forms(&mut self, store: &RunStore) {
        let Some(loaded) = &self.loaded else {
            return;
        };
        match store.saved_forms(&loaded.version.model_name) {
            Ok(forms) => self.forms = forms,
            Err(e) => self.message = Some((true, format!("reading saved forms: {e}"))),
        }
    }

    fn write(&self, write: StoreWrite) -> Action {
        Action::Write {
            write,
            asked_by: Tab::Predict,
        }
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

    fn cycle(&mut self, forward: bool) -> Option<Action> {
        if self.focus == 0 {
            let n = self.choices.len();
            if n > 1 {
                self.choice = if forward {
                    (self.choice + 1) % n
                } else {
                    (self.choice + n - 1) % n
                };
                return self.load_if_moved();
            }
            return None;
        }
        if let Some(field) = self.focused_field_mut()
            && !field.cycle(forward)
        {
            self.mode = self.edit_mode();
        }
        None
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

    fn edit_key(&mut self, key: &KeyEvent, mut input: TextInput, keys: &Keymap) {
        self.mode = Mode::Form;
        match input.handle_key(key, keys) {
            InputOutcome::Cancelled => {}
            InputOutcome::Accepted => self.predict(),
            InputOutcome::Edited => {
                // The last message is about values that are changing.
                self.message = None;
                if let Some(field) = self.focused_field_mut() {
                    field.value = input.text().to_string();
                    field.recheck();
                }
                self.mode = Mode::Editing(input);
            }
            InputOutcome::Ignored => match key.code {
                KeyCode::Tab | KeyCode::Down => {
                    self.move_focus(true);
                    self.mode = self.text_mode();
                }
                KeyCode::BackTab | KeyCode::Up => {
                    self.move_focus(false);
                    self.mode = self.text_mode();
                }
                _ => self.mode = Mode::Editing(input),
            },
        }
    }

    fn editor(&self) -> Mode {
        Mode::Editing(TextInput::new(
            self.focused_field().map_or(String::new(), |f| f.value.clone()),
        ))
    }

    /// Editing carries on into the next field only if that one is typed too.
    fn text_mode(&self) -> Mode {
        match self.focused_field() {
            Some(field) if field.is_text() => self.editor(),
            _ => Mode::Form,
        }
    }

    /// `e`: type into the focused field, levels included.
    fn edit_mode(&self) -> Mode {
        match self.focused_field() {
            Some(field) if field.is_typeable() => self.editor(),
            _ => Mode::Form,
        }
    }

    fn naming_key(&mut self, key: &KeyEvent, mut name: TextInput, keys: &Keymap) -> Option<Action> {
        self.mode = Mode::Form;
        match name.handle_key(key, keys) {
            InputOutcome::Cancelled => {
                self.message = Some((false, "not saved".into()));
            }
            InputOutcome::Accepted => match (name.text().trim(), &self.loaded) {
                ("", _) => {
                    self.message = Some((true, "a saved form needs a name".into()));
                    self.mode = Mode::Naming(name);
                }
                (trimmed, Some(loaded)) => {
                    return Some(self.write(StoreWrite::SaveForm {
                        model: loaded.version.model_name.clone(),
                        name: trimmed.to_string(),
                        record: form_record(&self.fields),
                    }));
                }
                (_, None) => {}
            },
            InputOutcome::Edited | InputOutcome::Ignored => self.mode = Mode::Naming(name),
        }
        None
    }

    fn saved_key(&mut self, key: &KeyEvent, cursor: usize, keys: &Keymap) {
        let n = self.forms.len();
        self.mode = match keys.lookup(&SAVED_KEYS, key) {
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
            Some(SavedCommand::Delete) if cursor < n => match &self.loaded {
                Some(loaded) => {
                    let name = self.forms[cursor].name.clone();
                    let confirm = Confirm::new(
                        format!("delete saved form '{name}'?"),
                        StoreWrite::DeleteForm {
                            model: loaded.version.model_name.clone(),
                            name,
                        },
                    );
                    self.message = Some((false, confirm.prompt(keys)));
                    Mode::ConfirmDelete(cursor, confirm)
                }
                None => Mode::Saved(cursor),
            },
            Some(SavedCommand::Close) => Mode::Form,
            _ => Mode::Saved(cursor),
        };
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
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        let keys = ctx.keys;
        match std::mem::replace(&mut self.mode, Mode::Form) {
            Mode::Editing(input) => {
                self.edit_key(key, input, keys);
                return EventState::Consumed;
            }
            Mode::Naming(name) => {
                return match self.naming_key(key, name, keys) {
                    Some(action) => EventState::action(action),
                    None => EventState::Consumed,
                };
            }
            Mode::Saved(cursor) => {
                self.saved_key(key, cursor, keys);
                return EventState::Consumed;
            }
            Mode::ConfirmDelete(cursor, confirm) => {
                self.mode = Mode::Saved(cursor.saturating_sub(1));
                return match confirm.answer(key, keys) {
                    Some(write) => EventState::action(self.write(write)),
                    None => {
                        self.message = Some((false, "nothing deleted".into()));
                        EventState::Consumed
                    }
                };
            }
            Mode::Form => {}
        }
        let Some(command) = keys.lookup(&PREDICT_KEYS, key) else {
            return EventState::NotConsumed;
        };
        let follow = match command {
            PredictCommand::Down => {
                self.move_focus(true);
                None
            }
            PredictCommand::Up => {
                self.move_focus(false);
                None
            }
            PredictCommand::First => {
                self.focus = 0;
                None
            }
            PredictCommand::Last => {
                self.focus = self.fields.len();
                None
            }
            PredictCommand::Previous => self.cycle(false),
            PredictCommand::Next => self.cycle(true),
            PredictCommand::Edit => {
                self.mode = self.edit_mode();
                None
            }
            PredictCommand::Predict => {
                self.predict();
                None
            }
            PredictCommand::Save if self.loaded.is_some() => {
                self.message = Some((false, "name the form, Enter saves, Esc cancels".into()));
                self.mode = Mode::Naming(TextInput::default().with_limit(60));
                None
            }
            PredictCommand::Saved if self.loaded.is_some() => {
                if self.forms.is_empty() {
                    self.message =
                        Some((false, "no saved form for this model yet (s saves)".into()));
                } else {
                    self.mode = Mode::Saved(0);
                }
                None
            }
            PredictCommand::Reset => {
                reset_form(&mut self.fields);
                self.outcome = None;
                None
            }
            PredictCommand::Save | PredictCommand::Saved => None,
        };
        match follow {
            Some(action) => EventState::action(action),
            None => EventState::Consumed,
        }
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        let follow = match action {
            Action::ModelLoaded(load) => {
                self.model_loaded(load, ctx.store);
                None
            }
            Action::Open(Target::Predict(reference)) => self.open(ctx.store, reference),
            Action::StoreChanged => {
                self.stale = true;
                None
            }
            Action::Written {
                write,
                asked_by,
                result,
            } => {
                if *asked_by == Tab::Predict {
                    self.message = Some(match result {
                        Ok(text) => (false, text.clone()),
                        Err(text) => (true, text.clone()),
                    });
                    self.read_forms(ctx.store);
                }
                // An alias moved (the Models tab): the form follows it.
                if write.touches_models() && Tab::front(ctx) == Tab::Predict {
                    self.reload(ctx.store)
                } else {
                    None
                }
            }
            _ => None,
        };
        follow.into_iter().collect()
    }

    /// An alias may have moved (Models tab, CLI): the form follows it.
    fn on_show(&mut self, ctx: &PaneContext<'_>) -> Vec<Action> {
        let follow = self.reload(ctx.store);
        self.read_forms(ctx.store);
        follow.into_iter().collect()
    }

    fn on_tick(&mut self, ctx: &PaneContext<'_>) -> Tick {
        if self.stale && Tab::front(ctx) == Tab::Predict {
            return Tick {
                redraw: true,
                actions: self.reload(ctx.store).into_iter().collect(),
            };
        }
        Tick::default()
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx);
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        match self.mode {
            Mode::Saved(_) => keys.help(&SAVED_KEYS),
            Mode::ConfirmDelete(..) => keys.help(&CONFIRM_KEYS),
            Mode::Editing(_) | Mode::Naming(_) => keys.help(&INPUT_KEYS),
            Mode::Form => keys.help(&PREDICT_KEYS),
        }
    }

    fn title(&self) -> &'static str {
        "Predict"
    }

    fn captures_text(&self) -> bool {
        matches!(self.mode, Mode::Editing(_) | Mode::Naming(_))
    }

    fn is_busy(&self) -> bool {
        self.loading
    }
}
