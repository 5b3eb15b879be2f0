//! Text from data files made safe for a terminal. A cell or a column name can hold an escape
//! sequence that sets the terminal's title, clears the screen or moves the cursor; every face
//! that prints data (the TUI's cells, the CLI's tables and messages) goes through here.

use super::DatasetProfile;

/// A printed cell longer than this is cut, with '…'.
pub const CELL_CHARS: usize = 60;

/// Control characters, and the bidirectional overrides that can make text read backwards
/// (U+202A–U+202E, U+2066–U+2069): never printed as they are.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// For one cell: a line break inside a quoted value shows as '⏎', a tab as a space, and any
/// other control character as '�'.
pub fn printable(text: &str) -> String {
    text.chars()
        .filter(|&c| c != '\r')
        .map(|c| match c {
            '\n' => '⏎',
            '\t' => ' ',
            c if is_unsafe(c) => '�',
            c => c,
        })
        .collect()
}

/// For whole lines of output: line breaks and tabs stay, every other control character
/// (ESC, BEL, CR, the C1 range) shows as '�'.
pub fn terminal_safe(text: &str) -> String {
    if !text.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t') {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if is_unsafe(c) => '�',
            c => c,
        })
        .collect()
}

/// `printable`, cut to `max` characters with '…'.
pub fn printable_capped(text: &str, max: usize) -> String {
    let clean = printable(text);
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

impl DatasetProfile {
    /// Every text of the profile that a face prints, made printable (and cells capped).
    pub fn make_printable(&mut self) {
        for column in &mut self.columns {
            column.name = printable_capped(&column.name, CELL_CHARS);
            for top in &mut column.top {
                top.value = printable_capped(&top.value, CELL_CHARS);
            }
        }
        for note in &mut self.notes {
            *note = printable(note);
        }
        for header in &mut self.sample.headers {
            *header = printable_capped(header, CELL_CHARS);
        }
        for row in &mut self.sample.rows {
            for value in row {
                *value = printable_capped(value, CELL_CHARS);
            }
        }
    }
}
