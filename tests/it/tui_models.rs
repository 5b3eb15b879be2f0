//! The Models tab and registering from the Runs tab, in-process: register two runs by keys,
//! promote, roll back and archive with a yes each, and the registry shows every move.

use crossterm::event::KeyCode;
use shelfcast::store::RunStore;
use shelfcast::tui::app::App;
use shelfcast::tui::panes::Tab;

use crate::common::{sales_project, train_sales};
use crate::tui::{Panes, key, typed};

fn screen(app: &mut App) -> String {
    crate::tui::screen_text(&crate::tui::draw(app, 120, 24))
}

#[test]
fn runs_are_registered_promoted_rolled_back_and_archived_from_the_keyboard() {
    let (_tmp, root) = sales_project(2, 2, 30);
    train_sales(&root, 5, &["--param", "rounds=10", "--name", "small"]);
    train_sales(&root, 5, &["--param", "rounds=30", "--name", "large"]);
    let mut app = crate::tui::app_for(&root);
    key(&mut app, KeyCode::Char('3'));
    // Newest first: run 2, then run 1. Register both as versions of "promo".
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Char('M'));
    typed(&mut app, "promo");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&mut app).contains("registering run 1 as a version of promo…"));
    // Registering copies the model's files: a job, run here as the event loop runs it.
    crate::tui::settle(&mut app);
    assert!(screen(&mut app).contains("run 1 is promo version 1"));
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char('M'));
    typed(&mut app, "promo");
    key(&mut app, KeyCode::Enter);
    crate::tui::settle(&mut app);
    key(&mut app, KeyCode::Char('M'));
    typed(&mut app, "bad name");
    key(&mut app, KeyCode::Enter);
    crate::tui::settle(&mut app);
    assert!(screen(&mut app).contains("not registered: model name 'bad name' is not allowed"));

    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.active, Tab::Models);
    assert_eq!(app.models().versions.len(), 2);
    // Version 1 champion, then version 2 (asked and confirmed), then roll back.
    key(&mut app, KeyCode::Char('p'));
    key(&mut app, KeyCode::Char('y'));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('p'));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.models().message.as_deref(), Some("nothing changed"));
    key(&mut app, KeyCode::Char('p'));
    key(&mut app, KeyCode::Char('y'));
    let text = screen(&mut app);
    assert!(
        text.contains("promo@champion: version 1 → version 2"),
        "{text}"
    );
    key(&mut app, KeyCode::Char('b'));
    key(&mut app, KeyCode::Char('y'));
    let text = screen(&mut app);
    assert!(
        text.contains("promo@champion: version 2 → version 1"),
        "{text}"
    );
    assert!(
        text.contains("Alias history and decisions of promo"),
        "{text}"
    );
    assert!(text.contains("rolled back in the Models tab"), "{text}");
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('y'));
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let versions = store.model_versions(Some("promo")).expect("versions");
    assert_eq!(versions[0].aliases, vec!["champion".to_string()]);
    assert_eq!(versions[1].status, "archived");
    // Archiving the champion is refused, with the registry's reason.
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('y'));
    assert!(screen(&mut app).contains("version 1 is champion; move the alias"));

    // A challenge that kept the champion moves no alias; its decision still shows, in order.
    let mut store = RunStore::open(&root.join("runs.db")).expect("store");
    store
        .record_decision(&shelfcast::store::Decision {
            id: 0,
            decided_at: String::new(),
            model_name: "promo".into(),
            champion_version: Some(1),
            challenger_run: 2,
            challenger_version: None,
            metric: "wape".into(),
            champion_score: Some(0.2),
            challenger_score: 0.199,
            margin: 0.02,
            p_value: None,
            promoted: false,
            why: "kept the champion: the challenger is 0.5% better, below the 2.0% margin".into(),
        })
        .expect("decision");
    key(&mut app, KeyCode::Char('j'));
    let text = screen(&mut app);
    let decision = text
        .lines()
        .position(|l| l.contains("decision   kept  kept the champion: the challenger is 0.5%"));
    let rollback = text
        .lines()
        .position(|l| l.contains("rolled back in the Models tab"));
    assert!(
        decision.is_some() && decision < rollback,
        "the decision, newest, above the roll-back: {text}"
    );
}
