//! Widgets every pane shares: the one text input, the one confirmation, the one table, the one
//! metrics grid, the resizable split, the help overlay, the tab and status bars, and the
//! bordered box a pane draws in.

pub mod chart_grid;
pub mod confirm;
pub mod help;
pub mod split;
pub mod status;
pub mod table;
pub mod text_input;

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use crate::tui::theme::Theme;

/// A pane's bordered box with its title; a focused one has the accent border.
pub fn pane_block<'a>(title: &str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(Span::styled(format!(" {title} "), theme.title))
}

/// A pane's bottom line: its last message (an error in the error colour, news in the ok colour),
/// else the key hint.
pub fn message_line(
    message: &Option<(bool, String)>,
    hint: String,
    theme: &Theme,
) -> Line<'static> {
    match message {
        Some((true, text)) => Line::styled(text.clone(), theme.error),
        Some((false, text)) => Line::styled(text.clone(), theme.ok),
        None => Line::styled(hint, theme.dim),
    }
}
