//! The TUI in-process: the real App and key handler, profiling jobs run inline, rendered into a
//! ratatui TestBackend and compared with committed snapshots.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shelfcast::store::RunStore;
use shelfcast::tui::app::App;
use shelfcast::tui::jobs::JobContext;
use shelfcast::tui::keymap::Keymap;
use shelfcast::tui::panes::compare::CompareTab;
use shelfcast::tui::panes::datasets::{DATASETS_KEYS, DatasetsTab, EntryState};
use shelfcast::tui::panes::drift::DriftTab;
use shelfcast::tui::panes::forecast::ForecastTab;
use shelfcast::tui::panes::models::ModelsTab;
use shelfcast::tui::panes::monitor::MonitorTab;
use shelfcast::tui::panes::predict::PredictTab;
use shelfcast::tui::panes::runs::RunsTab;
use shelfcast::tui::panes::train::TrainTab;
use shelfcast::tui::theme::Theme;
use tokio::sync::mpsc::unbounded_channel;

use crate::common::{fixtures, project};
use crate::data::BAD_INPUTS;

pub(crate) fn app_for(root: &std::path::Path) -> App {
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    App::new(
        &shelfcast::project::Project::new(root),
        store,
        Theme::monochrome(),
    )
}

/// Runs every job the app asks for (profiles, model loads, launches, drift checks) inline, as
/// the event loop does on the blocking pool, feeding progress and outcomes back.
pub(crate) fn settle(app: &mut App) {
    let (tx, mut rx) = unbounded_channel();
    let ctx = JobContext {
        project: app.project.clone(),
        store: app.store.location().clone(),
    };
    loop {
        let jobs = app.take_jobs();
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            shelfcast::tui::jobs::run(job, &ctx, &tx);
            while let Ok(action) = rx.try_recv() {
                app.update(action);
            }
        }
    }
}

/// The first job `wanted` picks, returned unrun; every other job is run inline to the end.
pub(crate) fn take_job(
    app: &mut App,
    wanted: impl Fn(&shelfcast::tui::action::Job) -> bool,
) -> Option<shelfcast::tui::action::Job> {
    let mut found = None;
    for job in app.take_jobs() {
        if found.is_none() && wanted(&job) {
            found = Some(job);
        } else {
            let (tx, mut rx) = unbounded_channel();
            let ctx = JobContext {
                project: app.project.clone(),
                store: app.store.location().clone(),
            };
            shelfcast::tui::jobs::run(job, &ctx, &tx);
            while let Ok(action) = rx.try_recv() {
                app.update(action);
            }
        }
    }
    // What those jobs asked for in turn (the next file's profile) runs too.
    settle(app);
    found
}

/// The panes by type: the App names none, tests reach them through `App::pane`.
pub(crate) trait Panes {
    fn datasets(&mut self) -> &mut DatasetsTab;
    fn train(&mut self) -> &mut TrainTab;
    fn runs(&mut self) -> &mut RunsTab;
    fn compare(&mut self) -> &mut CompareTab;
    fn models(&mut self) -> &mut ModelsTab;
    fn predict(&mut self) -> &mut PredictTab;
    fn drift(&mut self) -> &mut DriftTab;
    fn forecast(&mut self) -> &mut ForecastTab;
    fn monitor(&mut self) -> &mut MonitorTab;
}

impl Panes for App {
    fn datasets(&mut self) -> &mut DatasetsTab {
        self.pane_mut().expect("the Datasets tab")
    }
    fn train(&mut self) -> &mut TrainTab {
        self.pane_mut().expect("the Train tab")
    }
    fn runs(&mut self) -> &mut RunsTab {
        self.pane_mut().expect("the Runs tab")
    }
    fn forecast(&mut self) -> &mut ForecastTab {
        self.pane_mut().expect("the Forecast tab")
    }
    fn compare(&mut self) -> &mut CompareTab {
        self.pane_mut().expect("the Compare tab")
    }
    fn models(&mut self) -> &mut ModelsTab {
        self.pane_mut().expect("the Models tab")
    }
    fn predict(&mut self) -> &mut PredictTab {
        self.pane_mut().expect("the Predict tab")
    }
    fn drift(&mut self) -> &mut DriftTab {
        self.pane_mut().expect("the Drift tab")
    }
    fn monitor(&mut self) -> &mut MonitorTab {
        self.pane_mut().expect("the Monitor tab")
    }
}

/// One key press, as the terminal sends it.
pub(crate) fn key(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
}

