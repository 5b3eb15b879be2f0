//! The contract every pane keeps: it owns its state, handles its keys, updates on actions,
//! renders itself and lists its commands for the help overlay.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::Action;
use super::keymap::KeyHelp;
use super::theme::Theme;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventState {
    Consumed,
    NotConsumed,
}

pub trait Component {
    fn handle_key(&mut self, key: &KeyEvent) -> EventState;
    /// Applies an action meant for this pane; may answer with a follow-up action.
    fn update(&mut self, action: Action) -> Option<Action>;
    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme, spinner: char);
    fn commands(&self) -> Vec<KeyHelp>;
    fn title(&self) -> &'static str;
}
