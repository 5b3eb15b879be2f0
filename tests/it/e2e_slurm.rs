//! End to end on a one-node Slurm cluster (tests/it/slurm_cluster.rs): `train --on slurm` goes
//! out as a batch job whose output file is the worker log and finishes with its metrics; a run
//! cancelled with `shelfcast cancel` ends `killed`; a run over its `--time` ends `failed` with
//! Slurm's TIMEOUT; a bad `--time` is refused before anything is queued; a six-trial study goes
//! out as one job array, two tasks at once; a daemon's retrain goes to Slurm as its schedule says.

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

/// `tune --on slurm`: the study's six trials go out as one job array, two at once (`%2`);
/// each task takes one trial and names itself as the trial's job; all six finish.
#[test]
fn a_six_trial_study_goes_out_as_one_job_array_two_tasks_at_once() {
    let Some(cluster) = SlurmCluster::start("tune_on_slurm") else {
        return;
    };
    let (_tmp, root) = project();
    let sample = shelfcast_on(&cluster, &root, &["sample-data"]);
    assert!(sample.status.success(), "{}", describe(&sample));
    let mut args = crate::common::sample_train_args("arr", &[]);
    args[0] = "tune".into();
    args.retain(|a| a != "--name" && a != "arr");
    args.extend(
        [
            "--param",
            "rounds=30",
            "--space",
            "learning_rate=log:0.05..0.3,max_depth=int:2..5",
            "--trials",
            "6",
            "--parallel",
            "2",
            "--pruner",
            "none",
            "--study",
            "arr",
            "--on",
            "slurm",
            "--time",
            "00:05:00",
        ]
        .map(String::from),
    );
    let mut tune = Command::new(bin())
        .env("SLURM_CONF", cluster.conf())
        .arg("--root")
        .arg(&root)
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tune");
    let deadline = Instant::now() + Duration::from_secs(360);
    let mut most_at_once = 0;
    while tune.try_wait().expect("tune").is_none() {
        if Instant::now() > deadline {
            let _ = tune.kill();
            panic!("the study did not finish in 6 minutes");
        }
        // Never more than two of the study's tasks at once, by Slurm's word.
        let running = cluster
            .output("squeue", &["-h", "-t", "R", "-o", "%i"])
            .lines()
            .filter(|l| l.contains('_'))
            .count();
        most_at_once = most_at_once.max(running);
        assert!(running <= 2, "{running} of the study's tasks ran at once");
        std::thread::sleep(Duration::from_millis(250));
    }
    let output = tune.wait_with_output().expect("tune output");
    assert!(output.status.success(), "{}", describe(&output));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("trials go out as Slurm job array"), "{said}");
    assert!(most_at_once >= 1, "no task was ever seen running");

    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let study = store.study("arr").expect("study");
    let array = store
        .tags(study.run_id)
        .expect("tags")
        .into_iter()
        .find(|(k, _)| k == "slurm.array_job")
        .map(|(_, v)| v)
        .expect("the study records its array");
    let trials = store.trials(study.id).expect("trials");
    assert_eq!(trials.len(), 6);
    let mut tasks = Vec::new();
    for trial in &trials {
        assert_eq!(
            trial.state,
            shelfcast::store::TrialState::Complete,
            "{trial:?}"
        );
        let run = store.get_run(trial.run_id.expect("a run")).expect("run");
        let job = run.slurm_job_id.clone().expect("the trial's job");
        let task = job
            .strip_prefix(&format!("{array}_"))
            .unwrap_or_else(|| panic!("trial job {job} is not a task of array {array}"));
        tasks.push(task.to_string());
        let log = std::fs::read_to_string(root.join(format!("models/runs/{}/worker.log", run.id)))
            .expect("the trial's log");
        assert!(
            log.contains(&format!("Slurm task {job} took trial run {}", run.id)),
            "{log}"
        );
    }
    tasks.sort();
    tasks.dedup();
    assert_eq!(tasks.len(), 6, "one task a trial: {tasks:?}");
    // The array was submitted with its throttle: six tasks, two at once.
    let shown = cluster.output("scontrol", &["show", "job", &format!("{array}_0")]);
    assert!(shown.contains("ArrayTaskThrottle=2"), "{shown}");
    let script =
        std::fs::read_to_string(root.join(format!("models/runs/{}/slurm-array.sh", study.run_id)))
            .expect("the array's script");
    assert!(
        script.contains(&format!("worker --next-trial-of {}", study.run_id)),
        "{script}"
    );
}