/// Each character of `text` as a key press.
pub(crate) fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub(crate) fn draw(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|frame| app.render(frame)).expect("draw");
    terminal
}

pub(crate) fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn small_project() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, root) = project();
    std::fs::copy(
        fixtures().join("small/weekly_sales.csv"),
        root.join("data/weekly_sales.csv"),
    )
    .expect("copy");
    std::fs::write(
        root.join("data/stores.csv"),
        "store,region,opened\nS1,North,2019-03-01\nS2,South,2021-07-15\n",
    )
    .expect("write");
    (tmp, root)
}

#[test]
fn datasets_pane_shows_files_profile_histogram_and_sample() {
    let (_tmp, root) = small_project();
    let mut app = app_for(&root);
    settle(&mut app);
    // Select weekly_sales.csv, focus the columns, move to `units`.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Tab);
    for _ in 0..5 {
        key(&mut app, KeyCode::Char('j'));
    }
    let terminal = draw(&mut app, 120, 34);
    let text = screen_text(&terminal);
    assert!(text.contains("12 rows × 6 columns"), "{text}");
    assert!(text.contains("units — distribution"), "{text}");
    insta::assert_snapshot!("datasets_pane", terminal.backend());
}

#[test]
fn help_overlay_lists_the_live_keymap() {
    let (_tmp, root) = small_project();
    let mut app = app_for(&root);
    settle(&mut app);
    key(&mut app, KeyCode::Char('?'));
    let terminal = draw(&mut app, 100, 30);
    let text = screen_text(&terminal);
    for help in Keymap::default().help(&DATASETS_KEYS) {
        assert!(
            text.contains(help.desc) && text.contains(&help.keys),
            "help misses '{}  {}'",
            help.keys,
            help.desc
        );
    }
    insta::assert_snapshot!("help_overlay", terminal.backend());
    // Keys go to the overlay while it is open: j does not move the selection.
    let before = app.datasets().files_state.selected();
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.datasets().files_state.selected(), before);
    key(&mut app, KeyCode::Esc);
    assert!(!app.show_help);
}

#[test]
fn a_profile_in_progress_shows_a_gauge_and_keys_still_move() {
    let (_tmp, root) = small_project();
    let mut app = app_for(&root);
    // Take the job but do not run it yet: the file is "being profiled".
    let jobs = app.take_jobs();
    let Some(shelfcast::tui::action::Job::Profile { file, .. }) = jobs.first() else {
        panic!("a profile job, not {jobs:?}");
    };
    app.update(shelfcast::tui::action::Action::ProfileProgress {
        path: file.path.clone(),
        stage: shelfcast::data::ProfileStage::Profiling { done: 3, total: 6 },
    });
    let text = screen_text(&draw(&mut app, 100, 24));
    assert!(text.contains("profiling columns: 3 of 6"), "{text}");
    let before = app.datasets().files_state.selected();
    key(&mut app, KeyCode::Char('j'));
    assert_ne!(
        app.datasets().files_state.selected(),
        before,
        "keys must work while profiling"
    );
}

#[test]
fn files_appear_and_disappear_on_rescan_and_keep_the_selection() {
    let (_tmp, root) = small_project();
    let mut app = app_for(&root);
    settle(&mut app);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(
        app.datasets().selected().map(|e| e.file.relative.as_str()),
        Some("weekly_sales.csv")
    );
    std::fs::write(root.join("data/a_new.csv"), "x,y\n1,2\n").expect("write");
    app.update(shelfcast::tui::action::Action::DataFolderChanged);
    let names: Vec<&str> = app
        .datasets()
        .entries
        .iter()
        .map(|e| e.file.relative.as_str())
        .collect();
    assert_eq!(names, vec!["a_new.csv", "stores.csv", "weekly_sales.csv"]);
    assert_eq!(
        app.datasets().selected().map(|e| e.file.relative.as_str()),
        Some("weekly_sales.csv")
    );
    std::fs::remove_file(root.join("data/a_new.csv")).expect("remove");
    app.update(shelfcast::tui::action::Action::DataFolderChanged);
    assert_eq!(app.datasets().entries.len(), 2);
}

