//! End to end, the loop that runs itself, on the sample: the real binary in tmux, the daemon
//! started from the Jobs tab, an interval schedule and two file triggers; dropping the later
//! half-year (appended to the history) into the watched folder produces a drift report, a
//! challenger run and a recorded promotion decision without a keystroke, and the Jobs tab shows
//! them.

use std::time::Duration;

use crate::common::{describe, project, shelfcast};
use crate::e2e::Tmux;

#[test]
fn a_dropped_file_runs_drift_and_a_challenge_by_itself_and_the_jobs_tab_shows_them() {
    if !Tmux::available("jobs_tab_end_to_end") {
        return;
    }
    let (_tmp, root) = project();
    let run = |args: &[&str]| {
        let output = shelfcast(&root, args);
        assert!(output.status.success(), "{args:?}: {}", describe(&output));
        output
    };
    run(&["sample-data"]);
    run(&[
        "train",
        "--data",
        "data/sales_weekly.csv",
        "--target",
        "units_sold",
        "--split",
        "time:week_start:26",
        "--lags",
        "1,2,52",
        "--group",
        "store_id,item_id",
        "--param",
        "objective=poisson",
        "--param",
        "rounds=15",
        "--wait",
    ]);
    run(&["register", "1", "--model", "sales", "--alias", "champion"]);
    run(&[
        "schedule",
        "add",
        "often",
        "--every",
        "5s",
        "--catch-up",
        "skip",
        "drift",
        "--model",
        "sales@champion",
        "--current",
        "data/sales_weekly_2024h1.csv",
    ]);
    run(&[
        "schedule",
        "add",
        "drop-drift",
        "--on-file",
        "data/incoming/*.csv",
        "drift",
        "--model",
        "sales@champion",
    ]);
    run(&[
        "schedule",
        "add",
        "drop-challenge",
        "--on-file",
        "data/incoming/*.csv",
        "challenge",
        "--model",
        "sales",
    ]);

    let tmux = Tmux::start("jobs", &root);
    tmux.wait_for("the app", Duration::from_secs(60), |s| s.contains("9 Jobs"));
    tmux.keys(&["9"]);
    tmux.wait_for("the Jobs tab", Duration::from_secs(10), |s| {
        s.contains("daemon off") && s.contains("drop-challenge")
    });
    tmux.keys(&["S"]);
    tmux.wait_for("the daemon", Duration::from_secs(20), |s| {
        s.contains("daemon on: pid")
    });
    tmux.wait_for(
        "the interval's first drift check",
        Duration::from_secs(60),
        |s| s.contains("often") && s.contains("succeeded"),
    );
    run(&["schedule", "pause", "often"]);

    // The later half-year appended to the history, dropped whole into the watched folder.
    let history = std::fs::read_to_string(root.join("data/sales_weekly.csv")).expect("history");
    let later = std::fs::read_to_string(root.join("data/sales_weekly_2024h1.csv")).expect("later");
    let mut combined = history.clone();
    combined.extend(later.lines().skip(1).map(|l| format!("{l}\n")));
    std::fs::create_dir_all(root.join("data/incoming")).expect("folder");
    let staged = root.join("staged.csv");
    std::fs::write(&staged, combined).expect("staged");
    std::fs::rename(&staged, root.join("data/incoming/through-2024h1.csv")).expect("drop");

    let screen = tmux.wait_for(
        "the drift report and the decision",
        Duration::from_secs(300),
        |s| {
            s.contains("drop-drift")
                && s.contains("drop-challenge")
                && s.contains("champion")
                && (s.contains("promoted") || s.contains("kept the champion"))
        },
    );
    assert!(screen.contains("reports/drift-"), "{screen}");

    let store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    let decisions = store.decisions("sales", 5).expect("decisions");
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    println!("decision: {}", decisions[0].why);
    let runs = store.job_runs(None, 50).expect("runs");
    let drift = runs
        .iter()
        .find(|r| r.schedule_name.as_deref() == Some("drop-drift"))
        .expect("a drift job run");
    assert_eq!(
        drift.input_path.as_deref(),
        Some("data/incoming/through-2024h1.csv")
    );

    // Enter on a job run opens its record and its log.
    tmux.keys(&["Tab", "Enter"]);
    tmux.wait_for("the opened job run", Duration::from_secs(10), |s| {
        s.contains("the daemon's log:")
    });
    // The Models tab shows the decision on the model's timeline, kept or promoted.
    tmux.keys(&["Escape", "5"]);
    tmux.wait_for(
        "the decision in the Models tab",
        Duration::from_secs(10),
        |s| {
            s.contains("Alias history and decisions of sales")
                && (s.contains("decision   kept") || s.contains("decision   promoted"))
        },
    );
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=")
    });
    assert!(end.contains("SHELFCAST_EXITED=0"), "{end}");
    // Whatever the daemon still runs is ended by the stop (and the paused interval's queued slot
    // was skipped by the pause), so the stop never waits out a job.
    run(&["daemon", "stop"]);
}