/// A schedule's retrain `--on slurm`: the daemon's job sends its worker to Slurm as the
/// schedule stored it, and waits for it by the scheduler's word.
#[test]
fn a_daemon_retrain_goes_to_slurm_as_its_schedule_says() {
    let Some(cluster) = SlurmCluster::start("daemon_on_slurm") else {
        return;
    };
    let (_tmp, root) = project();
    let sample = shelfcast_on(&cluster, &root, &["sample-data"]);
    assert!(sample.status.success(), "{}", describe(&sample));
    let args = crate::common::sample_train_args("here", &["--param", "rounds=10", "--wait"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let trained = shelfcast_on(&cluster, &root, &args);
    assert!(trained.status.success(), "{}", describe(&trained));
    let like = String::from_utf8_lossy(&trained.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let added = shelfcast_on(
        &cluster,
        &root,
        &[
            "schedule", "add", "weekly", "--every", "1w", "retrain", "--like", &like, "--on",
            "slurm", "--time", "00:05:00",
        ],
    );
    assert!(added.status.success(), "{}", describe(&added));
    let listed = shelfcast_on(&cluster, &root, &["schedule", "list"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("on Slurm (time 00:05:00)"),
        "{}",
        describe(&listed)
    );
    let now = shelfcast_on(&cluster, &root, &["schedule", "run", "weekly"]);
    assert!(now.status.success(), "{}", describe(&now));
    let started = shelfcast_on(&cluster, &root, &["daemon", "start"]);
    assert!(started.status.success(), "{}", describe(&started));

    let deadline = Instant::now() + Duration::from_secs(240);
    let produced = loop {
        let history = shelfcast_on(&cluster, &root, &["schedule", "history", "--json"]);
        let runs: serde_json::Value = serde_json::from_slice(&history.stdout).expect("json");
        let done = runs.as_array().and_then(|runs| {
            runs.iter()
                .find(|r| {
                    r["schedule_name"] == "weekly"
                        && r["state"] != "queued"
                        && r["state"] != "running"
                })
                .cloned()
        });
        if let Some(done) = done {
            assert_eq!(done["state"], "succeeded", "{done:#}");
            break done["produced_json"].as_str().unwrap_or("").to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the retrain did not end: {runs:#}\n{}",
            std::fs::read_to_string(root.join("models/daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let stopped = shelfcast_on(&cluster, &root, &["daemon", "stop"]);
    assert!(stopped.status.success(), "{}", describe(&stopped));
    let produced: serde_json::Value = serde_json::from_str(&produced).expect("produced");
    let run = produced["runs"][0].as_i64().expect("the retrained run");
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let record = store.get_run(run).expect("run");
    assert_eq!(record.status, RunStatus::Finished, "{record:?}");
    assert!(
        record.slurm_job_id.is_some(),
        "the retrain went to Slurm: {record:?}"
    );
}

/// The Runs tab in the real TUI shows the scheduler's word: a run waiting behind a job that
/// holds the node's CPUs is `PENDING (Resources)`, and it runs and finishes once they are free.
#[test]
fn the_runs_tab_shows_a_run_pending_in_the_slurm_queue_then_finished() {
    if !crate::e2e::Tmux::available("runs_tab_slurm_queue") {
        return;
    }
    let Some(cluster) = SlurmCluster::start("runs_tab_slurm_queue") else {
        return;
    };
    let (_tmp, root) = project();
    let sample = shelfcast_on(&cluster, &root, &["sample-data"]);
    assert!(sample.status.success(), "{}", describe(&sample));
    // A job that holds both of the node's CPUs for as long as the test needs.
    let out = cluster.folder().display().to_string();
    let blocker = cluster
        .output(
            "sbatch",
            &[
                "--parsable",
                "--cpus-per-task=2",
                &format!("--output={out}/blocker.out"),
                "--wrap",
                "sleep 300",
            ],
        )
        .trim()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cluster
        .output("squeue", &["-h", "-j", &blocker, "-o", "%T"])
        .contains("RUNNING")
    {
        assert!(Instant::now() < deadline, "the blocking job never ran");
        std::thread::sleep(Duration::from_millis(300));
    }
    let run = train_on_slurm(&cluster, &root, "behind", &["--param", "rounds=10"]);
    let tui = crate::e2e::Tmux::start_with(
        "runs_tab_slurm_queue",
        &root,
        &format!("SLURM_CONF={}", cluster.conf().display()),
    );
    tui.wait_for("the app", Duration::from_secs(30), |s| s.contains("Runs"));
    tui.keys(&["3"]);
    let seen = tui.wait_for("the run pending", Duration::from_secs(60), |s| {
        s.contains("behind") && s.contains("PENDING (Resources)")
    });
    // The row says PENDING; the line over the table names the selected run's job and reason.
    assert!(seen.contains(" PENDING  "), "{seen}");
    assert!(seen.contains(&format!("run {run} · slurm job ")), "{seen}");
    cluster.output("scancel", &[&blocker]);
    tui.wait_for("the run finished", Duration::from_secs(180), |s| {
        s.contains("behind") && s.contains("finished") && !s.contains("PENDING")
    });
    tui.keys(&["q"]);
    tui.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=0")
    });
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    assert_eq!(store.get_run(run).expect("run").status, RunStatus::Finished);
}

/// A run over its `--mem` is killed by Slurm and ends `failed`, out of memory (this cluster
/// polls memory (OverMemoryKill, no cgroups), so Slurm says FAILED and slurmstepd "Exceeded
/// job memory limit", which the run's error names; a cgroup site's OUT_OF_MEMORY is passed
/// on); a run whose node is lost (set DOWN under it) ends `failed` with NODE_FAIL.
#[test]
fn runs_over_their_memory_or_on_a_lost_node_end_failed_with_why() {
    let Some(cluster) = SlurmCluster::start("oom_on_slurm") else {
        return;
    };
    let (_tmp, root) = project();
    let sample = shelfcast_on(&cluster, &root, &["sample-data"]);
    assert!(sample.status.success(), "{}", describe(&sample));
    let run = train_on_slurm(
        &cluster,
        &root,
        "over-memory",
        &["--param", "rounds=200", "--mem", "120M"],
    );
    assert_eq!(
        wait_until_over(&cluster, &root, run, Duration::from_secs(180)),
        RunStatus::Failed
    );
    let error = RunStore::open(&root.join("runs.db"))
        .expect("store")
        .get_run(run)
        .expect("run")
        .error
        .unwrap_or_default();
    assert!(
        error.contains("Exceeded job memory limit") && error.contains("out of memory"),
        "{error}"
    );

    // The node lost under a running run.
    let slow = [
        "--param",
        "rounds=100000",
        "--param",
        "learning_rate=0.0001",
    ];
    let lost = train_on_slurm(&cluster, &root, "node-lost", &slow);
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let deadline = Instant::now() + Duration::from_secs(120);
    while store.get_run(lost).expect("run").status != RunStatus::Running {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(300));
    }
    let node = cluster
        .output("squeue", &["-h", "-o", "%N"])
        .trim()
        .to_string();
    assert!(!node.is_empty(), "the running job's node");
    cluster.output(
        "scontrol",
        &[
            "update",
            &format!("NodeName={node}"),
            "State=DOWN",
            "Reason=lost",
        ],
    );
    assert_eq!(
        wait_until_over(&cluster, &root, lost, Duration::from_secs(120)),
        RunStatus::Failed
    );
    let error = store.get_run(lost).expect("run").error.unwrap_or_default();
    assert!(error.contains("NODE_FAIL"), "{error}");
}
