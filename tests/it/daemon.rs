//! The real daemon on loopback time: started detached, a schedule every few seconds and a file
//! trigger fire without a keystroke (a retrain, a drift report), a second start is refused with
//! the holder's pid, `kill -9` during a job leaves that job failed with why and retried by its
//! policy on restart, and `daemon stop` ends it.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{describe, project, shelfcast};
use crate::forecast::{random_walks, train_walks};

fn history(root: &std::path::Path) -> Vec<Value> {
    let output = shelfcast(root, &["schedule", "history", "--json", "--limit", "100"]);
    assert!(output.status.success(), "{}", describe(&output));
    serde_json::from_slice(&output.stdout).expect("json")
}

/// Polls the job history until `done` holds, or panics with it after `timeout`.
fn wait_for(
    root: &std::path::Path,
    what: &str,
    timeout: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let runs = history(root);
        if done(&runs) {
            return runs;
        }
        if started.elapsed() > timeout {
            let log = std::fs::read_to_string(root.join("models/daemon.log")).unwrap_or_default();
            panic!("timed out waiting for {what}: {runs:#?}\ndaemon log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn state_of<'a>(runs: &'a [Value], name: &str, state: &str) -> Vec<&'a Value> {
    runs.iter()
        .filter(|r| r["schedule_name"] == name && r["state"] == state)
        .collect()
}

/// `schedule add ARGS`, which must succeed; what it said.
fn schedule_add(root: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["schedule", "add"];
    all.extend_from_slice(args);
    let output = shelfcast(root, &all);
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn daemon_pid(root: &std::path::Path) -> Option<i64> {
    let text = std::fs::read_to_string(root.join("models/daemon.lock")).ok()?;
    serde_json::from_str::<Value>(&text).ok()?["pid"].as_i64()
}

#[test]
fn the_daemon_runs_schedules_and_file_triggers_and_survives_kill_9() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(4, 80)).expect("data");
    train_walks(
        &root,
        &[
            "--split",
            "time:week:8",
            "--lags",
            "1,2",
            "--param",
            "rounds=20",
        ],
    );
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "walks", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let added = |args: &[&str]| schedule_add(&root, args);
    let said = added(&[
        "often",
        "--every",
        "3s",
        "--catch-up",
        "skip",
        "retrain",
        "--like",
        "1",
    ]);
    assert!(
        said.contains("added often: every 3s, retrain like run 1"),
        "{said}"
    );
    added(&[
        "dropped",
        "--on-file",
        "data/incoming/*.csv",
        "drift",
        "--model",
        "walks@champion",
    ]);
    added(&[
        "scored",
        "--on-file",
        "data/incoming/*.csv",
        "predict",
        "--model",
        "walks@champion",
        "--output",
        "reports/pred-{name}.csv",
    ]);
    let output = shelfcast(&root, &["schedule", "list"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        text.matches("  next ").count(),
        3,
        "three next fires of the interval: {text}"
    );

    let output = shelfcast(&root, &["daemon", "start"]);
    assert!(output.status.success(), "{}", describe(&output));
    let pid = daemon_pid(&root).expect("the daemon's lock");
    // A second start is refused with the holder's pid.
    let output = shelfcast(&root, &["daemon", "start"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "a daemon already runs for this project (pid {pid})"
        )),
        "{stderr}"
    );

    // The interval fires a retrain without a keystroke.
    let runs = wait_for(&root, "a retrain", Duration::from_secs(60), |runs| {
        !state_of(runs, "often", "succeeded").is_empty()
    });
    let retrain = state_of(&runs, "often", "succeeded")[0];
    let produced: Value =
        serde_json::from_str(retrain["produced_json"].as_str().expect("produced")).expect("json");
    assert!(
        produced["runs"][0].as_i64().is_some_and(|r| r > 1),
        "{produced}"
    );
    shelfcast(&root, &["schedule", "pause", "often"]);

    // A file dropped into the watched folder fires a drift check once its size holds.
    std::fs::create_dir_all(root.join("data/incoming")).expect("folder");
    std::fs::write(root.join("data/incoming/week.csv"), random_walks(4, 90)).expect("file");
    let runs = wait_for(&root, "a drift report", Duration::from_secs(60), |runs| {
        !state_of(runs, "dropped", "succeeded").is_empty()
    });
    let drift = state_of(&runs, "dropped", "succeeded")[0];
    assert_eq!(drift["input_path"], "data/incoming/week.csv");
    let produced: Value =
        serde_json::from_str(drift["produced_json"].as_str().expect("produced")).expect("json");
    let report = produced["reports"][0].as_str().expect("a report");
    assert!(root.join(report).is_file(), "{report}");
    let log = std::fs::read_to_string(root.join("models/daemon.log")).expect("log");
    assert!(log.contains("data/incoming for file events"), "{log}");
    // The same file is predicted, record by record, to the job's output.
    let runs = wait_for(&root, "the predictions", Duration::from_secs(60), |runs| {
        !state_of(runs, "scored", "succeeded").is_empty()
    });
    let scored = state_of(&runs, "scored", "succeeded")[0];
    assert!(
        scored["produced_json"]
            .as_str()
            .is_some_and(|p| p.contains("reports/pred-week.csv")),
        "{scored}"
    );
    let predicted = std::fs::read_to_string(root.join("reports/pred-week.csv")).expect("file");
    assert!(
        predicted
            .lines()
            .next()
            .is_some_and(|h| h.contains("prediction")),
        "{predicted}"
    );
    assert_eq!(
        predicted.lines().count(),
        1 + 4 * 90,
        "every record predicted"
    );

    // A forecast job writes its file under the day's name and records the forecast.
    added(&[
        "fc",
        "--every",
        "1w",
        "forecast",
        "--model",
        "walks@champion",
        "--horizon",
        "4",
        "--output",
        "reports/fc-{date}.csv",
    ]);
    let output = shelfcast(&root, &["schedule", "run", "fc"]);
    assert!(output.status.success(), "{}", describe(&output));
    let runs = wait_for(&root, "a forecast", Duration::from_secs(60), |runs| {
        !state_of(runs, "fc", "succeeded").is_empty()
    });
    let produced: Value = serde_json::from_str(
        state_of(&runs, "fc", "succeeded")[0]["produced_json"]
            .as_str()
            .expect("produced"),
    )
    .expect("json");
    let file = produced["reports"][0].as_str().expect("the file");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(file, format!("reports/fc-{today}.csv"));
    let written = std::fs::read_to_string(root.join(file)).expect("forecast file");
    assert_eq!(
        written.lines().count(),
        1 + 4 * 4,
        "four stores, four weeks"
    );
    assert!(produced["forecast"].as_i64().is_some(), "{produced}");

    // kill -9 during a job: the job run is failed with why, then retried by its policy.
    std::fs::write(root.join("data/big.csv"), random_walks(30, 300)).expect("big");
    added(&[
        "slow",
        "--every",
        "1h",
        "--retries",
        "1",
        "retrain",
        "--like",
        "1",
        "--data",
        "data/big.csv",
    ]);
    let output = shelfcast(&root, &["schedule", "run", "slow"]);
    assert!(output.status.success(), "{}", describe(&output));
    wait_for(
        &root,
        "the slow job to start",
        Duration::from_secs(30),
        |runs| !state_of(runs, "slow", "running").is_empty(),
    );
    // SAFETY: kill(2) of the daemon this test started, by the pid its lock holds.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
    std::thread::sleep(Duration::from_millis(300));
    let output = shelfcast(&root, &["daemon", "start"]);
    assert!(
        output.status.success(),
        "a stale lock is taken over: {}",
        describe(&output)
    );
    let runs = wait_for(
        &root,
        "the killed job failed and retried",
        Duration::from_secs(90),
        |runs| {
            let failed = state_of(runs, "slow", "failed");
            failed.iter().any(|r| {
                r["reason"]
                    .as_str()
                    .is_some_and(|t| t.contains(&format!("(pid {pid}) ended before the job did")))
            }) && runs
                .iter()
                .any(|r| r["schedule_name"] == "slow" && r["attempt"] == 2)
        },
    );
    let retry = runs
        .iter()
        .find(|r| r["schedule_name"] == "slow" && r["attempt"] == 2)
        .expect("a retry");
    assert!(
        retry["reason"]
            .as_str()
            .is_some_and(|r| r.contains("retry 1 of 1")),
        "{retry}"
    );
    let log = std::fs::read_to_string(root.join("models/daemon.log")).expect("log");
    assert!(log.contains("took over a stale daemon lock"), "{log}");

    let output = shelfcast(&root, &["daemon", "stop"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("stopped"));
    assert!(!root.join("models/daemon.lock").exists());
}

/// A schedule's `--timeout` is enforced whatever the job does: a command that sleeps on is ended
/// with its whole process group, a retrain's training run is asked to stop, and each job run
/// fails saying so, then is retried by its policy.
#[test]
fn a_job_past_its_timeout_is_stopped_and_fails_saying_so() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(4, 80)).expect("data");
    // Run 1, the recipe of a retrain that cannot finish in a second; cancelled at once.
    let output = shelfcast(
        &root,
        &[
            "train",
            "--data",
            "data/walks.csv",
            "--target",
            "units",
            "--group",
            "store",
            "--param",
            "rounds=100000",
            "--param",
            "learning_rate=0.0001",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    shelfcast(&root, &["cancel", "1"]);
    std::fs::write(root.join("data/big.csv"), random_walks(40, 400)).expect("big");
    let added = |args: &[&str]| schedule_add(&root, args);
    let said = added(&[
        "stuck",
        "--every",
        "1h",
        "--timeout",
        "2s",
        "--retries",
        "1",
        "command",
        "--run",
        "sleep 47.25; touch late",
    ]);
    assert!(said.contains("retries 1, timeout 2s"), "{said}");
    added(&[
        "long",
        "--every",
        "1h",
        "--timeout",
        "4s",
        "retrain",
        "--like",
        "1",
        "--data",
        "data/big.csv",
    ]);
    added(&[
        "polled",
        "--on-file",
        "drop/*.txt",
        "command",
        "--run",
        "true",
    ]);
    for name in ["stuck", "long"] {
        let output = shelfcast(&root, &["schedule", "run", name]);
        assert!(output.status.success(), "{}", describe(&output));
    }
    // With file events off (as on a network filesystem), polling alone fires the file trigger.
    let output = std::process::Command::new(crate::common::bin())
        .args(["--root"])
        .arg(&root)
        .args(["daemon", "start"])
        .env("SHELFCAST_FILE_EVENTS", "off")
        .output()
        .expect("daemon start");
    assert!(output.status.success(), "{}", describe(&output));
    std::fs::create_dir_all(root.join("drop")).expect("folder");
    std::fs::write(root.join("drop/a.txt"), "a").expect("file");
    let runs = wait_for(&root, "both timeouts", Duration::from_secs(90), |runs| {
        !state_of(runs, "stuck", "failed").is_empty()
            && !state_of(runs, "long", "failed").is_empty()
            && !state_of(runs, "polled", "succeeded").is_empty()
    });
    let log = std::fs::read_to_string(root.join("models/daemon.log")).expect("log");
    assert!(
        log.contains("file events unavailable (SHELFCAST_FILE_EVENTS=off)"),
        "{log}"
    );
    let stuck = state_of(&runs, "stuck", "failed")[0];
    assert!(
        stuck["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("timed out after 2s: the job was stopped")),
        "{stuck}"
    );
    assert!(
        runs.iter()
            .any(|r| r["schedule_name"] == "stuck" && r["attempt"] == 2),
        "the timed-out job is retried: {runs:#?}"
    );
    let long = state_of(&runs, "long", "failed")[0];
    let reason = long["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("timed out after 4s: the job was stopped and run(s) 2 asked to stop"),
        "{reason}"
    );
    // The command's sleep went with its job's process group; the training run stops too.
    assert!(
        !crate::common::a_process_runs_with("47.25"),
        "the timed-out command still runs"
    );
    let started = Instant::now();
    loop {
        let output = shelfcast(&root, &["run", "show", "2", "--json"]);
        let run: Value = serde_json::from_slice(&output.stdout).expect("json");
        if run["run"]["status"] == "killed" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the timed-out job's run did not stop: {run}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!root.join("late").exists());
    let output = shelfcast(&root, &["daemon", "stop"]);
    assert!(output.status.success(), "{}", describe(&output));
}

/// What a user mistypes in `schedule add` is refused before anything is stored, saying what was
/// expected; `daemon status --json` reports no daemon.
#[test]
fn schedule_add_refuses_bad_triggers_jobs_and_names() {
    let (_tmp, root) = project();
    let refused = |args: &[&str], said: &str| {
        let mut all = vec!["schedule", "add"];
        all.extend_from_slice(args);
        let output = shelfcast(&root, &all);
        assert!(!output.status.success(), "{args:?} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    };
    refused(
        &["w", "--cron", "0 0 * *", "command", "--run", "true"],
        "expected five fields",
    );
    refused(
        &[
            "w",
            "--cron",
            "0 0 * * SUN",
            "--tz",
            "Mars/Olympus",
            "command",
            "--run",
            "true",
        ],
        "'Mars/Olympus' is not a time zone",
    );
    refused(
        &["w", "--every", "6x", "command", "--run", "true"],
        "'x' is not a unit; expected s, m, h, d or w",
    );
    refused(
        &[
            "w",
            "--every",
            "1h",
            "--catch-up",
            "sometimes",
            "command",
            "--run",
            "true",
        ],
        "expected skip, once or backfill:N",
    );
    refused(
        &[
            "w",
            "--every",
            "1h",
            "--timeout",
            "0s",
            "command",
            "--run",
            "true",
        ],
        "a timeout must be at least one second",
    );
    refused(
        &[
            "w",
            "--every",
            "1h",
            "--timeout",
            "ten",
            "command",
            "--run",
            "true",
        ],
        "--timeout 'ten': expected a number and a unit",
    );
    refused(
        &["w", "--every", "1h", "retrain", "--like", "9"],
        "no run with id 9",
    );
    refused(
        &[
            "w",
            "--every",
            "1h",
            "forecast",
            "--model",
            "m@champion",
            "--horizon",
            "0",
        ],
        "a forecast needs one period or more",
    );
    let output = shelfcast(
        &root,
        &[
            "schedule", "add", "w", "--every", "1h", "command", "--run", "true",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    refused(
        &["w", "--every", "2h", "command", "--run", "true"],
        "a schedule named 'w' exists",
    );
    let output = shelfcast(&root, &["schedule", "pause", "nope"]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no schedule named 'nope'; there are w")
    );
    let output = shelfcast(&root, &["daemon", "status", "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let status: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        (status["running"].clone(), status["schedules"].clone()),
        (Value::Bool(false), Value::from(1))
    );
}
