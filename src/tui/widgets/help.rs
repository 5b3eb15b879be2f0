//! The `?` overlay: the keys of the current pane and the global keys, generated from the live
//! keymap tables.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::keymap::KeyHelp;
use crate::tui::theme::Theme;

pub fn render_help(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    pane: &str,
    pane_keys: &[KeyHelp],
    global_keys: &[KeyHelp],
    close_keys: &str,
) {
    let key_width = pane_keys
        .iter()
        .chain(global_keys)
        .map(|k| k.keys.chars().count())
        .max()
        .unwrap_or(4);
    let line = |k: &KeyHelp| {
        Line::from(vec![
            Span::styled(format!("  {:<key_width$}  ", k.keys), theme.key),
            Span::raw(k.desc),
        ])
    };
    let mut lines = vec![Line::styled(format!("{pane} pane"), theme.header)];
    lines.extend(pane_keys.iter().map(line));
    lines.push(Line::from(""));
    lines.push(Line::styled("Everywhere", theme.header));
    // The tab keys (single digits) take one line: their names are in the top bar.
    let tabs: Vec<&KeyHelp> = global_keys
        .iter()
        .filter(|k| k.keys.len() == 1 && k.keys.chars().all(|c| c.is_ascii_digit()))
        .collect();
    if let (Some(first), Some(last)) = (tabs.first(), tabs.last()) {
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {:<key_width$}  ",
                    format!("{} … {}", first.keys, last.keys)
                ),
                theme.key,
            ),
            Span::raw("the tabs, as numbered in the top bar"),
        ]));
    }
    lines.extend(
        global_keys
            .iter()
            .filter(|k| !tabs.iter().any(|t| t.keys == k.keys))
            .map(line),
    );
    let width = lines.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 4;
    let height = lines.len() as u16 + 2;
    let [vertical] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(vertical);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border_focused)
                .title(Span::styled(
                    format!(" Keys — {close_keys} to close "),
                    theme.title,
                )),
        ),
        popup,
    );
}
