//! End to end, tuning: a study started from the Train form of the real TUI in tmux, watched live
//! in the Runs tab as its trials train two at once, and its best trial registered with `M`.

use std::time::Duration;

use crate::common::project;
use crate::e2e::Tmux;
use crate::forecast::random_walks;

#[test]
fn a_study_starts_from_the_train_form_is_watched_live_and_its_best_trial_registered() {
    if !Tmux::available("tune_end_to_end") {
        return;
    }
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(20, 100)).expect("data");
    let tmux = Tmux::start("tune", &root);
    tmux.wait_for("the dataset, profiled", Duration::from_secs(120), |s| {
        s.lines()
            .any(|l| l.starts_with("│✓ ") && l.contains("walks.csv"))
    });
    tmux.keys(&["t"]);
    tmux.wait_for("the Train form", Duration::from_secs(10), |s| {
        s.contains("‹ walks.csv ›") && s.contains("Study space")
    });
    // rounds (row 7) = 40; learning_rate and max_depth given as ranges make the form a study;
    // 8 trials, 2 at once, in Study trials (after the other 8 parameters and 6 fields).
    for _ in 0..6 {
        tmux.keys(&["j"]);
    }
    tmux.keys(&["e", "C-u", "40", "Enter", "j", "e", "C-u"]);
    tmux.type_text("log:0.02..0.3");
    tmux.keys(&["Enter", "j", "e", "C-u"]);
    tmux.type_text("int:2..6");
    tmux.keys(&["Enter"]);
    for _ in 0..15 {
        tmux.keys(&["j"]);
    }
    tmux.keys(&["e", "C-u", "8x2", "Enter"]);
    tmux.wait_for("the study fields", Duration::from_secs(10), |s| {
        s.contains("2 tuned: learning_rate, max_depth") && s.contains("8x2")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("trials training live", Duration::from_secs(60), |s| {
        s.contains("best rmse so far, by trial") && s.contains("running")
    });
    let done = tmux.wait_for("the study to finish", Duration::from_secs(240), |s| {
        s.contains(", finished):") && s.contains("best: trial")
    });
    println!(
        "{}",
        done.lines()
            .find(|l| l.contains("trials complete"))
            .unwrap_or_default()
    );
    tmux.keys(&["p"]);
    tmux.wait_for("the parallel coordinates", Duration::from_secs(10), |s| {
        s.contains("parallel coordinates, 8 trials")
    });
    tmux.keys(&["r"]);
    tmux.type_text("walks");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the best trial registered", Duration::from_secs(30), |s| {
        s.contains("is walks version 1")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=0")
    });
}
