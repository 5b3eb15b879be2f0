//! The terminal UI: a thin face over the core. One event loop owns the app state and selects over
//! terminal events, a slow tick (which also notices other processes' commits, such as a training
//! worker's steps), and the action channel fed by the data-folder watcher and background jobs.
//! Nothing slow runs on the loop: profiling and launching run on blocking threads, training in
//! its own detached process.

pub mod action;
pub mod app;
pub mod component;
pub mod jobs;
pub mod keymap;
pub mod keymap_file;
pub mod panes;
pub mod theme;
pub mod timing;
pub mod widgets;
mod writes;

use std::time::Duration;

use anyhow::Context;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::jobs::watcher::watch_data_dir;
use crate::project::Project;
use crate::store::RunStore;
use action::Action;
use app::App;
use jobs::JobContext;
use keymap::Keymap;
use keymap_file::{KeySection, describe_keymap, keymap_json, keymap_path, load_keymap};
use theme::Theme;

const TICK: Duration = Duration::from_millis(100);

pub fn run(project: Project) -> anyhow::Result<()> {
    let note = match project.ensure_sample_data() {
        Ok(Some(report)) => Some(format!(
            "data/ held no dataset: wrote the sample data (seed {})",
            report.seed
        )),
        Ok(None) => None,
        Err(e) => Some(format!("could not write the sample data: {e}")),
    };
    // Browsing needs no write: a full disk or a read-only folder still opens, read-only.
    let location = project.store_location()?;
    let (store, read_only) = project
        .open_store_for_reading()
        .with_context(|| format!("opening {location}"))?;
    let note = match (note, read_only) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(run_app(&project, store, note));
    // A profile still running on a blocking thread is abandoned: its store write is one
    // transaction, so nothing is half-written.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

async fn run_app(project: &Project, store: RunStore, note: Option<String>) -> anyhow::Result<()> {
    let (tx, mut rx) = unbounded_channel();
    // A keys.toml with a mistake does not keep the TUI closed: the defaults, and why.
    let (keys, keys_note) = match keymap_path().map(|path| load_keymap(&path, &key_sections())) {
        Some(Ok(keys)) => (keys, None),
        Some(Err(error)) => (
            Keymap::default(),
            Some(format!("{error}; using the default keys")),
        ),
        None => (Keymap::default(), None),
    };
    let mut app = App::with_keys(project, store, Theme::from_env(), keys);
    if let Some(note) = note.or(keys_note) {
        app.status = note;
    }
    let watch_tx = tx.clone();
    let _watcher = match watch_data_dir(&project.data_dir(), move || {
        let _ = watch_tx.send(Action::DataFolderChanged);
    }) {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            app.status = format!("not watching data/ for changes: {e}");
            None
        }
    };
    // try_init installs a panic hook that restores the terminal before the panic message.
    let mut terminal = ratatui::try_init().context("the terminal UI needs a terminal")?;
    let jobs = JobContext {
        project: project.clone(),
        store: app.store.location().clone(),
    };
    let result = event_loop(&mut terminal, &jobs, &mut app, &tx, &mut rx).await;
    ratatui::try_restore().context("restoring the terminal")?;
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    jobs: &JobContext,
    app: &mut App,
    tx: &UnboundedSender<Action>,
    rx: &mut UnboundedReceiver<Action>,
) -> anyhow::Result<()> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // A dropped SSH link sends SIGHUP; `kill` sends SIGTERM: both quit cleanly, restoring the
    // terminal, instead of dying in raw mode.
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut dirty = true;
    loop {
        for job in app.take_jobs() {
            jobs::spawn(job, jobs, tx);
        }
        if dirty {
            terminal.draw(|frame| app.render(frame))?;
            dirty = false;
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    app.handle_key(&key);
                    dirty = true;
                }
                Some(Ok(Event::Resize(_, _))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("reading terminal events"),
                None => break,
            },
            Some(action) = rx.recv() => {
                app.update(action);
                // Coalesce: apply everything already queued, then draw once.
                while let Ok(action) = rx.try_recv() {
                    app.update(action);
                }
                dirty = true;
            }
            _ = tick.tick() => dirty |= app.on_tick(),
            _ = hangup.recv() => break,
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
        if app.should_quit {
            break;
        }
    }
    Ok(())
}

/// Every key table: the global keys, the shared widgets' and each pane's (for keys.toml).
pub fn key_sections() -> Vec<&'static dyn KeySection> {
    let mut sections: Vec<&'static dyn KeySection> = vec![
        &keymap::GLOBAL_KEYS,
        &widgets::text_input::INPUT_KEYS,
        &widgets::confirm::CONFIRM_KEYS,
        &widgets::chart_grid::GRID_KEYS,
    ];
    sections.extend(panes::key_sections());
    sections
}

/// `shelfcast keys`: where the overrides are read from, whether they read, and every action
/// with its default keys (as JSON with `json`).
pub fn print_keys(json: bool) -> anyhow::Result<()> {
    let sections = key_sections();
    if json {
        if let Some(path) = keymap_path() {
            load_keymap(&path, &sections)?;
        }
        say!("{}", serde_json::to_string_pretty(&keymap_json(&sections))?);
        return Ok(());
    }
    match keymap_path() {
        Some(path) => {
            load_keymap(&path, &sections)?;
            let state = if path.exists() { "read" } else { "none yet" };
            say!("# overrides: {} ({state})", path.display());
        }
        None => say!("# overrides: no HOME, so none"),
    }
    say!("{}", describe_keymap(&sections).trim_end());
    Ok(())
}
