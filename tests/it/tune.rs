//! Tuning studies through the real binary: a study of a gbdt on random walks, two trials at once,
//! each a child run of the study's run, the best recorded; `kill -9` of the study process midway
//! loses nothing and `--resume` finishes the budget without repeating a trial; a bad `--space` is
//! refused at its column with the rule.

use std::time::{Duration, Instant};

use crate::common::{bin, describe, project, shelfcast};
use crate::forecast::random_walks;

fn tune_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "tune",
        "--data",
        "data/walks.csv",
        "--target",
        "units",
        "--group",
        "store",
        "--split",
        "time:week:8",
        "--lags",
        "1,2",
        "--param",
        "rounds=400",
        "--space",
        "learning_rate=log:0.02..0.3,max_depth=int:2..6,subsample=0.5..1",
        "--parallel",
        "2",
    ];
    args.extend_from_slice(extra);
    args
}

/// `args` with 20 rounds a trial instead of 400.
fn short_rounds(mut args: Vec<&str>) -> Vec<&str> {
    if let Some(rounds) = args.iter().position(|a| *a == "rounds=400") {
        args[rounds] = "rounds=20";
    }
    args
}

#[test]
fn a_study_runs_trials_in_parallel_and_resumes_after_kill_9() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(30, 120)).expect("data");
    // Started in the background, killed once a few trials are done.
    let mut child = std::process::Command::new(bin())
        .arg("--root")
        .arg(&root)
        .args(tune_args(&[
            "--trials", "8", "--study", "walk", "--pruner", "none",
        ]))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("tune");
    let store_path = root.join("runs.db");
    let started = Instant::now();
    loop {
        let done = shelfcast::store::RunStore::open(&store_path)
            .ok()
            .and_then(|s| {
                let study = s.study("walk").ok()?;
                Some(
                    s.trials(study.id)
                        .ok()?
                        .iter()
                        .filter(|t| t.state == shelfcast::store::TrialState::Complete)
                        .count(),
                )
            })
            .unwrap_or(0);
        if done >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no trial completed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill(2) of the study process this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGKILL);
    }
    let _ = child.wait();
    let before = shelfcast::store::RunStore::open(&store_path).expect("store");
    let study = before.study("walk").expect("study");
    let done_at_kill = before
        .trials(study.id)
        .expect("trials")
        .iter()
        .filter(|t| t.state == shelfcast::store::TrialState::Complete)
        .count();
    println!("killed with {done_at_kill} of 8 trials complete");
    assert!(done_at_kill < 8, "the study ended before the kill");
    drop(before);
    let output = shelfcast(&root, &["tune", "--resume", "walk"]);
    assert!(output.status.success(), "{}", describe(&output));
    let store = shelfcast::store::RunStore::open(&store_path).expect("store");
    let study = store.study("walk").expect("study");
    let trials = store.trials(study.id).expect("trials");
    assert_eq!(trials.len(), 8, "the budget, once: {trials:#?}");
    let numbers: Vec<i64> = trials.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..8).collect::<Vec<_>>());
    assert!(
        trials
            .iter()
            .all(|t| t.state == shelfcast::store::TrialState::Complete),
        "{trials:#?}"
    );
    // Every trial a child run of the study's run; the best tagged on it.
    for t in &trials {
        let run = store.get_run(t.run_id.expect("a run")).expect("run");
        assert_eq!(run.parent_run_id, Some(study.run_id));
    }
    let tags = store.tags(study.run_id).expect("tags");
    let best_run: i64 = tags
        .iter()
        .find(|(k, _)| k == "best_run")
        .and_then(|(_, v)| v.parse().ok())
        .expect("best_run");
    let best = trials
        .iter()
        .filter_map(|t| t.value.map(|v| (v, t.run_id)))
        .fold((f64::INFINITY, None), |a, b| if b.0 < a.0 { b } else { a });
    assert_eq!(best.1, Some(best_run));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.trim(), best_run.to_string());
    let listed = shelfcast(&root, &["studies", "walk", "--json"]);
    assert!(listed.status.success(), "{}", describe(&listed));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    assert_eq!(listed[0]["complete"], 8);
    assert_eq!(listed[0]["best"]["run"], best_run);
    let first = &listed[0]["trials"][0]["params"];
    assert!(
        first["max_depth"]
            .as_str()
            .is_some_and(|d| d.parse::<i64>().is_ok()),
        "an integer parameter reads as one: {first}"
    );
}

