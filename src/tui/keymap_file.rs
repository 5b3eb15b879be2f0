//! The user's key overrides: `keys.toml` in `$SHELFCAST_KEYS`, else
//! `$XDG_CONFIG_HOME/shelfcast/keys.toml`, else `~/.config/shelfcast/keys.toml`. One table per
//! section (`[global]`, `[input]`, `[confirm]`, `[runs]`, …), each action given a key or a list
//! of keys; actions not named keep their defaults:
//!
//! ```toml
//! [runs]
//! filter = ["/", "f"]
//! delete = "x"
//!
//! [global]
//! quit = "ctrl-q"
//! ```
//!
//! `shelfcast keys` prints every section with its actions and default keys. A mistake (an
//! unknown section or action, a key that is not one, a key given twice in a section) is refused
//! with the line it is on; the TUI then starts with the default keys and says why.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::keymap::{KeySpec, KeyTable, Keymap};

/// A key table without its command type, for checking and listing.
pub trait KeySection: Sync {
    fn section(&self) -> &'static str;
    /// (name, default keys, description) per binding.
    fn actions(&self) -> Vec<(&'static str, &'static [KeySpec], &'static str)>;
}

impl<C: Copy + Sync> KeySection for KeyTable<C> {
    fn section(&self) -> &'static str {
        self.section
    }

    fn actions(&self) -> Vec<(&'static str, &'static [KeySpec], &'static str)> {
        self.bindings
            .iter()
            .map(|b| (b.name, b.keys, b.desc))
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{}: line {line}: {reason}", path.display())]
pub struct KeymapError {
    pub path: PathBuf,
    pub line: usize,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Keys {
    One(String),
    Many(Vec<String>),
}

type SectionTable = BTreeMap<Spanned<String>, Spanned<Keys>>;

/// Where the overrides are read from.
pub fn keymap_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SHELFCAST_KEYS") {
        return Some(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("shelfcast").join("keys.toml"))
}

/// The keymap from `path` over the defaults of `sections`; no file is the defaults.
pub fn load_keymap(path: &Path, sections: &[&dyn KeySection]) -> Result<Keymap, KeymapError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Keymap::default()),
        Err(e) => {
            return Err(KeymapError {
                path: path.to_path_buf(),
                line: 0,
                reason: format!("cannot read: {e}"),
            });
        }
    };
    parse_keymap(path, &text, sections)
}

/// `text` (a keys.toml) read over the defaults of `sections`.
pub fn parse_keymap(
    path: &Path,
    text: &str,
    sections: &[&dyn KeySection],
) -> Result<Keymap, KeymapError> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let error = |offset: usize, reason: String| KeymapError {
        path: path.to_path_buf(),
        line: line_of(offset),
        reason,
    };
    let parsed: BTreeMap<Spanned<String>, Spanned<SectionTable>> =
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            error(offset, e.message().to_string())
        })?;
    let mut overrides = HashMap::new();
    for (section_name, table) in &parsed {
        let Some(section) = sections
            .iter()
            .find(|s| s.section() == section_name.get_ref())
        else {
            let known: Vec<&str> = sections.iter().map(|s| s.section()).collect();
            let hint = crate::text::nearest(section_name.get_ref(), known.iter().copied())
                .map_or(String::new(), |n| format!("; did you mean [{n}]?"));
            return Err(error(
                section_name.span().start,
                format!(
                    "no section [{}]{hint} (sections: {})",
                    section_name.get_ref(),
                    known.join(", ")
                ),
            ));
        };
        let actions = section.actions();
        let mut bound: Vec<(KeySpec, &str, usize)> = Vec::new();
        for (action, keys) in table.get_ref() {
            let Some((name, _, _)) = actions.iter().find(|(n, _, _)| n == action.get_ref()) else {
                let hint = crate::text::nearest(action.get_ref(), actions.iter().map(|a| a.0))
                    .map_or(String::new(), |n| format!("; did you mean {n}?"));
                return Err(error(
                    action.span().start,
                    format!(
                        "[{}] has no action '{}'{hint} (actions: {})",
                        section.section(),
                        action.get_ref(),
                        actions.iter().map(|a| a.0).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            let texts = match keys.get_ref() {
                Keys::One(one) => vec![one.clone()],
                Keys::Many(many) => many.clone(),
            };
            if texts.is_empty() {
                return Err(error(
                    keys.span().start,
                    format!("{name}: give at least one key"),
                ));
            }
            let mut specs = Vec::new();
            for text in &texts {
                let spec = KeySpec::parse(text)
                    .map_err(|reason| error(keys.span().start, format!("{name}: {reason}")))?;
                if let Some((_, other, _)) = bound.iter().find(|(k, _, _)| *k == spec) {
                    return Err(error(
                        keys.span().start,
                        format!(
                            "{name}: '{text}' is already bound to {other} in [{}]",
                            section.section()
                        ),
                    ));
                }
                bound.push((spec, name, keys.span().start));
                specs.push(spec);
            }
            overrides.insert((section.section().to_string(), name.to_string()), specs);
        }
        // A default key taken by an override elsewhere in the section would match twice.
        for (name, defaults, _) in &actions {
            if overrides.contains_key(&(section.section().to_string(), name.to_string())) {
                continue;
            }
            if let Some((key, other, at)) = defaults
                .iter()
                .find_map(|d| bound.iter().find(|(k, _, _)| k == d))
            {
                return Err(error(
                    *at,
                    format!(
                        "[{}] {other}: '{}' is {name}'s default key; give {name} another key too",
                        section.section(),
                        key.config_text()
                    ),
                ));
            }
        }
    }
    Ok(Keymap::with_overrides(overrides))
}

/// Every section with its actions, default keys and descriptions, as a keys.toml a user can
/// start from (`shelfcast keys`).
pub fn describe_keymap(sections: &[&dyn KeySection]) -> String {
    let mut out = String::from(
        "# Shelfcast keys: copy the lines to change into keys.toml (see `shelfcast keys --help`).\n",
    );
    for section in sections {
        out.push_str(&format!("\n[{}]\n", section.section()));
        for (name, keys, desc) in section.actions() {
            let keys: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "\"{}\"",
                        k.config_text().replace('\\', "\\\\").replace('"', "\\\"")
                    )
                })
                .collect();
            out.push_str(&format!("{name} = [{}]  # {desc}\n", keys.join(", ")));
        }
    }
    out
}

/// The same as JSON, for scripts: `{section: {action: {"keys": [...], "desc": ...}}}`.
pub fn keymap_json(sections: &[&dyn KeySection]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for section in sections {
        let mut actions = serde_json::Map::new();
        for (name, keys, desc) in section.actions() {
            let keys: Vec<String> = keys.iter().map(KeySpec::config_text).collect();
            actions.insert(
                name.to_string(),
                serde_json::json!({"keys": keys, "desc": desc}),
            );
        }
        out.insert(section.section().to_string(), actions.into());
    }
    out.into()
}
