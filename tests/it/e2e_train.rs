//! End to end, training: a run launched from the real TUI in tmux and watched live, and a run
//! that outlives the terminal it was started from.

use std::time::{Duration, Instant};

use shelfcast::store::{RunStatus, RunStore};

use crate::common::{bin, project, sales_project};
use crate::e2e::Tmux;
use crate::train::assert_sample_uplift_within;

/// The step the Runs pane's gauge shows ("step N of 300").
fn gauge_step(screen: &str) -> Option<usize> {
    let line = screen.lines().find(|l| l.contains(" of 300"))?;
    let before = line.split(" of 300").next()?;
    before.rsplit("step ").next()?.trim().parse().ok()
}

#[test]
fn tui_trains_gradient_boosting_on_the_sample_live_registers_it_and_predicts_the_uplift() {
    if !Tmux::available("tui_train_end_to_end") {
        return;
    }
    let (_tmp, root) = project();
    let tmux = Tmux::start("train", &root);
    tmux.wait_for(
        "the sample datasets, profiled",
        Duration::from_secs(240),
        |s| s.lines().filter(|l| l.starts_with("│✓ ")).count() == 4,
    );
    // Datasets: select sales_weekly.csv and press t: the Train tab opens on it.
    tmux.keys(&["j"]);
    tmux.wait_for("sales_weekly.csv selected", Duration::from_secs(10), |s| {
        s.contains("156,000 rows × 12 columns · csv")
    });
    tmux.keys(&["t"]);
    tmux.wait_for("the Train form", Duration::from_secs(10), |s| {
        s.contains("‹ sales_weekly.csv ›") && s.contains("‹ units_sold › numeric")
    });
    // objective (row 16) = poisson, split (row 18) = the last 26 weeks.
    for _ in 0..15 {
        tmux.keys(&["j"]);
    }
    tmux.keys(&["e", "C-u", "poisson", "Enter"]);
    tmux.keys(&["j", "j", "e", "C-u", "time:week_start:26", "Enter"]);
    tmux.wait_for("the typed values", Duration::from_secs(10), |s| {
        s.lines()
            .any(|l| l.contains("objective") && l.contains("poisson"))
            && s.contains("time:week_start:26")
    });
    tmux.keys(&["Enter"]);

    // The Runs tab opens on the new run; its gauge moves while the worker trains.
    let first = tmux.wait_for("the run to stream steps", Duration::from_secs(120), |s| {
        s.contains("running") && gauge_step(s).is_some_and(|n| n >= 1)
    });
    assert!(first.contains("Poisson negative log-likelihood"), "{first}");
    let first_step = gauge_step(&first).unwrap_or(0);
    let later = tmux.wait_for("a later step", Duration::from_secs(120), |s| {
        gauge_step(s).is_some_and(|n| n > first_step) || s.contains("finished")
    });
    println!("live: step {first_step}, then {:?}", gauge_step(&later));
    let done = tmux.wait_for("the run to finish", Duration::from_secs(300), |s| {
        s.contains("finished  ")
    });
    assert!(done.contains("Importance (total gain)"), "{done}");
    assert!(done.contains("rmse"), "{done}");
    crate::e2e_predict::register_roll_back_and_predict(&tmux, &root);
    tmux.keys(&["q"]);
    tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=0")
    });
    assert_sample_uplift_within(&root, 1, 0.20);
}

#[test]
fn a_run_started_in_a_terminal_finishes_after_the_terminal_is_killed() {
    if !Tmux::available("run_survives_terminal") {
        return;
    }
    let (_tmp, root) = sales_project(2, 3, 60);
    let command = format!(
        "{} --root {} train --data data/sales.csv --target units --split time:week:8 \
         --param rounds=20000 --param learning_rate=0.001 --wait; sleep 600",
        bin(),
        root.display()
    );
    let tmux = Tmux::run("survive", &command);
    tmux.wait_for("the CLI following the run", Duration::from_secs(60), |s| {
        s.contains("following run 1")
    });
    let db = root.join("runs.db");
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid = loop {
        let store = RunStore::open(&db).expect("open");
        let run = store.get_run(1).expect("run");
        let points = store.metric_history(1, "valid_loss").expect("points").len();
        if run.status == RunStatus::Running && points > 5 {
            break run.pid.expect("pid");
        }
        assert!(
            Instant::now() < deadline,
            "the run never got going: {run:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Close the terminal: the tmux server and everything on its terminals get SIGHUP.
    tmux.kill_server();
    std::thread::sleep(Duration::from_millis(300));
    // Alive, or already done: a fast machine may finish the rounds within the pause.
    let done = RunStore::open(&db)
        .expect("open")
        .get_run(1)
        .expect("run")
        .status
        == RunStatus::Finished;
    assert!(
        done || shelfcast::store::is_shelfcast_alive(pid),
        "the worker died with its terminal"
    );
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let run = RunStore::open(&db).expect("open").get_run(1).expect("run");
        if run.status.is_terminal() {
            assert_eq!(run.status, RunStatus::Finished, "{:?}", run.error);
            break;
        }
        assert!(Instant::now() < deadline, "the run never finished: {run:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let store = RunStore::open(&db).expect("open");
    assert_eq!(
        store.metric_history(1, "valid_loss").expect("points").len(),
        20000
    );
}
