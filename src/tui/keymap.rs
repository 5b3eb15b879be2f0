//! Key bindings as data. Each pane (and the text input, the confirm dialog and the global keys)
//! declares a `KeyTable`: a section name and bindings, each with a name, default keys and a
//! description. Key matching, the help overlay, the footer and every hint read the live
//! `Keymap` — the defaults with the user's overrides from `keys.toml` (see `keymap_file`) — so
//! what help says is what the keys do.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl KeySpec {
    pub const fn plain(code: KeyCode) -> Self {
        Self { code, ctrl: false }
    }

    pub const fn char(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    pub fn matches(&self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl != self.ctrl {
            return false;
        }
        match (self.code, key.code) {
            // Shift+Tab arrives as BackTab on most terminals.
            (KeyCode::BackTab, KeyCode::BackTab) => true,
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b,
            (a, b) => a == b,
        }
    }

    /// How help shows the key: `j`, `↓`, `Ctrl-D`, `Shift-Tab`, `Space`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.ctrl => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Down => "↓".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }

    /// A key as `keys.toml` writes it: `j`, `J`, `ctrl-d`, `down`, `shift-tab`, `space`, `f5`.
    pub fn parse(text: &str) -> Result<KeySpec, String> {
        let lower = text.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("ctrl-").or(lower.strip_prefix("ctrl+")) {
            let mut chars = rest.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => Ok(KeySpec::ctrl(c)),
                _ => Err(format!(
                    "'{text}': Ctrl goes with one letter (ctrl-d, ctrl-u)"
                )),
            };
        }
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(KeySpec::char(c));
        }
        let code = match lower.as_str() {
            "space" => KeyCode::Char(' '),
            "down" => KeyCode::Down,
            "up" => KeyCode::Up,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "pgup" | "pageup" => KeyCode::PageUp,
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "backspace" => KeyCode::Backspace,
            "del" | "delete" => KeyCode::Delete,
            f if f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                return Err(format!(
                    "'{text}' is not a key; write a character (j, /), ctrl-LETTER, or one of \
                     space, enter, esc, tab, shift-tab, up, down, left, right, home, end, pgup, \
                     pgdn, backspace, del, f1…f12"
                ));
            }
        };
        Ok(KeySpec::plain(code))
    }

    /// The key as `keys.toml` writes it (the inverse of `parse`).
    pub fn config_text(&self) -> String {
        if self.ctrl
            && let KeyCode::Char(c) = self.code
        {
            return format!("ctrl-{c}");
        }
        match self.code {
            KeyCode::Char(' ') => "space".into(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::PageDown => "pgdn".into(),
            KeyCode::PageUp => "pgup".into(),
            KeyCode::BackTab => "shift-tab".into(),
            KeyCode::Delete => "del".into(),
            KeyCode::F(n) => format!("f{n}"),
            other => format!("{other:?}").to_ascii_lowercase(),
        }
    }
}

/// A key table as data, one binding a line —
/// `name: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => Command::Down, "what it does";`
/// — under its section name in keys.toml.
macro_rules! key_table {
    ($(#[$meta:meta])* $vis:vis $table:ident: $command:ty = $section:literal {
        $($name:ident: [$($key:expr),+ $(,)?] => $cmd:expr, $desc:literal;)+
    }) => {
        $(#[$meta])*
        $vis const $table: $crate::tui::keymap::KeyTable<$command> =
            $crate::tui::keymap::KeyTable {
                section: $section,
                bindings: &[$($crate::tui::keymap::Binding {
                    name: stringify!($name),
                    keys: &[$($key),+],
                    desc: $desc,
                    command: $cmd,
                }),+],
            };
    };
}
pub(crate) use key_table;

#[derive(Clone, Copy, Debug)]
pub struct Binding<C: Copy> {
    /// The action's name in `keys.toml`.
    pub name: &'static str,
    pub keys: &'static [KeySpec],
    pub desc: &'static str,
    pub command: C,
}

/// A pane's (or a widget's) bindings under its section name in `keys.toml`.
#[derive(Debug)]
pub struct KeyTable<C: Copy + 'static> {
    pub section: &'static str,
    pub bindings: &'static [Binding<C>],
}

/// A line of the help overlay or the footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHelp {
    pub keys: String,
    pub desc: &'static str,
}

/// The keys in force: the bundled defaults with the user's overrides.
#[derive(Clone, Debug, Default)]
pub struct Keymap {
    overrides: HashMap<(String, String), Vec<KeySpec>>,
}

impl Keymap {
    pub(super) fn with_overrides(overrides: HashMap<(String, String), Vec<KeySpec>>) -> Self {
        Self { overrides }
    }

    /// The keys of one binding now.
    pub fn keys_of<C: Copy>(&self, table: &KeyTable<C>, binding: &Binding<C>) -> Vec<KeySpec> {
        self.overrides
            .get(&(table.section.to_string(), binding.name.to_string()))
            .cloned()
            .unwrap_or_else(|| binding.keys.to_vec())
    }

    /// The command `key` is bound to in `table`.
    pub fn lookup<C: Copy>(&self, table: &KeyTable<C>, key: &KeyEvent) -> Option<C> {
        table
            .bindings
            .iter()
            .find(|b| self.keys_of(table, b).iter().any(|k| k.matches(key)))
            .map(|b| b.command)
    }

    /// Every binding of `table` for the help overlay.
    pub fn help<C: Copy>(&self, table: &KeyTable<C>) -> Vec<KeyHelp> {
        table
            .bindings
            .iter()
            .map(|b| KeyHelp {
                keys: self.label(table, b),
                desc: b.desc,
            })
            .collect()
    }

