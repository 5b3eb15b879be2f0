//! What each key of the Datasets pane does: moving through files, columns and sample rows,
//! the focus, profiling again and training on the file.

use super::*;
use crate::tui::widgets::table::{CursorMove, moved};

impl DatasetsTab {
    pub(super) fn run_command(&mut self, command: DatasetsCommand) -> Option<Action> {
        match command {
            DatasetsCommand::Down => self.move_by(1),
            DatasetsCommand::Up => self.move_by(-1),
            DatasetsCommand::PageDown => self.move_by(PAGE as isize),
            DatasetsCommand::PageUp => self.move_by(-(PAGE as isize)),
            DatasetsCommand::Top => self.move_by(isize::MIN / 2),
            DatasetsCommand::Bottom => self.move_by(isize::MAX / 2),
            DatasetsCommand::Left => self.scroll_columns(-1),
            DatasetsCommand::Right => self.scroll_columns(1),
            DatasetsCommand::FocusNext => {
                self.focus = match self.focus {
                    Focus::Files => Focus::Columns,
                    Focus::Columns => Focus::Rows,
                    Focus::Rows => Focus::Files,
                }
            }
            DatasetsCommand::FocusPrev => {
                self.focus = match self.focus {
                    Focus::Files => Focus::Rows,
                    Focus::Columns => Focus::Files,
                    Focus::Rows => Focus::Columns,
                }
            }
            DatasetsCommand::Open => {
                if self.focus == Focus::Files {
                    self.focus = Focus::Columns;
                }
            }
            DatasetsCommand::Reprofile => {
                if let Some(i) = self.files_state.selected()
                    && let Some(entry) = self.entries.get_mut(i)
                    && !matches!(entry.state, EntryState::Profiling(_))
                {
                    entry.state = EntryState::Pending;
                    entry.force = true;
                }
                return self.schedule();
            }
            DatasetsCommand::Train => {
                return self
                    .selected()
                    .map(|e| Action::Open(Target::TrainOn(e.file.path.clone())));
            }
        }
        None
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        match self.focus {
            Focus::Files => {
                let len = self.entries.len();
                if len == 0 {
                    return;
                }
                let current = self.files_state.selected().unwrap_or(0);
                let next = moved(current, len, CursorMove::By(delta));
                if Some(next) != self.files_state.selected() {
                    self.select_file(Some(next));
                }
            }
            Focus::Columns => {
                let len = self.selected_profile().map_or(0, |p| p.columns.len());
                if len == 0 {
                    return;
                }
                let current = self.columns_state.selected().unwrap_or(0);
                self.columns_state.select(Some(moved(current, len, CursorMove::By(delta))));
            }
            Focus::Rows => {
                let len = self.selected_profile().map_or(0, |p| p.sample.rows.len());
                self.row_offset = moved(self.row_offset, len.max(1), CursorMove::By(delta));
            }
        }
    }

    pub(super) fn scroll_columns(&mut self, delta: isize) {
        let width = self
            .selected_profile()
            .map_or(0, |p| p.sample.headers.len());
        self.column_offset = moved(self.column_offset, width.max(1), CursorMove::By(delta));
    }
}
