//! Changing the Train form: stepping a choice, typing a field, moving the focus, and the feature
//! picker.

use super::*;
use crate::tui::widgets::table::{CursorMove, moved};

impl TrainTab {
    /// The typed field behind a row of the form.
    pub fn text_field(&self, field: Field) -> Option<&TextField> {
        Some(match field {
            Field::Param(i) => &self.params.get(i)?.2,
            Field::Split => &self.split,
            Field::Lookups => &self.lookups,
            Field::Lags => &self.lags,
            Field::Rolling => &self.rolling,
            Field::Groups => &self.groups,
            Field::Backtest => &self.backtest,
            Field::StudyTrials => &self.study_trials,
            Field::Seed => &self.seed,
            Field::Experiment => &self.experiment,
            Field::Name => &self.name,
            Field::SlurmJob => &self.slurm,
            _ => return None,
        })
    }

    pub(super) fn text_mut(&mut self, field: Field) -> Option<&mut TextField> {
        Some(match field {
            Field::Param(i) => &mut self.params.get_mut(i)?.2,
            Field::Split => &mut self.split,
            Field::Lookups => &mut self.lookups,
            Field::Lags => &mut self.lags,
            Field::Rolling => &mut self.rolling,
            Field::Groups => &mut self.groups,
            Field::Backtest => &mut self.backtest,
            Field::StudyTrials => &mut self.study_trials,
            Field::Seed => &mut self.seed,
            Field::Experiment => &mut self.experiment,
            Field::Name => &mut self.name,
            Field::SlurmJob => &mut self.slurm,
            _ => return None,
        })
    }

    pub(super) fn cycle(&mut self, forward: bool) {
        self.message = None;
        let step = |i: usize, n: usize| {
            if n == 0 {
                0
            } else if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }
        };
        match self.focused() {
            Field::Dataset => {
                self.dataset = step(self.dataset, self.datasets.len());
                self.reset_for_dataset();
            }
            Field::Target => {
                let n = self.profile().map_or(0, |p| p.columns.len());
                self.target = step(self.target, n);
                self.ensure_model_fits();
                self.reset_params();
            }
            Field::Task => {
                let all = [TaskChoice::Auto, TaskChoice::Regression, TaskChoice::Binary];
                let i = all.iter().position(|t| *t == self.task).unwrap_or(0);
                self.task = all[step(i, all.len())];
                self.ensure_model_fits();
                self.reset_params();
            }
            Field::Model => {
                let models = ModelKind::for_task(self.task());
                let i = models.iter().position(|m| *m == self.model).unwrap_or(0);
                self.model = models
                    .get(step(i, models.len()))
                    .copied()
                    .unwrap_or(ModelKind::Gbdt);
                self.reset_params();
            }
            Field::Log1p => self.log1p = !self.log1p,
            Field::RunOn => self.toggle_run_on(),
            _ => {}
        }
        self.validate();
    }

    pub(super) fn edit_key(&mut self, key: &KeyEvent, keys: &Keymap) {
        let field = self.focused();
        // The last launch's message is about values that are changing.
        self.message = None;
        let outcome = match self.text_mut(field) {
            Some(text) => text.input.handle_key(key, keys),
            None => InputOutcome::Cancelled,
        };
        match outcome {
            InputOutcome::Accepted | InputOutcome::Cancelled => self.editing = false,
            InputOutcome::Edited => {}
            // Tab and the arrows carry editing on to the next typed field.
            InputOutcome::Ignored => match key.code {
                KeyCode::Tab | KeyCode::Down => {
                    self.move_focus(true);
                    self.editing = self.focused().is_text();
                }
                KeyCode::BackTab | KeyCode::Up => {
                    self.move_focus(false);
                    self.editing = self.focused().is_text();
                }
                _ => {}
            },
        }
        self.validate();
    }

    pub(super) fn move_focus(&mut self, down: bool) {
        let step = if down { CursorMove::Down } else { CursorMove::Up };
        self.focus = moved(self.focus, self.fields().len(), step);
    }

    pub(super) fn picker_key(&mut self, key: &KeyEvent, cursor: usize, keys: &Keymap) -> EventState {
        let n = self.features.len();
        match keys.lookup(&PICKER_KEYS, key) {
            Some(PickerCommand::Down) => self.picker = Some(moved(cursor, n, CursorMove::Down)),
            Some(PickerCommand::Up) => self.picker = Some(moved(cursor, n, CursorMove::Up)),
            Some(PickerCommand::Toggle) => {
                if let Some(flag) = self.features.get_mut(cursor) {
                    *flag = !*flag;
                }
            }
            Some(PickerCommand::All) => self.features.iter_mut().for_each(|f| *f = true),
            Some(PickerCommand::None) => self.features.iter_mut().for_each(|f| *f = false),
            Some(PickerCommand::Close) => self.picker = None,
            None => return EventState::NotConsumed,
        }
        EventState::Consumed
    }
}