#[test]
fn a_bad_space_is_refused_at_its_column_with_the_rule() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(2, 40)).expect("data");
    let mut args = tune_args(&[]);
    let at = args.iter().position(|a| *a == "--space").expect("space") + 1;
    for (space, said) in [
        (
            "learning_rate=log:0..0.3",
            "--space, column 15: log:0..0.3: a log range must be above 0",
        ),
        (
            "max_depth=int:2.5..6",
            "column 11: int:2.5..6: whole numbers expected",
        ),
        (
            "subsample=1..0.5",
            "column 11: 1..0.5: LOW must be below HIGH",
        ),
        ("objective=cat:poisson", "expected two or more choices"),
        (
            "max_depth=2..6,max_depth=3..4",
            "column 16: 'max_depth' is given twice",
        ),
        ("leaves=int:2..6", "--space: parameter leaves"),
    ] {
        args[at] = space;
        let output = shelfcast(&root, &args);
        assert!(!output.status.success(), "{space} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{space}: {stderr}");
    }
    // No study was half made by a refusal; an unknown one is named.
    let listed = shelfcast(&root, &["studies", "--json"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "[]");
    for (args, said) in [
        (vec!["studies", "nope"], "no study named 'nope'"),
        (vec!["tune", "--resume", "nope"], "no study named 'nope'"),
    ] {
        let output = shelfcast(&root, &args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}

/// A study's run opened in the Runs tab shows the study: its trials, the best so far and each
/// trial's validation loss.
#[test]
fn a_study_run_opens_as_the_study_view() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(4, 60)).expect("data");
    let args = short_rounds(tune_args(&[
        "--trials", "3", "--study", "small", "--seed", "7",
    ]));
    let output = shelfcast(&root, &args);
    assert!(output.status.success(), "{}", describe(&output));
    let mut app = crate::tui::app_for(&root);
    crate::tui::settle(&mut app);
    app.switch_to(shelfcast::tui::panes::Tab::Runs);
    crate::tui::settle(&mut app);
    use crate::tui::Panes;
    let store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    app.runs().open_run(&store, 1);
    let screen = crate::tui::screen_text(&crate::tui::draw(&mut app, 120, 36));
    for said in [
        "study small (run 1, finished): 3 of 3 trials complete",
        "best: trial",
        "Trials, newest first",
        "validation loss by round, the newest 3 trials",
    ] {
        assert!(screen.contains(said), "{said}: {screen}");
    }
    // p steps through the charts: parallel coordinates of the three parameters and the
    // objective, then a slice per parameter, then back to the history.
    crate::tui::key(&mut app, crossterm::event::KeyCode::Char('p'));
    let screen = crate::tui::screen_text(&crate::tui::draw(&mut app, 120, 36));
    assert!(
        screen.contains("parallel coordinates, 3 trials, green best"),
        "{screen}"
    );
    for axis in ["learning_rate", "max_depth", "subsample", "rmse"] {
        assert!(screen.contains(axis), "{axis}: {screen}");
    }
    crate::tui::key(&mut app, crossterm::event::KeyCode::Char('p'));
    let screen = crate::tui::screen_text(&crate::tui::draw(&mut app, 120, 36));
    assert!(
        screen.contains("slice: rmse against learning_rate (log10)"),
        "{screen}"
    );
    crate::tui::key(&mut app, crossterm::event::KeyCode::Char('p'));
    let screen = crate::tui::screen_text(&crate::tui::draw(&mut app, 120, 36));
    assert!(screen.contains("slice: rmse against max_depth"), "{screen}");
    // e writes the charts as SVG under reports/.
    crate::tui::key(&mut app, crossterm::event::KeyCode::Char('e'));
    let reports: Vec<_> = std::fs::read_dir(root.join("reports"))
        .expect("reports/")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let svg = std::fs::read_to_string(&reports[0]).expect("svg");
    for said in [
        "<svg",
        "parallel coordinates",
        "slice: subsample",
        "best rmse so far",
    ] {
        assert!(svg.contains(said), "{said} in the exported SVG");
    }
    // The CLI writes the same charts.
    let cli_svg = root.join("small.svg");
    let output = shelfcast(
        &root,
        &["studies", "small", "--svg", &cli_svg.display().to_string()],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let written = std::fs::read_to_string(&cli_svg).expect("studies --svg");
    assert!(written.contains("slice: max_depth"), "{written}");
    // r in the study view registers the best trial's run.
    crate::tui::key(&mut app, crossterm::event::KeyCode::Char('r'));
    crate::tui::typed(&mut app, "walks");
    crate::tui::key(&mut app, crossterm::event::KeyCode::Enter);
    crate::tui::settle(&mut app);
    let study = store.study("small").expect("study");
    let best = store
        .trials(study.id)
        .expect("trials")
        .into_iter()
        .filter_map(|t| Some((t.value?, t.run_id?)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("a best trial");
    let versions = store.model_versions(Some("walks")).expect("versions");
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0].run_id, best.1);
}

/// One trial at a time, the first trial's worker stays and trains the next trials on the data
/// it read already: one worker pid for every trial, each trial with its own log saying so.
#[test]
fn a_sequential_study_keeps_one_warm_worker_for_its_trials() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(4, 60)).expect("data");
    let mut args = short_rounds(tune_args(&[
        "--trials", "4", "--study", "warm", "--pruner", "none",
    ]));
    let parallel = args.iter().position(|a| *a == "2").expect("parallel");
    args[parallel] = "1";
    let output = shelfcast(&root, &args);
    assert!(output.status.success(), "{}", describe(&output));
    let store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    let study = store.study("warm").expect("study");
    let trials = store.trials(study.id).expect("trials");
    assert_eq!(trials.len(), 4);
    let runs: Vec<i64> = trials.iter().filter_map(|t| t.run_id).collect();
    let pids: Vec<Option<i64>> = runs
        .iter()
        .map(|&r| store.get_run(r).expect("run").pid)
        .collect();
    assert!(
        pids.iter().all(|p| p.is_some() && *p == pids[0]),
        "one worker trained every trial: {pids:?}"
    );
    for (i, &run) in runs.iter().enumerate() {
        let log = std::fs::read_to_string(root.join(format!("models/runs/{run}/worker.log")))
            .expect("log");
        assert!(log.contains(&format!("took run {run}")), "{log}");
        assert!(log.contains("finished: validation rmse"), "{log}");
        let warm = log.contains("the data are those of this worker's last trial");
        assert_eq!(warm, i > 0, "trial {i}: {log}");
        for other in runs.iter().filter(|&&o| o != run) {
            assert!(
                !log.contains(&format!("took run {other}\n")),
                "run {run}'s log holds run {other}'s lines: {log}"
            );
        }
    }
}
