//! The one table every pane draws (after bottom's data_table): a titled box, a header row in the
//! theme's header style, the selected row highlighted, scrolled by ratatui's `TableState`, and
//! one set of cursor moves (`move_cursor`) that every list in the TUI shares, clamped to its rows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, Table, TableState};

use super::pane_block;
use crate::tui::theme::Theme;

/// A move of a list's cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorMove {
    Down,
    Up,
    Top,
    Bottom,
    /// This many rows down (negative: up).
    By(isize),
}

/// Moves `state`'s selection over `len` rows, clamped; an empty list has none.
pub fn move_cursor(state: &mut TableState, len: usize, step: CursorMove) {
    if len == 0 {
        state.select(None);
        return;
    }
    let current = state.selected().unwrap_or(0).min(len - 1) as isize;
    let next = match step {
        CursorMove::Down => current + 1,
        CursorMove::Up => current - 1,
        CursorMove::Top => 0,
        CursorMove::Bottom => len as isize - 1,
        CursorMove::By(delta) => current.saturating_add(delta),
    };
    state.select(Some(next.clamp(0, len as isize - 1) as usize));
}

/// The same clamped move for a plain index (forms, pickers).
pub fn moved(index: usize, len: usize, step: CursorMove) -> usize {
    let mut state = TableState::default().with_selected(Some(index));
    move_cursor(&mut state, len, step);
    state.selected().unwrap_or(0)
}

/// A table about to be drawn.
pub struct DataTable<'a> {
    rows: Vec<Row<'a>>,
    widths: Vec<Constraint>,
    header: Option<Row<'a>>,
    title: String,
    focused: bool,
    highlight: bool,
}

impl<'a> DataTable<'a> {
    pub fn new(rows: Vec<Row<'a>>, widths: impl IntoIterator<Item = Constraint>) -> Self {
        Self {
            rows,
            widths: widths.into_iter().collect(),
            header: None,
            title: String::new(),
            focused: false,
            highlight: true,
        }
    }

    /// The header row (styled as headers by `render`).
    pub fn header(mut self, header: Row<'a>) -> Self {
        self.header = Some(header);
        self
    }

    pub fn title(mut self, title: impl Into<String>, focused: bool) -> Self {
        self.title = title.into();
        self.focused = focused;
        self
    }

    /// A table whose rows are not selectable (no highlight).
    pub fn plain(mut self) -> Self {
        self.highlight = false;
        self
    }

    pub fn render(self, frame: &mut Frame<'_>, area: Rect, theme: &Theme, state: &mut TableState) {
        let mut table =
            Table::new(self.rows, self.widths).block(pane_block(&self.title, self.focused, theme));
        if let Some(header) = self.header {
            table = table.header(header.style(theme.header));
        }
        if self.highlight {
            table = table.row_highlight_style(theme.selected);
        }
        frame.render_stateful_widget(table, area, state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_stays_within_the_rows() {
        let mut state = TableState::default();
        move_cursor(&mut state, 3, CursorMove::Up);
        assert_eq!(state.selected(), Some(0));
        move_cursor(&mut state, 3, CursorMove::By(10));
        assert_eq!(state.selected(), Some(2));
        move_cursor(&mut state, 0, CursorMove::Down);
        assert_eq!(state.selected(), None);
        assert_eq!(moved(1, 5, CursorMove::Bottom), 4);
    }
}
