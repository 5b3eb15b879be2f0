//! The Predict and Models tabs in-process, on models trained by the real worker and registered
//! through the CLI: snapshots of both panes; the form generated from the signature with its
//! checks as you type; a prediction that matches the core's; the promotion what-if; saved forms;
//! switching between champion and challenger, and following an alias that moved; registering
//! from the Compare tab.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use shelfcast::ml::predict::predict_record;
use shelfcast::project::Project;
use shelfcast::registry::{ModelRef, load_version, set_alias};
use shelfcast::store::RunStore;
use shelfcast::tui::app::App;
use shelfcast::tui::panes::Tab;
use shelfcast::tui::panes::predict::PredictTab;

use crate::common::{describe, sales_project, shelfcast, train_sales};
use crate::tui::{Panes, key, typed};

fn screen(app: &mut App) -> String {
    crate::tui::screen_text(&draw(app))
}

fn draw(app: &mut App) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    crate::tui::draw(app, 130, 26)
}

/// Loads the model the Predict tab asked for, inline (the event loop does it on a thread).
fn settle(app: &mut App, _root: &std::path::Path) {
    crate::tui::settle(app);
}

fn cli(root: &std::path::Path, args: &[&str]) {
    let output = shelfcast(root, args);
    assert!(output.status.success(), "{args:?}: {}", describe(&output));
}

/// Two runs of `data/sales.csv` registered as `promo` 1 (champion) and 2 (challenger), with
/// every time in the store pinned so snapshots hold still.
fn registered_project() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, root) = sales_project(2, 2, 30);
    train_sales(&root, 5, &["--param", "rounds=10", "--name", "small"]);
    train_sales(&root, 5, &["--param", "rounds=30", "--name", "large"]);
    cli(&root, &["register", "1", "--model", "promo"]);
    cli(
        &root,
        &["register", "2", "--model", "promo", "--alias", "challenger"],
    );
    cli(&root, &["alias", "promo", "champion", "1"]);
    pin_times(&root);
    (tmp, root)
}

fn pin_times(root: &std::path::Path) {
    let db = rusqlite::Connection::open(root.join("runs.db")).expect("sqlite");
    db.execute_batch(
        "UPDATE model_versions SET created_at = '2026-11-20T09:00:00.000Z';
         UPDATE model_alias_history SET moved_at = '2026-11-20T09:0' || id || ':00.000Z';
         UPDATE saved_forms SET saved_at = '2026-11-20T10:00:00.000Z';",
    )
    .expect("pin times");
}

fn field_value(app: &App, name: &str) -> String {
    app.pane::<PredictTab>()
        .expect("the Predict tab")
        .fields
        .iter()
        .find(|f| f.input.name == name)
        .map(|f| f.value.clone())
        .unwrap_or_else(|| panic!("no field {name}"))
}

