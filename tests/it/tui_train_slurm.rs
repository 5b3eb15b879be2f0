//! The Train form's "Run on" row in-process: here or on Slurm, the Slurm job's options typed
//! over `shelfcast.toml`'s `[slurm]` defaults (shown beside the row), checked as typed, and
//! handed to the launch with the request; the TestBackend screen is a committed snapshot.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use shelfcast::jobs::slurm::{Dispatch, SlurmOptions};
use shelfcast::tui::action::{Action, Job};
use shelfcast::tui::app::App;

use crate::tui::key;
use crate::tui_train::{app_for, sales_fixture};

fn typed(app: &mut App, text: &str) {
    key(app, KeyCode::Char('e'));
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
}

fn screen(app: &mut App) -> String {
    crate::tui::screen_text(&crate::tui::draw(app, 110, 40))
}

/// Enter on the form: where the launch it asks for goes. The launch is not run; its end is
/// told to the form as a refusal, so the form takes the next Enter.
fn launched(app: &mut App) -> Dispatch {
    key(app, KeyCode::Enter);
    let jobs = app.take_jobs();
    app.update(Action::Launched(Err("not run in this test".into())));
    match jobs.into_iter().next() {
        Some(Job::Launch { dispatch, .. }) => dispatch,
        other => panic!("a launch, not {other:?}"),
    }
}

#[test]
fn the_train_form_sends_a_run_to_slurm_with_its_job_options_over_the_project_defaults() {
    let (_tmp, root) = sales_fixture();
    std::fs::write(
        root.join("shelfcast.toml"),
        "[slurm]\npartition = \"debug\"\ntime = \"00:30:00\"\nmem = \"1G\"\n",
    )
    .expect("config");
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('2'));
    // The last rows: Run on, then Launch.
    for _ in 0..40 {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Char('k'));
    let here = screen(&mut app);
    assert!(
        here.contains("Run on") && here.contains("‹ local › detached workers on this machine"),
        "{here}"
    );
    assert!(!here.contains("Slurm job"), "{here}");
    assert_eq!(launched(&mut app), Dispatch::Local);

    // Space switches to Slurm: the options row appears with the defaults it goes over.
    key(&mut app, KeyCode::Char(' '));
    let on_slurm = screen(&mut app);
    assert!(
        on_slurm.contains("‹ slurm › each worker a batch job (sbatch)")
            && on_slurm.contains("Slurm job        (defaults: partition=debug")
            && on_slurm.contains("[slurm]: partition=debug time=00:30:00"),
        "{on_slurm}"
    );
    insta::assert_snapshot!(
        "train_form_on_slurm",
        crate::tui::draw(&mut app, 110, 40).backend()
    );

    // A word Slurm has no flag for is named as typed, and nothing launches.
    key(&mut app, KeyCode::Char('j'));
    typed(&mut app, "tim=00:05:00");
    let wrong = screen(&mut app);
    assert!(
        wrong.contains("tim=00:05:00  ✗ 'tim': expected partition="),
        "{wrong}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(
        app.take_jobs().is_empty(),
        "a bad Slurm job launches nothing"
    );
    let refused = screen(&mut app);
    assert!(
        refused.contains("Slurm job: 'tim': expected partition=, time=, cpus=, mem= or account="),
        "{refused}"
    );

    // What is typed wins; the rest comes from shelfcast.toml.
    typed(&mut app, "time=00:05:00 cpus=2");
    assert_eq!(
        launched(&mut app),
        Dispatch::Slurm(SlurmOptions {
            partition: Some("debug".into()),
            time: Some("00:05:00".into()),
            cpus: Some(2),
            mem: Some("1G".into()),
            account: None,
        })
    );

    // A study from the same form goes to Slurm the same way.
    key(&mut app, KeyCode::Char('S'));
    key(&mut app, KeyCode::Enter);
    match app.take_jobs().into_iter().next() {
        Some(Job::StartStudy { dispatch, .. }) => {
            assert!(
                matches!(&dispatch, Dispatch::Slurm(o) if o.time.as_deref() == Some("00:05:00")),
                "{dispatch:?}"
            );
        }
        other => panic!("a study, not {other:?}"),
    }
}
