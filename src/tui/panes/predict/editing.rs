//! The Predict form's typing modes: a field's value, the name a form is saved under, and the
//! saved-forms list with its delete question.

use super::*;
use crate::tui::widgets::table::{CursorMove, moved};

impl PredictTab {
    pub(super) fn edit_key(&mut self, key: &KeyEvent, mut input: TextInput, keys: &Keymap) {
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

    pub(super) fn editor(&self) -> Mode {
        Mode::Editing(TextInput::new(
            self.focused_field().map_or(String::new(), |f| f.value.clone()),
        ))
    }

    /// Editing carries on into the next field only if that one is typed too.
    pub(super) fn text_mode(&self) -> Mode {
        match self.focused_field() {
            Some(field) if field.is_text() => self.editor(),
            _ => Mode::Form,
        }
    }

    /// `e`: type into the focused field, levels included.
    pub(super) fn edit_mode(&self) -> Mode {
        match self.focused_field() {
            Some(field) if field.is_typeable() => self.editor(),
            _ => Mode::Form,
        }
    }

    pub(super) fn naming_key(&mut self, key: &KeyEvent, mut name: TextInput, keys: &Keymap) -> Option<Action> {
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

    pub(super) fn saved_key(&mut self, key: &KeyEvent, cursor: usize, keys: &Keymap) {
        let n = self.forms.len();
        self.mode = match keys.lookup(&SAVED_KEYS, key) {
            Some(SavedCommand::Down) => Mode::Saved(moved(cursor, n, CursorMove::Down)),
            Some(SavedCommand::Up) => Mode::Saved(moved(cursor, n, CursorMove::Up)),
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
