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

mod editing;
mod form;
mod keys;
mod models;
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
use crate::tui::component::{Component, Freshness, EventState, PaneContext, RenderContext, Tick};
use crate::tui::keymap::{KeyHelp, Keymap};
use crate::tui::keymap_file::KeySection;
use crate::tui::panes::Tab;
use crate::tui::widgets::confirm::{CONFIRM_KEYS, Confirm};
use crate::tui::widgets::table::{CursorMove, moved};
use crate::tui::widgets::text_input::{INPUT_KEYS, InputCommand, InputOutcome, TextInput};

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
    /// The last answer's log write, handed to the bus by the key that asked for it.
    to_log: Option<StoreWrite>,
    /// (is an error, text) for the line under the form.
    pub message: Option<(bool, String)>,
    pub forms: Vec<SavedForm>,
    /// Whether another process committed since the pane read the store.
    fresh: Freshness,
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
            to_log: None,
            message: None,
            forms: Vec::new(),
            fresh: Freshness::default(),
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
        // Row 0 is the model; the fields follow.
        let step = if down { CursorMove::Down } else { CursorMove::Up };
        self.focus = moved(self.focus, self.fields.len() + 1, step);
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
                // A lag model's answer is logged by series and date, to score when the actuals
                // arrive.
                self.to_log = crate::monitor::series_of_record(&loaded.model.signature, &record)
                    .map(|(series, date)| StoreWrite::LogPrediction {
                        version_id: loaded.version.id,
                        row: crate::store::LoggedPrediction {
                            input: serde_json::Value::Object(record.clone()).to_string(),
                            output: serde_json::to_string(&prediction).unwrap_or_default(),
                            series_key: Some(series),
                            target_date: Some(date),
                            prediction: Some(prediction.value),
                        },
                    });
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

}

impl Component for PredictTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        let keys = ctx.keys;
        match std::mem::replace(&mut self.mode, Mode::Form) {
            Mode::Editing(input) => {
                self.edit_key(key, input, keys);
                return match self.to_log.take() {
                    Some(write) => EventState::action(self.write(write)),
                    None => EventState::Consumed,
                };
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
                self.to_log.take().map(|write| self.write(write))
            }
            PredictCommand::Save if self.loaded.is_some() => {
                let hint = keys.hint(
                    &INPUT_KEYS,
                    &[(InputCommand::Accept, "saves"), (InputCommand::Cancel, "cancels")],
                );
                self.message = Some((false, format!("name the form: {hint}")));
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
                self.fresh.mark_stale();
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
        if self.fresh.due() && Tab::front(ctx) == Tab::Predict {
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
