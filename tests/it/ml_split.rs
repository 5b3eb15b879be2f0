//! Train / validation splits: seeded random and by time, and the refusals a user can hit.

use chrono::NaiveDate;
use shelfcast::data::load::read_csv;
use shelfcast::ml::MlError;
use shelfcast::ml::split::{SplitSpec, split};

use crate::common::fixtures;

fn weekly() -> polars::prelude::DataFrame {
    read_csv(
        &fixtures().join("small/weekly_sales.csv"),
        None,
        &Default::default(),
        false,
    )
    .expect("fixture")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn specs_parse_and_print_back() {
    for text in ["random:0.2", "time:week:2", "time:week:2024-01-29"] {
        let spec = SplitSpec::parse(text, 7).expect(text);
        assert_eq!(spec.to_string(), text);
    }
    assert_eq!(
        SplitSpec::parse("random:0.25", 9).expect("random"),
        SplitSpec::Random {
            validation_fraction: 0.25,
            seed: 9
        }
    );
    for (bad, why) in [
        ("random:1.5", "between 0 and 1"),
        ("random:x", "not a number"),
        ("time:week:0", "at least one date"),
        ("time:week:July", "cut-off date"),
        ("by-store", "expected random:FRACTION"),
    ] {
        let error = SplitSpec::parse(bad, 0).expect_err(bad).to_string();
        assert!(error.contains(bad) && error.contains(why), "{bad}: {error}");
    }
}

#[test]
fn a_random_split_is_seeded_disjoint_and_complete() {
    let df = weekly();
    let spec = |seed| SplitSpec::Random {
        validation_fraction: 0.25,
        seed,
    };
    let a = split(&df, &spec(42)).expect("split");
    assert_eq!(
        a,
        split(&df, &spec(42)).expect("again"),
        "same seed, same split"
    );
    assert_ne!(
        a.validation,
        split(&df, &spec(43)).expect("other").validation
    );
    assert_eq!(a.validation.len(), 3);
    let mut all: Vec<_> = a.train.iter().chain(&a.validation).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..12).collect::<Vec<_>>());
}

#[test]
fn a_time_split_validates_on_the_future_only() {
    let df = weekly();
    // Dates: Jan 1, 8, 15, 22, 29 and Feb 5 (two rows each). The last two dates are held out.
    let last_two = split(&df, &SplitSpec::parse("time:week:2", 0).expect("spec")).expect("split");
    assert_eq!(last_two.validation, vec![8, 9, 10, 11]);
    assert_eq!(last_two.validation_from, Some(date(2024, 1, 29)));
    assert_eq!(last_two.train_until, Some(date(2024, 1, 22)));
    let from = split(
        &df,
        &SplitSpec::parse("time:week:2024-01-29", 0).expect("spec"),
    )
    .expect("split");
    assert_eq!(from, last_two, "a cut-off date and a count of dates agree");
}

#[test]
fn bad_time_splits_are_refused_naming_what_and_why() {
    let df = weekly();
    let refuse = |text: &str| split(&df, &SplitSpec::parse(text, 0).expect(text)).expect_err(text);

    let error = refuse("time:store:2");
    assert!(matches!(error, MlError::NotADateColumn { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("column 'store' holds str values"),
        "{error}"
    );

    let error = refuse("time:weak:2");
    assert!(error.to_string().contains("no column 'weak'"), "{error}");
    assert!(
        error.to_string().contains("week, store"),
        "the columns are listed: {error}"
    );

    let error = refuse("time:week:6");
    assert!(error.to_string().contains("6 distinct dates"), "{error}");

    let error = refuse("time:week:2030-01-01");
    assert!(error.to_string().contains("0 validation rows"), "{error}");
}

#[test]
fn rows_without_a_date_cannot_be_placed() {
    let (_tmp, root) = crate::common::project();
    let path = root.join("data/gaps.csv");
    std::fs::write(&path, "week,units\n2024-01-01,3\n,4\n2024-01-08,5\n").expect("write");
    let df = read_csv(&path, None, &Default::default(), false).expect("read");
    let error = split(&df, &SplitSpec::parse("time:week:1", 0).expect("spec")).expect_err("gap");
    assert!(
        matches!(error, MlError::MissingDates { rows: 1, .. }),
        "{error}"
    );
}
