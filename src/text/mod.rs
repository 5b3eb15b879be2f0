//! Text rules shared by every face, owned by none: how far apart two names are and which known
//! name a mistyped one most likely meant ("did you mean params.model?"), the one number
//! formatter (`number`), and text for narrow cells (`cells`).

mod cells;
mod number;

pub use cells::{bytes_text, clean, clean_profile, count_text, truncate, truncate_middle};
pub use number::{Precision, format_number, num_text};

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The candidate nearest `word` (case ignored) within two edits, if any.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&c.to_lowercase(), &word), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| c)
}

/// Text made safe inside HTML (element text and quoted attributes): the one escape of every
/// standalone report.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(super::edit_distance("modl", "model"), 1);
        assert_eq!(super::edit_distance("rmse", "rmse"), 0);
        assert_eq!(super::edit_distance("", "abc"), 3);
        assert_eq!(super::nearest("Price", ["price", "promo"]), Some("price"));
        assert_eq!(super::nearest("zzz", ["price"]), None);
    }
}