    /// `table`'s bindings for the help overlay without the keys `shadow` (a table looked up
    /// first) takes; a binding left with no key is not listed.
    pub fn help_beside<C: Copy, D: Copy>(
        &self,
        table: &KeyTable<C>,
        shadow: &KeyTable<D>,
    ) -> Vec<KeyHelp> {
        let taken = self.keys_in(shadow);
        table
            .bindings
            .iter()
            .filter_map(|b| {
                let free: Vec<String> = self
                    .keys_of(table, b)
                    .iter()
                    .filter(|k| !taken.contains(k))
                    .map(KeySpec::label)
                    .collect();
                (!free.is_empty()).then(|| KeyHelp {
                    keys: free.join(" / "),
                    desc: b.desc,
                })
            })
            .collect()
    }

    /// How a binding's keys show: `j / ↓`.
    pub fn label<C: Copy>(&self, table: &KeyTable<C>, binding: &Binding<C>) -> String {
        self.keys_of(table, binding)
            .iter()
            .map(KeySpec::label)
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// The first key of the binding for `command`, for hints (`y`, `Enter`).
    pub fn key_for<C: Copy + PartialEq>(&self, table: &KeyTable<C>, command: C) -> String {
        table
            .bindings
            .iter()
            .find(|b| b.command == command)
            .and_then(|b| self.keys_of(table, b).first().map(KeySpec::label))
            .unwrap_or_default()
    }

    /// Every key `table` binds now.
    fn keys_in<D: Copy>(&self, table: &KeyTable<D>) -> Vec<KeySpec> {
        table
            .bindings
            .iter()
            .flat_map(|b| self.keys_of(table, b))
            .collect()
    }

    /// The first key of `command` that `shadow` (a table looked up first) does not take, for a
    /// hint where both tables are live: the run view's grid takes `c`, so cancel shows as `K`.
    pub fn key_for_beside<C: Copy + PartialEq, D: Copy>(
        &self,
        table: &KeyTable<C>,
        command: C,
        shadow: &KeyTable<D>,
    ) -> String {
        let taken = self.keys_in(shadow);
        table
            .bindings
            .iter()
            .find(|b| b.command == command)
            .and_then(|b| {
                self.keys_of(table, b)
                    .into_iter()
                    .find(|k| !taken.contains(k))
                    .map(|k| k.label())
            })
            .unwrap_or_default()
    }

    /// A footer hint from the live keys: `Enter predicts · p promote`, each command's first key
    /// and the words given for it. A command with no words shares the next one's: `← → choose`.
    pub fn hint<C: Copy + PartialEq>(&self, table: &KeyTable<C>, items: &[(C, &str)]) -> String {
        let mut parts = Vec::new();
        let mut keys = Vec::new();
        for (command, words) in items {
            keys.push(self.key_for(table, *command));
            if !words.is_empty() {
                parts.push(format!("{} {words}", keys.join(" ")));
                keys.clear();
            }
        }
        parts.join(" · ")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalCommand {
    Quit,
    ToggleHelp,
    CloseOverlay,
    /// Show the tab at this index.
    Tab(usize),
    /// Move the split of the tab in front.
    Resize {
        wider: bool,
    },
}

key_table! {
    pub GLOBAL_KEYS: GlobalCommand = "global" {
        tab1: [KeySpec::char('1')] => GlobalCommand::Tab(0), "tab 1";
        tab2: [KeySpec::char('2')] => GlobalCommand::Tab(1), "tab 2";
        tab3: [KeySpec::char('3')] => GlobalCommand::Tab(2), "tab 3";
        tab4: [KeySpec::char('4')] => GlobalCommand::Tab(3), "tab 4";
        tab5: [KeySpec::char('5')] => GlobalCommand::Tab(4), "tab 5";
        tab6: [KeySpec::char('6')] => GlobalCommand::Tab(5), "tab 6";
        tab7: [KeySpec::char('7')] => GlobalCommand::Tab(6), "tab 7";
        tab8: [KeySpec::char('8')] => GlobalCommand::Tab(7), "tab 8";
        tab9: [KeySpec::char('9')] => GlobalCommand::Tab(8), "tab 9";
        tab10: [KeySpec::char('0')] => GlobalCommand::Tab(9), "tab 10";
        narrower: [KeySpec::char('<')] => GlobalCommand::Resize { wider: false }, "narrow the left pane of the tab (each tab keeps its own)";
        wider: [KeySpec::char('>')] => GlobalCommand::Resize { wider: true }, "widen the left pane of the tab";
        help: [KeySpec::char('?')] => GlobalCommand::ToggleHelp, "show or hide this help";
        close: [KeySpec::plain(KeyCode::Esc)] => GlobalCommand::CloseOverlay, "close the help";
        quit: [KeySpec::char('q'), KeySpec::ctrl('c')] => GlobalCommand::Quit, "quit";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_as_written() {
        for text in [
            "j",
            "J",
            "/",
            "ctrl-d",
            "down",
            "shift-tab",
            "space",
            "pgdn",
            "f5",
        ] {
            let key = KeySpec::parse(text).expect(text); // invariant: a unit test of known keys
            assert_eq!(KeySpec::parse(&key.config_text()), Ok(key), "{text}");
        }
        assert_eq!(KeySpec::ctrl('c').label(), "Ctrl-C");
        assert_eq!(KeySpec::plain(KeyCode::BackTab).label(), "Shift-Tab");
        assert!(KeySpec::parse("ctrl-down").is_err());
        assert!(KeySpec::parse("hyper").is_err());
    }
}
