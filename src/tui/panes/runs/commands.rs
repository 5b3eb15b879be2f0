//! What each key of the Runs table does: moving, filtering, sorting, marking, opening, and the
//! edits that become store writes (after a yes where they destroy).

use super::*;

impl RunsTab {
    pub(super) fn run_command(&mut self, command: RunsCommand, ctx: &PaneContext<'_>) -> EventState {
        let in_list = self.open.is_none();
        let store = ctx.store;
        match command {
            RunsCommand::Down if in_list => self.move_selection(CursorMove::Down),
            RunsCommand::Up if in_list => self.move_selection(CursorMove::Up),
            RunsCommand::Top if in_list => self.move_selection(CursorMove::Top),
            RunsCommand::Bottom if in_list => self.move_selection(CursorMove::Bottom),
            RunsCommand::Open if in_list => {
                if let Some(id) = self.selected().map(|r| r.run.id) {
                    self.open_run(store, id);
                }
            }
            RunsCommand::Back if !in_list => self.open = None,
            RunsCommand::Back if !self.filter_text.is_empty() || self.filter_error.is_some() => {
                self.filter_text.clear();
                self.filter = None;
                self.filter_error = None;
                self.reload(store);
            }
            RunsCommand::Back => return EventState::NotConsumed,
            RunsCommand::Filter if in_list => {
                self.input = Some(Input::new(InputKind::Filter, self.filter_text.clone()));
            }
            RunsCommand::Sort if in_list => {
                self.cycle_sort();
                self.reload(store);
            }
            RunsCommand::Reverse if in_list => {
                self.sort.descending = !self.sort.descending;
                self.reload(store);
            }
            RunsCommand::Experiment if in_list => {
                self.experiment = match self.experiment {
                    None if !self.experiments.is_empty() => Some(0),
                    Some(i) if i + 1 < self.experiments.len() => Some(i + 1),
                    _ => None,
                };
                self.reload(store);
            }
            RunsCommand::MetricView if in_list => match self.metric_value {
                MetricValue::Last => {
                    self.metric_value = MetricValue::Best;
                    self.reload(store);
                }
                MetricValue::Best => self.input = Some(Input::new(InputKind::Step, "")),
                MetricValue::AtStep(_) => {
                    self.metric_value = MetricValue::Last;
                    self.reload(store);
                }
            },
            RunsCommand::Mark if in_list => {
                if let Some(id) = self.selected().map(|r| r.run.id) {
                    if !self.marked.remove(&id) {
                        self.marked.insert(id);
                    }
                    self.move_selection(CursorMove::Down);
                }
            }
            RunsCommand::Unmark => self.marked.clear(),
            RunsCommand::Compare => {
                let mut ids: Vec<RunId> = self.marked.iter().copied().collect();
                if ids.len() < 2
                    && let Some(id) = self.focused_id().filter(|id| !ids.contains(id))
                {
                    ids.push(id);
                }
                if ids.len() < 2 {
                    self.message = Some(format!(
                        "mark two or more runs with {} to compare them",
                        ctx.keys.key_for(&RUNS_KEYS, RunsCommand::Mark)
                    ));
                } else {
                    return EventState::action(Action::Open(Target::Compare {
                        runs: ids,
                        filter: self.filter.clone(),
                    }));
                }
            }
            RunsCommand::Rename => {
                if let Some(run) = self.focused_id().and_then(|id| self.run_of(id)) {
                    self.input = Some(Input::new(InputKind::Rename(run.id), run.name.clone()));
                }
            }
            RunsCommand::Tag => {
                if let Some(id) = self.focused_id() {
                    self.input = Some(Input::new(InputKind::Tag(id), ""));
                }
            }
            RunsCommand::Note => {
                if let Some(run) = self.focused_id().and_then(|id| self.run_of(id)) {
                    let note = run.note.clone().unwrap_or_default();
                    self.input = Some(Input::new(InputKind::Note(run.id), note));
                }
            }
            RunsCommand::Delete => {
                let ids = self.targets();
                let live: Vec<RunId> = ids
                    .iter()
                    .copied()
                    .filter(|id| self.run_of(*id).is_some_and(|r| !r.status.is_terminal()))
                    .collect();
                if !live.is_empty() {
                    self.message = Some(format!("cancel run(s) {live:?} before deleting them"));
                } else if !ids.is_empty() {
                    self.ask(
                        ctx.keys,
                        format!(
                            "delete run(s) {ids:?}? They stay recoverable (shelfcast restore) \
                             until purged."
                        ),
                        StoreWrite::DeleteRuns(ids),
                    );
                }
            }
            RunsCommand::Cancel => {
                let target = self
                    .focused_id()
                    .and_then(|id| self.run_of(id))
                    .map(|r| (r.id, r.name.clone(), r.status));
                match target {
                    Some((id, name, status)) if !status.is_terminal() => self.ask(
                        ctx.keys,
                        format!("cancel run {id} ({name})?"),
                        StoreWrite::CancelRun(id),
                    ),
                    Some((id, _, status)) => {
                        self.message = Some(format!("run {id} is already {}", status.as_str()))
                    }
                    None => {}
                }
            }
            RunsCommand::Pin => {
                let pin = self.focused_id().filter(|id| self.pinned != Some(*id));
                self.message = Some(match pin {
                    Some(id) => format!("run {id} pinned: the reference in every chart and table"),
                    None => "unpinned".to_string(),
                });
                return EventState::action(Action::Pin(pin));
            }
            RunsCommand::Register => {
                // A study's run registers its best trial.
                let best = self
                    .open
                    .and(self.detail.study.as_ref())
                    .and_then(|s| s.best())
                    .and_then(|(_, _, run)| run);
                if let Some(id) = best.or_else(|| self.focused_id()) {
                    self.input = Some(Input::new(InputKind::Register(id), ""));
                }
            }
            _ => return EventState::NotConsumed,
        }
        EventState::Consumed
    }

