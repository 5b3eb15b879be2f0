//! `daemon stop` while a job runs ends the job rather than waiting it out, and pausing a schedule
//! skips the job runs it still had queued: the real daemon and its job process on this machine.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{a_process_runs_with, project, stdout_of};

fn history(root: &std::path::Path) -> Vec<Value> {
    let text = stdout_of(root, &["schedule", "history", "--json", "--limit", "100"]);
    serde_json::from_str(&text).expect("json")
}

#[test]
fn daemon_stop_ends_the_job_in_flight_and_a_paused_schedule_runs_nothing_it_had_queued() {
    let (_tmp, root) = project();
    for (name, command) in [("slow", "sleep 61.5; touch late"), ("later", "touch ran")] {
        stdout_of(
            &root,
            &[
                "schedule",
                "add",
                name,
                "--every",
                "1h",
                "--retries",
                "1",
                "command",
                "--run",
                command,
            ],
        );
        stdout_of(&root, &["schedule", "run", name]);
    }
    let paused = stdout_of(&root, &["schedule", "pause", "later"]);
    assert!(
        paused.contains("paused later") && paused.contains("its queued job run was skipped"),
        "{paused}"
    );

    stdout_of(&root, &["daemon", "start"]);
    let started = Instant::now();
    loop {
        let runs = history(&root);
        if runs
            .iter()
            .any(|r| r["schedule_name"] == "slow" && r["state"] == "running")
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the slow job never started: {runs:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let asked = Instant::now();
    let stopped = stdout_of(&root, &["daemon", "stop"]);
    let took = asked.elapsed();
    println!("daemon stop during a 61.5 s job took {took:.2?}: {stopped}");
    assert!(stopped.contains("stopped"), "{stopped}");
    assert!(
        took < Duration::from_secs(20),
        "stop waited out the job: {took:?}"
    );

    let runs = history(&root);
    let slow: Vec<&Value> = runs
        .iter()
        .filter(|r| r["schedule_name"] == "slow")
        .collect();
    let ended = slow
        .iter()
        .find(|r| r["attempt"] == 1)
        .expect("the first attempt");
    assert_eq!(ended["state"], "failed", "{ended}");
    let reason = ended["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("the daemon was stopped") && reason.contains("the job was ended"),
        "{reason}"
    );
    assert!(
        slow.iter()
            .any(|r| r["attempt"] == 2 && r["state"] == "queued"),
        "its retry waits for the next start: {runs:#?}"
    );
    let later: Vec<&Value> = runs
        .iter()
        .filter(|r| r["schedule_name"] == "later")
        .collect();
    assert_eq!(later.len(), 1, "{later:#?}");
    assert_eq!(later[0]["state"], "skipped");
    assert_eq!(later[0]["reason"], "its schedule was paused");
    assert!(
        !a_process_runs_with("61.5"),
        "the ended job's command still runs"
    );
    assert!(!root.join("late").exists() && !root.join("ran").exists());
}
