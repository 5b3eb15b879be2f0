//! End to end, registry and prediction, on the sample: the run trained from the TUI (see
//! `e2e_train`) and a second one become versions of `sales`; one is made champion and the other
//! challenger, the champion is promoted and rolled back, all by keys; then the Predict tab takes
//! a Snacks record, warns about a promotion depth outside training, and once it is fixed shows
//! the prediction with its interval and the promotion what-if — whose uplift at the category's
//! usual depth agrees in sign and within 20% with the truth sample-data wrote.

use std::path::Path;
use std::time::Duration;

use crate::common::train_sample;
use crate::e2e::Tmux;

/// The uplift % on the what-if line "on at {depth}% off".
fn uplift_pct(screen: &str, depth: u32) -> Option<f64> {
    let line = screen
        .lines()
        .find(|l| l.contains(&format!("on at {depth}% off")))?;
    line.split_whitespace()
        .filter_map(|t| t.trim_end_matches('│').strip_suffix('%'))
        .filter_map(|t| t.parse::<f64>().ok())
        .next_back()
}

fn truth_of(root: &Path, category: &str) -> (u32, f64) {
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("data/sample_truth.json")).expect("truth"))
            .expect("json");
    let entry = truth["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["category"] == category)
        .expect("category");
    (
        entry["typical_depth_pct"].as_u64().expect("depth") as u32,
        entry["uplift_pct"].as_f64().expect("uplift"),
    )
}

/// Esc alone: followed at once by another key, a terminal reads the pair as Alt+key.
fn escape(tmux: &Tmux) {
    tmux.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));
}

/// Types `value` into the field being edited and leaves it with Esc, waiting first until the
/// value shows at the cursor (the app has read every key so far), then until the cursor is gone
/// (it read the Esc on its own). Under CI load a fixed pause, and then a wait for the cursor
/// alone (true before the app had even begun editing), let `Esc` and the next key arrive
/// together as Alt+key: the move to the next field was lost and it got the wrong value.
fn type_field(tmux: &Tmux, value: &str) {
    tmux.type_text(value);
    let typed = format!(" {value}▏");
    tmux.wait_for("the value at the cursor", Duration::from_secs(30), |s| {
        s.contains(&typed)
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for(
        "the field to stop taking keys",
        Duration::from_secs(30),
        |s| !s.contains('▏'),
    );
}

/// Continues the session of `e2e_train` once its run 1 finished: see the module's comment.
pub(crate) fn register_roll_back_and_predict(tmux: &Tmux, root: &Path) {
    let wait = Duration::from_secs(30);
    // A second, smaller run, from the command line (the TUI follows the store).
    train_sample(root, 40);
    escape(tmux);
    tmux.keys(&["3"]);
    tmux.wait_for("both runs listed", wait, |s| s.contains("2 runs"));
    // Newest first: run 2 becomes version 1, run 1 (the TUI's, 300 rounds) version 2.
    tmux.keys(&["g", "M"]);
    tmux.wait_for("the register prompt", wait, |s| {
        s.contains("register run 2 as a version of model:")
    });
    tmux.type_text("sales");
    tmux.keys(&["Enter"]);
    tmux.wait_for("run 2 registered", wait, |s| {
        s.contains("run 2 is sales version 1")
    });
    tmux.keys(&["G", "M"]);
    tmux.type_text("sales");
    tmux.keys(&["Enter"]);
    tmux.wait_for("run 1 registered", wait, |s| {
        s.contains("run 1 is sales version 2")
    });

    // Models: version 1 challenger, version 2 champion; promote 1, then roll back to 2.
    tmux.keys(&["5", "h", "y"]);
    tmux.wait_for("a challenger", wait, |s| {
        s.contains("sales@challenger: none → version 1")
    });
    tmux.keys(&["j", "p", "y"]);
    tmux.wait_for("a champion", wait, |s| {
        s.contains("sales@champion: none → version 2")
    });
    tmux.keys(&["k", "p", "y"]);
    tmux.wait_for("the challenger promoted", wait, |s| {
        s.contains("sales@champion: version 2 → version 1")
    });
    tmux.keys(&["b", "y"]);
    let models = tmux.wait_for("the champion rolled back", wait, |s| {
        s.contains("sales@champion: version 1 → version 2")
    });
    assert!(models.contains("rolled back in the Models tab"), "{models}");

    // Predict on the champion: a Snacks record of store S01 (North), item I002 at 2.99.
    tmux.keys(&["6"]);
    tmux.wait_for("the champion loaded", wait, |s| {
        s.contains("sales@champion → sales version 2") && s.contains("checksums verified")
    });
    let (depth, true_pct) = truth_of(root, "Snacks");
    // Rows: 1 week_start, 2 store_id, 3 region, 4 item_id, 5 category, 6 regular_price,
    // 7 price, 8 promo, 9 promo_depth_pct.
    for (row, value) in [
        (2, "S01"),
        (3, "North"),
        (4, "I002"),
        (5, "Snacks"),
        (6, "2.99"),
        (7, "2.24"),
        (8, "1"),
    ] {
        tmux.keys(&["g"]);
        for _ in 0..row {
            tmux.keys(&["j"]);
        }
        tmux.keys(&["e", "C-u"]);
        type_field(tmux, value);
    }
    tmux.keys(&["j", "e", "C-u"]);
    tmux.type_text("90");
    tmux.wait_for("the out-of-range warning", wait, |s| {
        s.contains("90▏") && s.contains("⚠ outside training range 0 … 35")
    });
    tmux.keys(&["C-u"]);
    tmux.type_text(&depth.to_string());
    tmux.wait_for("the warning gone", wait, |s| !s.contains("⚠ outside"));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the prediction and its what-if", wait, |s| {
        s.contains("90% interval") && uplift_pct(s, depth).is_some()
    });
    println!("{screen}");
    assert!(screen.contains("Snacks"), "{screen}");
    assert!(screen.contains("split-conformal"), "{screen}");
    let pct = uplift_pct(&screen, depth).unwrap_or(f64::NAN);
    let deviation = (pct - true_pct).abs() / true_pct.abs();
    println!(
        "Predict tab, Snacks S01 I002 at {depth}% off: uplift {pct:+.1}%, true {true_pct:+.1}%, \
         deviation {:.1}%",
        100.0 * deviation
    );
    assert_eq!(pct.signum(), true_pct.signum(), "the sign of the uplift");
    assert!(deviation <= 0.20, "deviation {:.1}%", 100.0 * deviation);
}