    /// A key of a study's run view.
    pub(super) fn study_command(&mut self, command: StudyCommand) -> EventState {
        let Some(study) = self.detail.study.as_ref() else {
            return EventState::NotConsumed;
        };
        let charts = super::study_view::chart_count(study);
        match command {
            StudyCommand::NextChart => self.study_chart = (self.study_chart + 1) % charts,
            StudyCommand::PreviousChart => {
                self.study_chart = (self.study_chart % charts + charts - 1) % charts
            }
            StudyCommand::RegisterBest => match study.best().and_then(|(_, _, run)| run) {
                Some(id) => self.input = Some(Input::new(InputKind::Register(id), "")),
                None => self.message = Some("no trial is complete yet: nothing to register".into()),
            },
            StudyCommand::Export => {
                let path = self.project.reports_dir().join(format!(
                    "study-{}-{}.svg",
                    crate::files::safe_file_stem(&study.name),
                    chrono::Local::now().format("%Y%m%d-%H%M%S")
                ));
                self.message = Some(
                    match crate::tune::svg::write_study_svg(&path, &study.name, &study.metric, &study.plot) {
                        Ok(()) => format!(
                            "wrote {}",
                            path.strip_prefix(&self.project.root).unwrap_or(&path).display()
                        ),
                        Err(e) => format!("export failed: {e}"),
                    },
                );
            }
        }
        EventState::Consumed
    }

    pub(super) fn ask(&mut self, keys: &Keymap, question: String, write: StoreWrite) {
        let confirm = Confirm::new(question, write);
        self.message = Some(confirm.prompt(keys));
        self.confirm = Some(confirm);
    }

    pub(super) fn cycle_sort(&mut self) {
        let keys = sort_keys(&self.metric_columns);
        let index = keys.iter().position(|k| *k == self.sort.key).unwrap_or(0);
        let key = keys[(index + 1) % keys.len()].clone();
        // Metrics start with the best first; everything else newest / highest first.
        let descending = match &key {
            SortKey::Metric(m) => crate::compare::higher_is_better(m).unwrap_or(false),
            SortKey::Name | SortKey::Experiment | SortKey::Model | SortKey::Status => false,
            _ => true,
        };
        self.sort = RunSort { key, descending };
    }

    /// The runs an action applies to: the marked ones, or else the selected (or open) one.
    pub(super) fn targets(&self) -> Vec<RunId> {
        if let Some(id) = self.open {
            return vec![id];
        }
        if !self.marked.is_empty() {
            return self.marked.iter().copied().collect();
        }
        self.selected().map(|r| vec![r.run.id]).unwrap_or_default()
    }

    pub(super) fn focused_id(&self) -> Option<RunId> {
        self.open.or_else(|| self.selected().map(|r| r.run.id))
    }

    /// The run `id` as the table or the open run view has it.
    pub(super) fn run_of(&self, id: RunId) -> Option<&crate::store::Run> {
        self.rows
            .iter()
            .map(|r| &r.run)
            .find(|r| r.id == id)
            .or(self.detail.run.as_ref().filter(|r| r.id == id))
    }
}

/// The columns the sort key cycles through, in table order.
pub(super) fn sort_keys(metrics: &[String]) -> Vec<SortKey> {
    let mut keys = vec![
        SortKey::Id,
        SortKey::Status,
        SortKey::Experiment,
        SortKey::Name,
        SortKey::Model,
    ];
    keys.extend(metrics.iter().map(|m| SortKey::Metric(m.clone())));
    keys.extend([SortKey::Duration, SortKey::Created]);
    keys
}
