//! Text for narrow cells, in the terminal and in reports: counts with separators, byte sizes,
//! cuts at the end or in the middle, and data text made safe to print.

use crate::data::DatasetProfile;

/// Text from a data file, made safe for a terminal cell (one rule for every face).
pub use crate::data::printable::printable as clean;

/// Cleans every text of a profile that the pane draws.
pub fn clean_profile(profile: &mut DatasetProfile) {
    profile.make_printable();
}

/// 1234567 -> "1,234,567".
pub fn count_text(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Cuts `text` to `width` characters, marking the cut with '…'.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Cuts `text` to `width` characters in the middle, keeping both ends: file names that share a
/// prefix (`sales_weekly.csv`, `sales_weekly_2024h1.csv`) stay distinguishable.
pub fn truncate_middle(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    if width < 3 {
        return truncate(text, width);
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_cells() {
        assert_eq!(count_text(1_017_209), "1,017,209");
        assert_eq!(count_text(999), "999");
        assert_eq!(bytes_text(33_989_098), "34.0 MB");
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(truncate("Supermarket Type1", 8), "Superma…");
        assert_eq!(
            truncate_middle("sales_weekly_2024h1.csv", 12),
            "sales_…1.csv"
        );
        assert_eq!(truncate_middle("short.csv", 12), "short.csv");
        assert_eq!(
            clean("line one\r\nline two\tx\u{1b}[2J"),
            "line one⏎line two x�[2J"
        );
    }
}
