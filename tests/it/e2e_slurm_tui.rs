//! End to end on the one-node Slurm cluster (tests/it/slurm_cluster.rs), from the keyboard: the
//! real TUI in tmux, the Train form's "Run on" switched to slurm with a typed job option over
//! `shelfcast.toml`'s `[slurm]`; the run goes out as a batch job with both, the Runs tab opens on
//! it and follows it to `finished` with its metrics.

use std::time::Duration;

use shelfcast::store::{RunStatus, RunStore};

use crate::common::sales_project;
use crate::e2e::Tmux;
use crate::slurm_cluster::SlurmCluster;

#[test]
fn a_run_launched_from_the_train_form_on_slurm_finishes_as_a_batch_job() {
    if !Tmux::available("train_form_on_slurm") {
        return;
    }
    let Some(cluster) = SlurmCluster::start("train_form_on_slurm") else {
        return;
    };
    let (_tmp, root) = sales_project(2, 2, 40);
    std::fs::write(
        root.join("shelfcast.toml"),
        "[slurm]\npartition = \"debug\"\ntime = \"00:05:00\"\n",
    )
    .expect("config");
    let tui = Tmux::start_with(
        "train_form_on_slurm",
        &root,
        &format!("SLURM_CONF={}", cluster.conf().display()),
    );
    tui.wait_for("the app", Duration::from_secs(30), |s| s.contains("Runs"));
    tui.keys(&["2"]);
    tui.wait_for("the Train form", Duration::from_secs(60), |s| {
        s.contains("‹ sales.csv ›") && s.contains("Run on")
    });
    // To the last row (Launch), up to "Run on", Space: slurm, and its options row appears.
    tui.keys(&["j"; 40]);
    tui.keys(&["k", "Space"]);
    tui.wait_for("slurm chosen", Duration::from_secs(10), |s| {
        s.contains("‹ slurm ›") && s.contains("(defaults: partition=debug time=00:05:00)")
    });
    tui.keys(&["j", "e"]);
    tui.type_text("cpus=1 mem=600M");
    tui.keys(&["Enter"]);
    tui.wait_for("the typed options", Duration::from_secs(10), |s| {
        s.contains("Slurm job        cpus=1 mem=600M") && !s.contains('▏')
    });
    tui.keys(&["Enter"]);
    let opened = tui.wait_for(
        "the Runs tab on the run, its Slurm job named",
        Duration::from_secs(60),
        |s| s.contains("slurm job "),
    );
    println!("{opened}");
    let done = tui.wait_for("the run finished", Duration::from_secs(180), |s| {
        s.lines()
            .any(|l| l.starts_with("run 1 ") && l.contains(" finished "))
    });
    println!("{done}");
    assert!(
        done.contains("slurm job ") && !done.contains("PENDING"),
        "{done}"
    );
    assert!(done.contains("Importance (total gain)"), "{done}");
    tui.keys(&["q"]);
    tui.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=0")
    });

    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let run = store.get_run(1).expect("run 1");
    assert_eq!(run.status, RunStatus::Finished);
    assert!(store.last_metric(1, "rmse").expect("metric").is_some());
    assert!(run.slurm_job_id.is_some(), "{run:?}");
    // The batch script asks for the typed options and the project's default alike.
    let script = std::fs::read_to_string(root.join("models/runs/1/slurm.sh")).expect("script");
    for directive in [
        "#SBATCH --partition=debug",
        "#SBATCH --time=00:05:00",
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --mem=600M",
    ] {
        assert!(script.contains(directive), "{directive} in\n{script}");
    }
}
