//! Which model the Predict form is on: the choices (each model's aliases, then its versions),
//! following an alias that moved, and loading the chosen version off the UI task.

use super::*;

impl PredictTab {
    /// Re-reads the registered models. The choice stays on the same reference; when the
    /// version it names changed (an alias moved), that version is loaded.
    pub(super) fn reload(&mut self, store: &RunStore) -> Option<Action> {
        self.fresh.read();
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
    pub(super) fn open(&mut self, store: &RunStore, reference: &ModelRef) -> Option<Action> {
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
    pub(super) fn load_if_moved(&mut self) -> Option<Action> {
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

    pub(super) fn model_loaded(&mut self, load: &ModelLoad, store: &RunStore) {
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
                self.fields = build_form(&model.signature, &self.fields, model.history.is_some());
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
}

/// The references the first row steps through: each model's aliases, then its active versions.
pub(super) fn model_choices(versions: &[ModelVersion]) -> Vec<ModelChoice> {
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
