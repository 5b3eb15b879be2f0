//! The one line editor every pane uses (the filter, run names, tags, notes, form fields,
//! periods, model names): a cursor, ← → Home End, Backspace and Del, Ctrl-U to clear, Ctrl-W to
//! drop the word before the cursor, Enter and Esc. Its keys are a key table like any pane's
//! (`[input]` in keys.toml), so help lists them while a field takes text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use crate::tui::keymap::{KeySpec, Keymap, key_table};
use crate::tui::theme::Theme;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputCommand {
    Accept,
    Cancel,
    Left,
    Right,
    Home,
    End,
    DeleteBack,
    DeleteForward,
    Clear,
    DeleteWord,
}

key_table! {
    pub INPUT_KEYS: InputCommand = "input" {
        accept: [KeySpec::plain(KeyCode::Enter)] => InputCommand::Accept, "done: use the text";
        cancel: [KeySpec::plain(KeyCode::Esc)] => InputCommand::Cancel, "stop typing";
        left: [KeySpec::plain(KeyCode::Left)] => InputCommand::Left, "cursor left";
        right: [KeySpec::plain(KeyCode::Right)] => InputCommand::Right, "cursor right";
        home: [KeySpec::plain(KeyCode::Home), KeySpec::ctrl('a')] => InputCommand::Home, "cursor to the start";
        end: [KeySpec::plain(KeyCode::End), KeySpec::ctrl('e')] => InputCommand::End, "cursor to the end";
        delete_back: [KeySpec::plain(KeyCode::Backspace)] => InputCommand::DeleteBack, "delete before the cursor";
        delete_forward: [KeySpec::plain(KeyCode::Delete)] => InputCommand::DeleteForward, "delete under the cursor";
        clear: [KeySpec::ctrl('u')] => InputCommand::Clear, "clear the text";
        delete_word: [KeySpec::ctrl('w')] => InputCommand::DeleteWord, "delete the word before the cursor";
    }
}

/// What a key did to the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputOutcome {
    /// The text or the cursor changed.
    Edited,
    /// Enter: the text is wanted.
    Accepted,
    /// Esc.
    Cancelled,
    /// Not an editing key (Tab, ↑ ↓ in a form): the pane decides.
    Ignored,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// In characters, 0..=len.
    cursor: usize,
    /// The most characters it takes (0: no limit).
    limit: usize,
}

impl TextInput {
    /// An input holding `text`, the cursor at its end.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.chars().count();
        Self {
            text,
            cursor,
            limit: 0,
        }
    }

    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Replaces the text, the cursor at its end.
    pub fn set(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.cursor = self.text.chars().count();
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn handle_key(&mut self, key: &KeyEvent, keys: &Keymap) -> InputOutcome {
        let len = self.text.chars().count();
        match keys.lookup(&INPUT_KEYS, key) {
            Some(InputCommand::Accept) => return InputOutcome::Accepted,
            Some(InputCommand::Cancel) => return InputOutcome::Cancelled,
            Some(InputCommand::Left) => self.cursor = self.cursor.saturating_sub(1),
            Some(InputCommand::Right) => self.cursor = (self.cursor + 1).min(len),
            Some(InputCommand::Home) => self.cursor = 0,
            Some(InputCommand::End) => self.cursor = len,
            Some(InputCommand::DeleteBack) if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            Some(InputCommand::DeleteForward) if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            Some(InputCommand::DeleteBack | InputCommand::DeleteForward) => {}
            Some(InputCommand::Clear) => {
                self.text.clear();
                self.cursor = 0;
            }
            Some(InputCommand::DeleteWord) => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                let (from, to) = (self.byte_at(start), self.byte_at(self.cursor));
                self.text.replace_range(from..to, "");
                self.cursor = start;
            }
            None => match key.code {
                KeyCode::Char(c)
                    if !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    if self.limit > 0 && len >= self.limit {
                        return InputOutcome::Edited;
                    }
                    let at = self.byte_at(self.cursor);
                    self.text.insert(at, c);
                    self.cursor += 1;
                }
                _ => return InputOutcome::Ignored,
            },
        }
        InputOutcome::Edited
    }

    /// The text with the cursor drawn as a bar before the character it is on.
    pub fn spans(&self, theme: &Theme) -> Line<'static> {
        let at = self.byte_at(self.cursor);
        Line::from(vec![
            Span::raw(self.text[..at].to_string()),
            Span::styled("▏", theme.key),
            Span::raw(self.text[at..].to_string()),
        ])
    }

    /// The text with the cursor as `▏`, for a line built by hand.
    pub fn with_cursor(&self) -> String {
        let at = self.byte_at(self.cursor);
        format!("{}▏{}", &self.text[..at], &self.text[at..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(input: &mut TextInput, code: KeyCode, modifiers: KeyModifiers) -> InputOutcome {
        input.handle_key(&KeyEvent::new(code, modifiers), &Keymap::default())
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut input = TextInput::new("price 2.49");
        let none = KeyModifiers::NONE;
        press(&mut input, KeyCode::Home, none);
        press(&mut input, KeyCode::Char('€'), none);
        assert_eq!(input.text(), "€price 2.49");
        press(&mut input, KeyCode::End, none);
        press(&mut input, KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(input.text(), "€price ");
        press(&mut input, KeyCode::Left, none);
        press(&mut input, KeyCode::Backspace, none);
        assert_eq!(input.text(), "€pric ");
        press(&mut input, KeyCode::Delete, none);
        assert_eq!(input.text(), "€pric");
        assert_eq!(press(&mut input, KeyCode::Tab, none), InputOutcome::Ignored);
        assert_eq!(
            press(&mut input, KeyCode::Enter, none),
            InputOutcome::Accepted
        );
        press(&mut input, KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(input.text(), "");
        let mut short = TextInput::new("ab").with_limit(2);
        press(&mut short, KeyCode::Char('c'), none);
        assert_eq!(short.text(), "ab");
    }
}
