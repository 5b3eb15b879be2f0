//! End to end, the live charts: a gradient-boosting run on the sample trains in its worker while
//! the real TUI in tmux shows its metrics grid — the losses and the system series updating —,
//! log-Y changes the loss chart's labels, the readout cursor moves, and a finished run pinned in
//! the Runs tab is drawn and read out in the live run's grid.

use std::process::Command;
use std::time::Duration;

use crate::common::{bin, describe, project};
use crate::e2e::Tmux;

/// The gauge's step ("step N of 3000").
fn gauge_step(screen: &str) -> Option<usize> {
    let line = screen.lines().find(|l| l.contains(" of 3000"))?;
    line.split(" of 3000")
        .next()?
        .rsplit("step ")
        .next()?
        .trim()
        .parse()
        .ok()
}

/// The readout's step ("step N │ …").
fn readout_step(screen: &str) -> Option<usize> {
    let line = screen
        .lines()
        .find(|l| l.starts_with("step ") && l.contains('│'))?;
    line.strip_prefix("step ")?
        .split_whitespace()
        .next()?
        .replace(',', "")
        .parse()
        .ok()
}

/// The first chart's y labels (left of its axis line).
fn loss_labels(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains("per step"))
        .skip(1)
        .take_while(|l| !l.contains('└'))
        .filter_map(|l| Some(l.split('│').nth(1)?.trim().to_string()))
        .filter(|label| !label.is_empty())
        .collect()
}

fn train(root: &std::path::Path, name: &str, params: &[&str], wait: bool) {
    let mut command = Command::new(bin());
    command.args(["--root"]).arg(root).args([
        "train",
        "--data",
        "data/sales_weekly.csv",
        "--target",
        "units_sold",
        "--name",
        name,
    ]);
    for param in params {
        command.args(["--param", param]);
    }
    if wait {
        command.arg("--wait");
    }
    let output = command.output().expect("run shelfcast train");
    assert!(output.status.success(), "{}", describe(&output));
}

#[test]
fn a_live_run_shows_its_metrics_grid_log_y_a_readout_and_a_pinned_run() {
    if !Tmux::available("live_charts") {
        return;
    }
    let (_tmp, root) = project();
    let tmux = Tmux::start("charts", &root);
    tmux.wait_for("the sample data", Duration::from_secs(120), |s| {
        s.contains("sales_weekly.csv")
    });
    // A finished reference run, then a long live one.
    train(&root, "reference", &["rounds=30"], true);
    train(&root, "live", &["rounds=3000", "learning_rate=0.01"], false);
    tmux.keys(&["3"]);
    tmux.wait_for("both runs", Duration::from_secs(20), |s| {
        s.contains("reference") && s.contains("live")
    });
    // Newest first: live, reference. Pin the reference: it leads the table.
    tmux.keys(&["j", "p"]);
    tmux.wait_for("the pinned run", Duration::from_secs(10), |s| {
        s.contains("◆ run 1 pinned")
    });
    tmux.keys(&["j", "Enter"]);
    let first = tmux.wait_for(
        "the live grid with the system series",
        Duration::from_secs(60),
        |s| {
            s.contains("RMSE per step")
                && s.contains("sys.cpu_percent")
                && s.contains("sys.rss_mb")
                && gauge_step(s).is_some_and(|n| n >= 2)
        },
    );
    let step = gauge_step(&first).unwrap_or(0);
    let later = tmux.wait_for("the grid to update", Duration::from_secs(60), |s| {
        gauge_step(s).is_some_and(|n| n > step + 5)
    });
    assert!(later.contains("charts · "), "{later}");

    // Log-Y on the loss chart: the title says so and the labels change.
    let linear = loss_labels(&later);
    tmux.keys(&["y"]);
    let logged = tmux.wait_for("log-Y", Duration::from_secs(10), |s| {
        s.contains("log · RMSE")
    });
    let logged_labels = loss_labels(&logged);
    assert!(
        !linear.is_empty() && linear != logged_labels,
        "{linear:?} then {logged_labels:?}\n{logged}"
    );

    // The readout: ← starts at the newest point, ← again steps back one; the pinned run is read.
    tmux.keys(&["Left"]);
    let at = tmux.wait_for("the readout", Duration::from_secs(10), |s| {
        readout_step(s).is_some()
    });
    let first_step = readout_step(&at).unwrap_or(0);
    assert!(
        at.contains("◆ run 1"),
        "the pinned run in the live run's grid:\n{at}"
    );
    tmux.keys(&["Left", "Left"]);
    let moved = tmux.wait_for("the readout to move", Duration::from_secs(10), |s| {
        readout_step(s).is_some_and(|n| n + 2 == first_step)
    });
    println!("live run at step {step}; readout moved from {first_step}");
    assert!(moved.contains("best"), "{moved}");

    // Esc drops the cursor; K cancels the live run after a yes.
    tmux.keys(&["Escape", "K"]);
    tmux.wait_for("the question", Duration::from_secs(10), |s| {
        s.contains("cancel run 2")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the run to stop", Duration::from_secs(30), |s| {
        s.contains("killed") || s.contains("cancelled")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=0")
    });
}
