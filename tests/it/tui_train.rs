//! The Train and Runs tabs in-process: the real App and key handler rendered into a ratatui
//! TestBackend, compared with committed snapshots; runs are written to the store as a worker
//! would, with their timestamps pinned so the snapshots are stable.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shelfcast::ml::artifact::MetricsFile;
use shelfcast::ml::metrics::RegressionMetrics;
use shelfcast::ml::train::Evaluation;
use shelfcast::store::{MetricPoint, NewRun, QueuedRun, RunStatus, RunStore};
use shelfcast::tui::app::App;
use shelfcast::tui::panes::Tab;

use crate::common::{fixtures, project};
use crate::tui::{Panes, key};

pub(crate) fn app_for(root: &std::path::Path) -> App {
    let mut app = crate::tui::app_for(root);
    crate::tui::settle(&mut app);
    app
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn draw(app: &mut App) -> Terminal<TestBackend> {
    crate::tui::draw(app, 110, 34)
}

fn text(terminal: &Terminal<TestBackend>) -> String {
    crate::tui::screen_text(terminal)
}

pub(crate) fn sales_fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, root) = project();
    std::fs::copy(
        fixtures().join("small/weekly_sales.csv"),
        root.join("data/weekly_sales.csv"),
    )
    .expect("copy");
    (tmp, root)
}

#[test]
fn train_form_is_built_from_the_profile_and_validates_as_you_type() {
    let (_tmp, root) = sales_fixture();
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.active, Tab::Train);
    insta::assert_snapshot!("train_form", draw(&mut app).backend());

    // Down to learning_rate (dataset, target, task, model, features, lookups, rounds,
    // learning_rate), type a value out of range: the field says why, and Enter refuses.
    for _ in 0..7 {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Char('e'));
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    keys(&mut app, "5q");
    assert_eq!(
        app.active,
        Tab::Train,
        "typed text never switches tabs or quits"
    );
    assert!(!app.should_quit);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert!(
        app.take_jobs().is_empty(),
        "a form with errors launches nothing"
    );
    let screen = text(&draw(&mut app));
    assert!(
        screen.contains("5q  ✗ expected above 0, at most 1"),
        "{screen}"
    );
    assert!(
        screen.contains("learning_rate: expected above 0, at most 1"),
        "{screen}"
    );
    insta::assert_snapshot!("train_form_invalid", draw(&mut app).backend());

    // A good value, then the model choice changes the parameter rows.
    key(&mut app, KeyCode::Char('e'));
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    keys(&mut app, "0.05");
    key(&mut app, KeyCode::Enter);
    for _ in 0..4 {
        key(&mut app, KeyCode::Char('k'));
    }
    key(&mut app, KeyCode::Right);
    assert_eq!(app.train().model.as_str(), "linear");
    key(&mut app, KeyCode::Right);
    let screen = text(&draw(&mut app));
    assert!(
        screen.contains("‹ ridge ›") && screen.contains("alpha"),
        "{screen}"
    );

    // The feature picker shows each column's profile; Space drops one.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    insta::assert_snapshot!("train_feature_picker", draw(&mut app).backend());
    key(&mut app, KeyCode::Esc);
    let (used, eligible) = app.train().feature_count();
    assert_eq!((used, eligible), (eligible - 1, eligible));

    // A valid form becomes a launch request with the typed values.
    key(&mut app, KeyCode::Enter);
    let jobs = app.take_jobs();
    let Some(shelfcast::tui::action::Job::Launch { request, .. }) = jobs.first() else {
        panic!("a launch request, not {jobs:?}");
    };
    assert_eq!(request.spec.model.as_str(), "ridge");
    assert_eq!(request.spec.target, "units");
    assert_eq!(request.spec.split, "time:week:1");
}