#[test]
fn every_bad_input_shows_its_specific_error_in_the_pane() {
    let (_tmp, root) = project();
    for (name, _) in BAD_INPUTS {
        std::fs::copy(
            fixtures().join("bad").join(name),
            root.join("data").join(name),
        )
        .expect("copy");
    }
    let mut app = app_for(&root);
    settle(&mut app);
    let mut names: Vec<&str> = BAD_INPUTS.iter().map(|(n, _)| *n).collect();
    names.sort();
    for (index, name) in names.iter().enumerate() {
        let expected = BAD_INPUTS
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| *m)
            .expect("listed");
        assert_eq!(app.datasets().files_state.selected(), Some(index));
        let entry = app.datasets().selected().expect("selected");
        assert!(
            matches!(&entry.state, EntryState::Failed(m) if m.contains(expected)),
            "{name}: {:?}",
            entry.state
        );
        let text = screen_text(&draw(&mut app, 200, 30));
        assert!(
            text.contains(&format!("{name} — cannot be read")),
            "{name}:\n{text}"
        );
        assert!(
            text.contains(expected),
            "{name}: the pane does not show '{expected}':\n{text}"
        );
        key(&mut app, KeyCode::Char('j'));
    }
}

#[test]
fn tiny_terminals_do_not_panic() {
    let (_tmp, root) = small_project();
    let mut app = app_for(&root);
    settle(&mut app);
    for (w, h) in [(0, 0), (1, 1), (20, 5), (40, 10), (80, 24)] {
        draw(&mut app, w, h);
        key(&mut app, KeyCode::Char('?'));
        draw(&mut app, w, h);
        key(&mut app, KeyCode::Esc);
    }
}

#[test]
fn control_characters_in_data_never_reach_the_terminal() {
    let (_tmp, root) = project();
    std::fs::copy(
        fixtures().join("edge/control_chars.csv"),
        root.join("data/control_chars.csv"),
    )
    .expect("copy");
    let mut app = app_for(&root);
    settle(&mut app);
    let terminal = draw(&mut app, 120, 30);
    let text = screen_text(&terminal);
    assert!(text.contains("end cap⏎week 3"), "{text}");
    assert!(text.contains("�[2Jcleared?"), "{text}");
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "a control character reached a cell: {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn keys_toml_rebinds_a_key_everywhere_and_a_mistake_names_its_line() {
    use shelfcast::tui::keymap_file::parse_keymap;
    let sections = shelfcast::tui::key_sections();
    let path = std::path::Path::new("keys.toml");
    let keys = parse_keymap(
        path,
        "# mine\n[datasets]\ndown = [\"n\", \"down\"]\n\n[global]\nquit = \"ctrl-q\"\n",
        &sections,
    )
    .expect("a good file");
    let (_tmp, root) = small_project();
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let mut app = App::with_keys(
        &shelfcast::project::Project::new(&root),
        store,
        Theme::monochrome(),
        keys,
    );
    settle(&mut app);
    let before = app.datasets().files_state.selected();
    key(&mut app, KeyCode::Char('n'));
    assert_ne!(app.datasets().files_state.selected(), before, "n moves now");
    let moved = app.datasets().files_state.selected();
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(
        app.datasets().files_state.selected(),
        moved,
        "j no longer does"
    );
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit, "q is not quit any more");
    key(&mut app, KeyCode::Char('?'));
    let text = screen_text(&draw(&mut app, 100, 30));
    assert!(text.contains("n / ↓") && text.contains("Ctrl-Q"), "{text}");
    let footer = screen_text(&draw(&mut app, 100, 30));
    assert!(footer.contains("Ctrl-Q quit"), "{footer}");
    app.handle_key(&KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL));
    assert!(app.should_quit);

    for (text, line, says) in [
        (
            "[runs]\nfliter = \"f\"\n",
            2,
            "[runs] has no action 'fliter'; did you mean filter?",
        ),
        (
            "[datasets]\n\ndown = \"hyper\"\n",
            3,
            "'hyper' is not a key",
        ),
        (
            "[globl]\nquit = \"x\"\n",
            1,
            "no section [globl]; did you mean [global]?",
        ),
        (
            "[runs]\nfilter = \"x\"\n",
            2,
            "'x' is experiment's default key",
        ),
        (
            "[runs]\nfilter = [\"f\", \"f\"]\n",
            2,
            "'f' is already bound to filter",
        ),
        ("[runs\n", 1, ""),
    ] {
        let error = parse_keymap(path, text, &sections).expect_err(text);
        assert_eq!(error.line, line, "{text}: {error}");
        assert!(error.to_string().contains(says), "{text}: {error}");
        assert!(error.to_string().starts_with("keys.toml: line "), "{error}");
    }
}
