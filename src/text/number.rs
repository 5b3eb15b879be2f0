//! The one number formatter: every face (terminal cells, CLI output, HTML reports) writes a
//! number through `format_number`, so a metric reads the same wherever it is shown.

use super::cells::count_text;

/// How much of a number to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// At most about 9 characters, for a table cell: integers as they are (with separators),
    /// large values with a suffix, small ones with 2 to 4 decimals.
    Cell,
    /// This many significant digits: enough to compare runs, short enough to read.
    Significant(u8),
    /// A test score: 4 decimals, scientific below 1e-4, zero as "0".
    Score,
    /// Integers without a fraction, others in the shortest form that reads back the same
    /// (a data cell as the file holds it).
    Exact,
}

/// `v` as text at `precision`; a value that is not finite is "–" in a cell, as Rust prints it
/// elsewhere.
pub fn format_number(v: f64, precision: Precision) -> String {
    match precision {
        Precision::Cell => cell(v),
        Precision::Significant(digits) => significant(v, digits),
        Precision::Score => {
            if v == 0.0 {
                "0".into()
            } else if v.abs() < 1e-4 {
                format!("{v:.2e}")
            } else {
                format!("{v:.4}")
            }
        }
        Precision::Exact => {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", v as i64)
            } else {
                format!("{v}")
            }
        }
    }
}

/// A number for a terminal cell (`Precision::Cell`).
pub fn num_text(v: f64) -> String {
    format_number(v, Precision::Cell)
}

fn significant(value: f64, digits: u8) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let decimals = i32::from(digits) - 1 - value.abs().log10().floor() as i32;
    format!("{value:.*}", decimals.clamp(0, 12) as usize)
}

fn cell(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let abs = v.abs();
    if abs >= 1e9 {
        return format!("{:.2}G", v / 1e9);
    }
    if abs >= 1e6 {
        return format!("{:.2}M", v / 1e6);
    }
    if v.fract() == 0.0 {
        let text = count_text(abs as u64);
        return if v < 0.0 { format!("-{text}") } else { text };
    }
    if abs >= 1000.0 {
        format!("{v:.1}")
    } else if abs >= 1.0 {
        format!("{v:.2}")
    } else if abs < 1e-3 {
        // Four decimals would print -0.0000015 as "-0.": a tiny value is scientific.
        format!("{v:.1e}")
    } else {
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_formatter_for_every_face() {
        assert_eq!(num_text(5773.819), "5773.8");
        assert_eq!(num_text(0.066), "0.066");
        assert_eq!(num_text(0.99), "0.99");
        assert_eq!(num_text(-0.0000146), "-1.5e-5");
        assert_eq!(num_text(0.0005), "5.0e-4");
        assert_eq!(num_text(-12.0), "-12");
        assert_eq!(num_text(2_500_000.0), "2.50M");
        assert_eq!(
            format_number(0.123456789, Precision::Significant(6)),
            "0.123457"
        );
        assert_eq!(
            format_number(5773.81912, Precision::Significant(6)),
            "5773.82"
        );
        assert_eq!(format_number(0.0, Precision::Score), "0");
        assert_eq!(format_number(0.00001234, Precision::Score), "1.23e-5");
        assert_eq!(format_number(0.5, Precision::Score), "0.5000");
        assert_eq!(format_number(12.0, Precision::Exact), "12");
        assert_eq!(format_number(0.1, Precision::Exact), "0.1");
    }
}