/// Writes a run as a worker would, with fixed timestamps.
pub(crate) fn seed_runs(root: &std::path::Path) {
    let mut store = RunStore::open(&root.join("runs.db")).expect("store");
    let params: Vec<(String, String)> = [
        ("model", "gbdt"),
        ("task", "regression"),
        ("target", "units"),
        ("split", "time:week:2"),
        ("model.rounds", "40"),
        ("model.objective", "squared_error"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let new = |name: &str| NewRun {
        experiment: "promo".into(),
        name: name.into(),
        model_kind: "gbdt".into(),
        task: "regression".into(),
        dataset_id: None,
        parent_run_id: None,
    };
    for name in ["finished-run", "failed-run", "live-run"] {
        store
            .create_queued_run(&QueuedRun {
                run: &new(name),
                params: &params,
                tags: &[],
                spec_json: Some("{}"),
            })
            .expect("run");
    }
    let curve = |run: i64, steps: i64| {
        let mut points = Vec::new();
        for step in 0..steps {
            let t = 1_700_000_000_000 + step * 100;
            let decay = 10.0 / (1.0 + step as f64 * 0.2);
            points.push(MetricPoint {
                key: "train_loss".into(),
                step,
                value: 2.0 + decay,
                timestamp_ms: t,
            });
            points.push(MetricPoint {
                key: "valid_loss".into(),
                step,
                value: 3.0 + decay * 1.1,
                timestamp_ms: t,
            });
        }
        (run, points)
    };
    for (run, steps) in [(1, 40), (2, 12), (3, 25)] {
        let (run, points) = curve(run, steps);
        store.log_metrics(run, &points).expect("points");
    }
    store
        .log_metrics(
            1,
            &[MetricPoint {
                key: "rmse".into(),
                step: 39,
                value: 3.2554,
                timestamp_ms: 1_700_000_004_000,
            }],
        )
        .expect("final");
    store
        .set_status(1, RunStatus::Finished, None)
        .expect("finish");
    store
        .set_status(
            2,
            RunStatus::Failed,
            Some("the worker (pid 4242) ended without finishing: it crashed or was killed; its points up to step 11 are kept"),
        )
        .expect("fail");
    store.set_status(3, RunStatus::Running, None).expect("run");
    drop(store);
    let db = rusqlite::Connection::open(root.join("runs.db")).expect("sqlite");
    db.execute_batch(
        "UPDATE runs SET created_at = '2026-11-20T09:00:00.000Z', \
         started_at = '2026-11-20T09:00:01.000Z', launched_by = 'ana', launched_on = 'box1';
         UPDATE runs SET ended_at = '2026-11-20T09:00:05.500Z' WHERE id IN (1, 2);",
    )
    .expect("pin times");

    let dir = root.join("models/runs/1");
    std::fs::create_dir_all(dir.join("model")).expect("dir");
    std::fs::write(
        dir.join("worker.log"),
        "09:00:01 worker 1234 took run 1\n09:00:01 loading data/weekly_sales.csv\n\
         09:00:02 training gbdt on 9 encoded columns\n09:00:05 finished: validation rmse 3.255400\n",
    )
    .expect("log");
    let regression = |rmse: f64| {
        Evaluation::Regression(RegressionMetrics {
            rows: 4,
            rmse,
            mae: rmse * 0.8,
            mape: Some(12.5),
            mape_zero_targets_skipped: 0,
            wape: Some(10.1),
            r2: Some(0.91),
            bias: -0.25,
        })
    };
    let metrics = MetricsFile {
        train: regression(2.1),
        validation: regression(3.2554),
        importance_kind: "total gain".into(),
        importance: vec![
            ("promo".into(), 0.55),
            ("price".into(), 0.3),
            ("store=S1".into(), 0.15),
        ],
        steps: 40,
        stopped_early: false,
        conformal: None,
        one_step: None,
        horizon: None,
    };
    std::fs::write(
        dir.join("model/metrics.json"),
        serde_json::to_vec(&metrics).expect("json"),
    )
    .expect("metrics");
}

#[test]
fn runs_list_and_run_view_show_status_curves_metrics_log_and_importance() {
    let (_tmp, root) = sales_fixture();
    seed_runs(&root);
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.runs().rows.len(), 3);
    let screen = text(&draw(&mut app));
    assert!(screen.contains("⠋ running"), "{screen}");
    assert_eq!(
        app.runs().rows[0].last_step,
        Some(24),
        "the live run's last step"
    );
    assert!(
        screen.contains("failed") && screen.contains("3.26"),
        "{screen}"
    );

    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.runs().open, Some(1));
    insta::assert_snapshot!("run_view_finished", draw(&mut app).backend());

    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.runs().open, Some(2));
    insta::assert_snapshot!("run_view_failed", draw(&mut app).backend());

    // Cancel asks first; any other key says no; y asks the worker to stop.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char('c'));
    assert!(
        app.runs()
            .message
            .as_deref()
            .is_some_and(|m| m.contains("cancel run 3 (live-run)? y"))
    );
    key(&mut app, KeyCode::Char('x'));
    assert_eq!(app.runs().message.as_deref(), Some("nothing changed"));
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('y'));
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    assert!(store.get_run(3).expect("run").cancel_requested);
}

