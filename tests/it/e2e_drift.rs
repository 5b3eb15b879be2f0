//! End to end, drift: the real binary in tmux on a fresh folder (the sample is written on first
//! run), the Drift tab's check of the drifted half-year run from the keyboard with the verdict
//! shown live, the HTML report on disk, and the terminal left cooked on quit.

use std::time::Duration;

use crate::common::project;
use crate::e2e::Tmux;

#[test]
fn the_drift_tab_flags_the_sample_half_year_from_the_keyboard() {
    if !Tmux::available("drift_tab_end_to_end") {
        return;
    }
    let (_tmp, root) = project();
    let tmux = Tmux::start("drift", &root);
    tmux.wait_for("the sample data", Duration::from_secs(60), |s| {
        s.contains("4 datasets")
    });
    tmux.keys(&["7"]);
    tmux.wait_for("the Drift tab's pair", Duration::from_secs(10), |s| {
        s.contains("Reference ‹ data/sales_weekly.csv ›")
            && s.contains("Current   ‹ data/sales_weekly_2024h1.csv ›")
    });
    tmux.keys(&["Enter"]);
    // A capture can fall between two writes of one frame: wait for the banner and the table.
    tmux.wait_for("the verdict", Duration::from_secs(120), |s| {
        s.contains("DATASET DRIFT: 6 of 11 columns drifted")
            && s.contains("item_id")
            && s.contains("report 1 written to reports/drift-")
    });
    let reports: Vec<_> = std::fs::read_dir(root.join("reports"))
        .expect("reports/")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".html"))
        .collect();
    assert_eq!(reports.len(), 1);
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=")
    });
    assert!(end.contains("SHELFCAST_EXITED=0"), "{end}");
}