/// Moves the focus to the field `name` (from anywhere in the form).
fn focus(app: &mut App, name: &str) {
    let index = app
        .predict()
        .fields
        .iter()
        .position(|f| f.input.name == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    for _ in 0..app.predict().fields.len() + 1 {
        key(app, KeyCode::Char('k'));
    }
    for _ in 0..=index {
        key(app, KeyCode::Char('j'));
    }
}

#[test]
fn the_models_pane_lists_versions_aliases_lineage_and_history_and_enter_opens_predict() {
    let (_tmp, root) = registered_project();
    let mut app = crate::tui::app_for(&root);
    key(&mut app, KeyCode::Char('5'));
    insta::assert_snapshot!("models_pane", draw(&mut app).backend());
    // Enter on version 2 opens the Predict tab on exactly that version.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.active, Tab::Predict);
    settle(&mut app, &root);
    let loaded = app.predict().loaded.as_ref().expect("loaded");
    assert_eq!(loaded.reference, ModelRef::Version("promo".into(), 2));
    assert_eq!(loaded.version.version, 2);
}

#[test]
fn the_predict_pane_checks_as_you_type_predicts_with_interval_and_uplift_and_saves_forms() {
    let (_tmp, root) = registered_project();
    let mut app = crate::tui::app_for(&root);
    key(&mut app, KeyCode::Char('6'));
    assert_eq!(app.active, Tab::Predict);
    assert!(app.predict().loading, "the model loads off the UI task");
    settle(&mut app, &root);
    let loaded = app.predict().loaded.as_ref().expect("loaded");
    assert_eq!(
        loaded.reference,
        ModelRef::Alias("promo".into(), "champion".into())
    );
    // A form from the signature: typical training values to start from.
    let names: Vec<&str> = app
        .predict()
        .fields
        .iter()
        .map(|f| f.input.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "week", "store", "item", "category", "price", "promo", "constant"
        ]
    );
    insta::assert_snapshot!("predict_form", draw(&mut app).backend());

    // Out of range: a warning as it is typed; not a number: an error, and Enter refuses.
    focus(&mut app, "price");
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "99");
    let text = screen(&mut app);
    assert!(text.contains("99▏"), "{text}");
    assert!(text.contains("⚠ outside training range 2 … 3"), "{text}");
    typed(&mut app, "x");
    assert!(screen(&mut app).contains("✗ '99x' is not a number"));
    key(&mut app, KeyCode::Enter);
    let text = screen(&mut app);
    assert!(text.contains("fix 1 field(s) first: price"), "{text}");
    assert!(app.predict().outcome.is_none());
    // `q` typed into a field is text, not quit.
    key(&mut app, KeyCode::Char('e'));
    typed(&mut app, "q");
    assert!(!app.should_quit);
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    typed(&mut app, "3");
    key(&mut app, KeyCode::Esc);
    focus(&mut app, "promo");
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "1");
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("predict_result", draw(&mut app).backend());

    // The pane's answer is the core's answer for the same record.
    let outcome = app.predict().outcome.clone().expect("a prediction");
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let (_, model) = load_version(
        &Project::new(&root),
        &store,
        &ModelRef::parse("promo@champion").expect("ref"),
    )
    .expect("load");
    let expected = predict_record(&model, &outcome.record, true).expect("predict");
    assert_eq!(outcome.prediction, expected);
    assert_eq!(outcome.record["price"], Value::String("3".into()));
    let (low, high) = expected.interval.expect("an interval");
    assert!(low <= expected.value && expected.value <= high);
    assert_eq!(
        expected.uplift.len(),
        2,
        "off, and on (a flag without depth)"
    );
    assert!(
        expected.uplift[1].uplift > 0.0,
        "the fixture's promotion lifts sales"
    );

    // Save the form, change it, recall it.
    key(&mut app, KeyCode::Char('s'));
    typed(&mut app, "promo week");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&mut app).contains("form 'promo week' saved for promo"));
    focus(&mut app, "category");
    key(&mut app, KeyCode::Right);
    assert_ne!(field_value(&app, "category"), outcome.record["category"]);
    let text = screen(&mut app);
    assert!(
        text.contains("the form changed since: Enter predicts again"),
        "{text}"
    );
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        Value::String(field_value(&app, "category")),
        outcome.record["category"]
    );
    assert_eq!(field_value(&app, "price"), "3");
    let forms = store.saved_forms("promo").expect("forms");
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].record["promo"], Value::String("1".into()));

    // The challenger, by ← → on the model row: the scenario is kept.
    focus(&mut app, "week");
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Right);
    settle(&mut app, &root);
    let loaded = app.predict().loaded.as_ref().expect("loaded");
    assert_eq!(
        loaded.reference,
        ModelRef::Alias("promo".into(), "challenger".into())
    );
    assert_eq!(field_value(&app, "price"), "3");
    // The saved form belongs to the model, not the version.
    assert_eq!(app.predict().forms.len(), 1);

    // Back on the champion; then the champion moves elsewhere: showing the tab follows it.
    key(&mut app, KeyCode::Left);
    settle(&mut app, &root);
    assert_eq!(
        app.predict()
            .loaded
            .as_ref()
            .expect("loaded")
            .version
            .version,
        1
    );
    let mut store = RunStore::open(&root.join("runs.db")).expect("store");
    set_alias(&mut store, "promo", "champion", 2, "test").expect("promote");
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('6'));
    settle(&mut app, &root);
    let loaded = app.predict().loaded.as_ref().expect("loaded");
    assert_eq!(
        loaded.reference,
        ModelRef::Alias("promo".into(), "champion".into())
    );
    assert_eq!(loaded.version.version, 2);

    // A saved form is deleted after a yes.
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Char('y'));
    assert!(store.saved_forms("promo").expect("forms").is_empty());
}

#[test]
fn a_tampered_model_is_refused_in_the_predict_pane_naming_the_file() {
    let (_tmp, root) = registered_project();
    let file = root.join("models/promo/1/pipeline.json");
    let mut bytes = std::fs::read(&file).expect("read");
    bytes[10] ^= 1;
    std::fs::write(&file, bytes).expect("write");
    let mut app = crate::tui::app_for(&root);
    key(&mut app, KeyCode::Char('6'));
    settle(&mut app, &root);
    assert!(app.predict().loaded.is_none());
    let text = screen(&mut app);
    assert!(text.contains("pipeline.json"), "{text}");
    assert!(text.contains("checksum"), "{text}");
    // Enter says why nothing happens instead of predicting.
    key(&mut app, KeyCode::Enter);
    assert!(screen(&mut app).contains("no model loaded"));
}

#[test]
fn the_compare_tab_registers_the_best_run_by_its_headline_metric() {
    let (_tmp, root) = registered_project();
    let mut app = crate::tui::app_for(&root);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('C'));
    assert_eq!(app.active, Tab::Compare);
    key(&mut app, KeyCode::Char('r'));
    let comparison = app.compare().comparison.clone().expect("comparison");
    let rmse = comparison
        .metrics
        .iter()
        .find(|m| m.key == "rmse")
        .expect("rmse row");
    let best = comparison.runs[rmse.best_run.expect("best")].id;
    let text = screen(&mut app);
    assert!(
        text.contains(&format!(
            "register run {best} (best rmse) as a version of model:"
        )),
        "{text}"
    );
    // Typing is text while the prompt is open (a `q` does not quit).
    typed(&mut app, "q-best");
    assert!(!app.should_quit);
    key(&mut app, KeyCode::Enter);
    crate::tui::settle(&mut app);
    let text = screen(&mut app);
    assert!(
        text.contains(&format!("run {best} is q-best version 1")),
        "{text}"
    );
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let versions = store.model_versions(Some("q-best")).expect("versions");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].run_id, best);
    // Esc closes the prompt without registering; Tab offers the other run.
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Tab);
    assert!(!screen(&mut app).contains("(best rmse)"));
    key(&mut app, KeyCode::Esc);
    assert!(screen(&mut app).contains("not registered"));
    assert_eq!(
        app.active,
        Tab::Compare,
        "Esc in the prompt stays in Compare"
    );
}
