//! The real public datasets in ../shared/data: facts from SOURCES.md that a correct loader and
//! profiler must reproduce. Skipped, saying why, when the folder is absent.

use shelfcast::data::{self, ColumnKind, DatasetFile};

fn profile_of(dir: &std::path::Path, name: &str) -> data::DatasetProfile {
    let file = DatasetFile::from_path(&dir.join(name), dir).expect("stat");
    data::compute_profile(&file, &Default::default(), &|_| {})
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn bigmart_missing_values_are_counted_exactly() {
    let Some(dir) = crate::common::shared_data("bigmart_missing_values") else {
        return;
    };
    let profile = profile_of(&dir, "bigmart_train.csv");
    assert_eq!(profile.rows, 8_523);
    assert_eq!(profile.columns.len(), 12);
    assert_eq!(
        profile.sha256,
        "df538d941791bc82b9003b8c98ac47ccab3dedb0fc915f157607b04ec9b415c3"
    );
    let col = |n: &str| profile.columns.iter().find(|c| c.name == n).expect(n);
    assert_eq!(col("Item_Weight").missing, 1_463);
    assert_eq!(col("Outlet_Size").missing, 2_410);
    assert_eq!(
        col("Item_Visibility").numeric.as_ref().expect("num").zeros,
        526
    );
    assert_eq!(col("Item_Fat_Content").distinct, 5);
    let mean = col("Item_Outlet_Sales").numeric.as_ref().expect("num").mean;
    assert!((mean - 2181.29).abs() < 0.01, "{mean}");
}

#[test]
fn telco_blank_total_charges_are_missing_numbers() {
    let Some(dir) = crate::common::shared_data("telco_blank_total_charges") else {
        return;
    };
    let profile = profile_of(&dir, "telco_customer_churn.csv");
    assert_eq!(profile.rows, 7_043);
    let col = |n: &str| profile.columns.iter().find(|c| c.name == n).expect(n);
    let total = col("TotalCharges");
    assert_eq!(total.kind, ColumnKind::Numeric);
    assert_eq!(total.missing, 11);
    assert!(profile.notes.iter().any(|n| n.contains("TotalCharges")));
    assert_eq!(col("customerID").kind, ColumnKind::Text);
    let churn: Vec<(&str, u64)> = col("Churn")
        .top
        .iter()
        .map(|t| (t.value.as_str(), t.count))
        .collect();
    assert_eq!(churn, vec![("No", 5_174), ("Yes", 1_869)]);
}

#[test]
fn rossmann_head_reads_dates_and_the_mixed_holiday_column() {
    let Some(dir) = crate::common::shared_data("rossmann_head") else {
        return;
    };
    // The full million rows belong to `shelfcast bench profile`; the test uses the real file's
    // first 20,000 rows (debug builds are slow).
    let df = data::load::read_csv(
        &dir.join("rossmann_train.csv"),
        Some(20_000),
        &Default::default(),
        false,
    )
    .expect("read");
    assert_eq!(df.height(), 20_000);
    let columns = data::profile::profile_columns(&df, &|_, _| {}).expect("profile");
    let col = |n: &str| columns.iter().find(|c| c.name == n).expect(n);
    assert_eq!(col("Date").kind, ColumnKind::Date);
    assert_eq!(col("StateHoliday").kind, ColumnKind::Categorical);
    assert_eq!(col("Sales").kind, ColumnKind::Numeric);
    let range = col("Date").date_range.as_ref().expect("range");
    assert_eq!(range.max, "2015-07-31");
}
