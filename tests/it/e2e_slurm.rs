//! End to end on a one-node Slurm cluster (tests/it/slurm_cluster.rs): `train --on slurm` goes
//! out as a batch job whose output file is the worker log and finishes with its metrics; a run
//! cancelled with `shelfcast cancel` ends `killed`; a run over its `--time` ends `failed` with
//! Slurm's TIMEOUT; a bad `--time` is refused before anything is queued.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use shelfcast::store::{RunStatus, RunStore};

use crate::common::{bin, describe, project};
use crate::slurm_cluster::SlurmCluster;

fn shelfcast_on(cluster: &SlurmCluster, root: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .env("SLURM_CONF", cluster.conf())
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run shelfcast")
}

fn train_on_slurm(cluster: &SlurmCluster, root: &Path, name: &str, extra: &[&str]) -> i64 {
    let mut with = vec!["--on", "slurm"];
    with.extend_from_slice(extra);
    let args = crate::common::sample_train_args(name, &with);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = shelfcast_on(cluster, root, &args);
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Slurm job "), "{stderr}");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no run id: {}", describe(&output)))
}

/// Polls `shelfcast run show` (which reads the scheduler's word) until run `run` is over.
fn wait_until_over(cluster: &SlurmCluster, root: &Path, run: i64, within: Duration) -> RunStatus {
    let deadline = Instant::now() + within;
    loop {
        let shown = shelfcast_on(cluster, root, &["run", "show", &run.to_string()]);
        assert!(shown.status.success(), "{}", describe(&shown));
        let status = RunStore::open(&root.join("runs.db"))
            .expect("store")
            .get_run(run)
            .expect("run")
            .status;
        if status.is_terminal() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "run {run} still {status:?}:\n{}",
            String::from_utf8_lossy(&shown.stdout)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn runs_on_slurm_finish_with_their_metrics_cancel_to_killed_and_time_out_as_failed() {
    let Some(cluster) = SlurmCluster::start("train_on_slurm") else {
        return;
    };
    let (_tmp, root) = project();
    let sample = shelfcast_on(&cluster, &root, &["sample-data"]);
    assert!(sample.status.success(), "{}", describe(&sample));

    let refused = shelfcast_on(
        &cluster,
        &root,
        &[
            "train",
            "--data",
            "data/sales_weekly.csv",
            "--target",
            "units_sold",
            "--on",
            "slurm",
            "--time",
            "90min",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--time 90min"));
    assert!(
        !root.join("runs.db").exists() || {
            let store = RunStore::open(&root.join("runs.db")).expect("store");
            store
                .list_runs(&Default::default())
                .expect("runs")
                .is_empty()
        }
    );

    let finished = train_on_slurm(
        &cluster,
        &root,
        "on-slurm",
        &["--param", "rounds=15", "--time", "00:05:00"],
    );
    let slow = [
        "--param",
        "rounds=100000",
        "--param",
        "learning_rate=0.0001",
    ];
    let to_cancel = train_on_slurm(&cluster, &root, "to-cancel", &slow);
    let mut timed = slow.to_vec();
    timed.extend(["--time", "00:01:00"]);
    let timed_out = train_on_slurm(&cluster, &root, "over-time", &timed);

    assert_eq!(
        wait_until_over(&cluster, &root, finished, Duration::from_secs(180)),
        RunStatus::Finished
    );
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let run = store.get_run(finished).expect("run");
    assert!(run.slurm_job_id.is_some(), "{run:?}");
    let rmse = store.last_metric(finished, "rmse").expect("rmse");
    assert!(
        rmse.is_some_and(|p| p.value > 0.0),
        "a finished run has its metrics"
    );
    assert_eq!(
        store
            .metric_history(finished, "train_loss")
            .expect("curve")
            .len(),
        15
    );
    let log = std::fs::read_to_string(root.join(format!("models/runs/{finished}/worker.log")))
        .expect("the job's output is the worker log");
    assert!(log.contains("finished"), "{log}");

    // Cancel once the worker is going.
    let deadline = Instant::now() + Duration::from_secs(120);
    while store.get_run(to_cancel).expect("run").status != RunStatus::Running {
        assert!(Instant::now() < deadline, "the run to cancel never started");
        std::thread::sleep(Duration::from_millis(300));
    }
    let cancel = shelfcast_on(&cluster, &root, &["cancel", &to_cancel.to_string()]);
    assert!(cancel.status.success(), "{}", describe(&cancel));
    assert_eq!(
        wait_until_over(&cluster, &root, to_cancel, Duration::from_secs(60)),
        RunStatus::Killed
    );

    // Slurm checks limits every half minute or so: a one-minute job ends within three.
    assert_eq!(
        wait_until_over(&cluster, &root, timed_out, Duration::from_secs(240)),
        RunStatus::Failed
    );
    let error = store
        .get_run(timed_out)
        .expect("run")
        .error
        .unwrap_or_default();
    assert!(error.contains("TIMEOUT"), "{error}");
}
