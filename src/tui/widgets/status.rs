//! The tab bar (top) and status bar (bottom).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::theme::Theme;

pub fn render_tabs(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    titles: &[&str],
    active: usize,
) {
    // Each tab is named by its digit key (the tenth is 0); the gaps between tabs go first when
    // the bar would not fit the terminal.
    let width: usize = 12 + titles.iter().map(|t| t.chars().count() + 5).sum::<usize>();
    let gap = if width <= area.width as usize {
        " "
    } else {
        ""
    };
    let mut spans = vec![Span::styled(" Shelfcast ", theme.title), Span::raw(" ")];
    for (i, title) in titles.iter().enumerate() {
        let style = if i == active {
            theme.tab_active
        } else {
            theme.tab_inactive
        };
        spans.push(Span::styled(format!(" {} {title} ", (i + 1) % 10), style));
        spans.push(Span::raw(gap));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn render_status(frame: &mut Frame<'_>, area: Rect, theme: &Theme, left: &str, right: &str) {
    let right_width = right.chars().count() as u16 + 1;
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(
        Paragraph::new(format!(" {left}")).style(theme.status_bar),
        left_area,
    );
    frame.render_widget(
        Paragraph::new(Line::from(right.to_string()).right_aligned()).style(theme.status_bar),
        right_area,
    );
}