#[test]
fn the_lookups_field_is_checked_as_typed_and_joins_the_tables_columns() {
    let (_tmp, root) = sales_fixture();
    std::fs::write(
        root.join("data/zones.csv"),
        "store,zone\nS1,North\nS2,South\n",
    )
    .expect("zones");
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('2'));
    // dataset, target, task, model, features, lookups.
    for _ in 0..5 {
        key(&mut app, KeyCode::Char('j'));
    }
    let screen = text(&draw(&mut app));
    assert!(
        screen.contains("Lookups") && screen.contains("none (FILE:KEY; FILE:KEY1,KEY2)"),
        "{screen}"
    );
    assert!(
        screen.contains("zones.csv"),
        "the About pane lists data/: {screen}"
    );
    let typed = |app: &mut App, value: &str| {
        key(app, KeyCode::Char('e'));
        app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        keys(app, value);
        key(app, KeyCode::Enter);
        text(&draw(app))
    };
    let screen = typed(&mut app, "zones.csv:shop");
    assert!(screen.contains("✗ zones.csv has no column"), "{screen}");
    assert_eq!(
        app.train().lookups.error.as_deref(),
        Some("zones.csv has no column 'shop'")
    );
    typed(&mut app, "nowhere.csv:store");
    assert_eq!(
        app.train().lookups.error.as_deref(),
        Some("'nowhere.csv' is not a profiled file of data/")
    );
    typed(&mut app, "zones.csv:week,store");
    assert_eq!(
        app.train().lookups.error.as_deref(),
        Some("zones.csv has no column 'week'")
    );
    let screen = typed(&mut app, "zones.csv:store");
    assert!(!screen.contains('✗'), "{screen}");
    let request = app.train().request().expect("a request");
    assert_eq!(request.spec.lookups.len(), 1);
    assert_eq!(request.spec.lookups[0].keys, ["store"]);
    assert_eq!(
        request.spec.lookups[0].path,
        std::path::Path::new("data/zones.csv")
    );
    assert!(request.spec.features.contains(&"zone".to_string()));
}

#[test]
fn an_open_tui_notices_a_vanished_worker_within_a_second() {
    let (_tmp, root) = sales_fixture();
    let waited = crate::common::queue_bare_run(&root, "waited on");
    let run = crate::common::queue_bare_run(&root, "doomed");
    let mut store = RunStore::open(&root.join("runs.db")).expect("store");
    // A live Shelfcast process (a `wait` on the other run) holds the run while the TUI opens;
    // then it is killed.
    let mut holder = std::process::Command::new(crate::common::bin())
        .arg("--root")
        .arg(&root)
        .args(["wait", &waited.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("holder");
    store.claim_run(run, holder.id()).expect("claim");
    let mut app = app_for(&root);
    let doomed = |app: &App| {
        app.pane::<shelfcast::tui::panes::runs::RunsTab>()
            .expect("the Runs tab")
            .rows
            .iter()
            .find(|r| r.run.id == run)
            .map(|r| r.run.status)
            .expect("listed")
    };
    assert_eq!(doomed(&app), RunStatus::Running);
    holder.kill().expect("kill");
    holder.wait().expect("holder ends");
    let started = std::time::Instant::now();
    while doomed(&app) == RunStatus::Running {
        app.on_tick();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "the TUI still shows the run running"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(doomed(&app), RunStatus::Failed);
    assert!(
        app.status.contains(&format!("run {run} failed")),
        "{}",
        app.status
    );
}

/// A study from the form: S gives each parameter the model tunes its declared search range,
/// a range typed into a parameter is checked as typed (its ends against the model's range),
/// Enter starts a study of those ranges, and S again goes back to one run.
#[test]
fn parameters_given_as_ranges_make_the_form_a_study() {
    let (_tmp, root) = sales_fixture();
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('2'));
    let screen = text(&draw(&mut app));
    assert!(
        screen.contains("none (a range in a parameter, or S)"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('S'));
    let space = app.train().study_space_text().expect("a study");
    assert_eq!(
        space,
        "learning_rate=log:0.01..0.3,max_depth=int:3..10,min_child_weight=log:0.5..50,\
         subsample=0.5..1,colsample_bytree=0.5..1,lambda=log:0.01..10"
    );
    insta::assert_snapshot!("train_form_study", draw(&mut app).backend());
    // learning_rate (row 8) with a range whose high end the model refuses.
    for _ in 0..7 {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Char('e'));
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    keys(&mut app, "log:0.01..3");
    key(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app));
    assert!(screen.contains("3 is out of range"), "{screen}");
    key(&mut app, KeyCode::Enter);
    assert!(app.take_jobs().is_empty(), "a bad range launches nothing");
    key(&mut app, KeyCode::Char('e'));
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    keys(&mut app, "log:0.01..0.2");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let jobs = app.take_jobs();
    let Some(shelfcast::tui::action::Job::StartStudy { config, .. }) = jobs.first() else {
        panic!("a study, not {jobs:?}");
    };
    assert_eq!(config.space.dimensions.len(), 6);
    assert!(
        config
            .space
            .describe()
            .starts_with("learning_rate=log:0.01..0.2,"),
        "{}",
        config.space.describe()
    );
    assert!(
        !config.spec.params.iter().any(|(k, _)| k == "learning_rate"),
        "a tuned parameter is the trials' to set: {:?}",
        config.spec.params
    );
    // S again: every range back to the model's default, one run.
    key(&mut app, KeyCode::Char('S'));
    assert_eq!(app.train().study_space_text(), None);
}
