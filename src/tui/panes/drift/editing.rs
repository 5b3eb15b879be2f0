//! Typing a period (checked as typed), and what the Drift tab reads from the store: past
//! reports and the registered models' aliases.

use super::*;

impl DriftTab {
    pub(super) fn edit_key(&mut self, key: &KeyEvent, keys: &Keymap) {
        let Some((field, mut input)) = self.editing.take() else {
            return;
        };
        match input.handle_key(key, keys) {
            InputOutcome::Accepted | InputOutcome::Cancelled => {}
            InputOutcome::Edited | InputOutcome::Ignored => {
                let text = match field {
                    PeriodField::Reference => &mut self.reference_period,
                    PeriodField::Current => &mut self.current_period,
                };
                *text = input.text().to_string();
                self.editing = Some((field, input));
            }
        }
        // Checked as typed: a period that does not parse says so before Enter.
        let text = match field {
            PeriodField::Reference => &self.reference_period,
            PeriodField::Current => &self.current_period,
        };
        self.message = match text.trim() {
            "" => None,
            t => crate::drift::source::Period::parse(t)
                .err()
                .map(|e| (true, e)),
        };
    }

    pub(super) fn start_editing(&mut self, field: PeriodField) {
        let text = match field {
            PeriodField::Reference => &self.reference_period,
            PeriodField::Current => &self.current_period,
        };
        self.editing = Some((field, TextInput::new(text.clone()).with_limit(40)));
    }

    /// Shows past report `id` from the store.
    pub(super) fn open_past(&mut self, store: &RunStore, id: i64) {
        match store.drift_report_json(id) {
            Ok(Some(json)) => match serde_json::from_str::<DriftReport>(&json) {
                Ok(report) => {
                    self.html = self
                        .past
                        .iter()
                        .find(|r| r.id == id)
                        .and_then(|r| r.html_path.clone());
                    self.show(report);
                    self.message = Some((false, format!("past report {id}")));
                }
                Err(e) => self.message = Some((true, format!("report {id} does not read: {e}"))),
            },
            Ok(None) => self.message = Some((true, format!("no report {id}"))),
            Err(e) => self.message = Some((true, e.to_string())),
        }
    }

    /// The registered models' aliases, for the model choice.
    pub(super) fn read_models(&mut self, store: &RunStore) {
        let mut models: Vec<String> = Vec::new();
        for version in store.model_versions(None).unwrap_or_default() {
            for alias in &version.aliases {
                models.push(format!("{}@{alias}", version.model_name));
            }
        }
        models.sort();
        models.dedup();
        let files = self.files.clone();
        self.set_choices(files, models);
    }
}
