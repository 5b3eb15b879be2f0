//! The terminal UI: a thin face over the core. One event loop owns the app state and selects over
//! terminal events, a slow tick (which also notices other processes' commits, such as a training
//! worker's steps), and the action channel fed by the data-folder watcher and background jobs.
//! Nothing slow runs on the loop: profiling and launching run on blocking threads, training in
//! its own detached process.

pub mod action;
pub mod app;
pub mod component;
pub mod keymap;
pub mod panes;
pub mod theme;
pub mod widgets;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::data::{self, DatasetFile};
use crate::jobs::launch_run;
use crate::jobs::watcher::watch_data_dir;
use crate::project::Project;
use crate::store::RunStore;
use action::Action;
use app::App;
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
    let (store, read_only) = project
        .open_store_for_reading()
        .with_context(|| format!("opening {}", project.store_path().display()))?;
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
    let mut app = App::new(project, store, Theme::from_env());
    if let Some(note) = note {
        app.status = note;
    }
    let watch_tx = tx.clone();
    let _watcher = match watch_data_dir(&project.data_dir(), move || {
        let _ = watch_tx.send(Action::DatasetsChanged);
    }) {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            app.status = format!("not watching data/ for changes: {e}");
            None
        }
    };
    // try_init installs a panic hook that restores the terminal before the panic message.
    let mut terminal = ratatui::try_init().context("the terminal UI needs a terminal")?;
    let result = event_loop(&mut terminal, project, &mut app, &tx, &mut rx).await;
    ratatui::try_restore().context("restoring the terminal")?;
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    project: &Project,
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
        spawn_jobs(app, project, tx);
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

fn spawn_jobs(app: &mut App, project: &Project, tx: &UnboundedSender<Action>) {
    if let Some((file, use_cache)) = app.datasets.next_job() {
        let store_path = app.store.path().to_path_buf();
        let options = app.datasets.read_options.clone();
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || {
            run_profile_job(&store_path, file, &options, use_cache, &tx)
        });
    }
    // Launching reads and checks the whole dataset before the worker starts: off the UI task.
    if let Some(request) = app.train.pending_launch.take() {
        let project = project.clone();
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || {
            let result = launch_run(&project, &request).map_err(|e| e.to_string());
            let _ = tx.send(Action::Launched(result));
        });
    }
    // A drift check reads two datasets and tests every column: off the UI task, with progress.
    if let Some(request) = app.drift.take_pending() {
        let project = project.clone();
        let store_path = app.store.path().to_path_buf();
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || {
            let result = RunStore::open(&store_path)
                .map_err(|e| e.to_string())
                .and_then(|mut store| {
                    crate::drift::run::run_drift(
                        &project,
                        &mut store,
                        &request,
                        &|done, total, column| {
                            let _ = tx.send(Action::DriftProgress {
                                done,
                                total,
                                column: column.to_string(),
                            });
                        },
                    )
                    .map_err(|e| e.to_string())
                });
            let _ = tx.send(Action::DriftDone(Box::new(result)));
        });
    }
    // Reading a model checks every file's sha256: off the UI task too.
    if let Some(reference) = app.predict.take_pending_load() {
        let project = project.clone();
        let store_path = app.store.path().to_path_buf();
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || {
            let load = panes::predict::load_model(&project, &store_path, reference);
            let _ = tx.send(Action::ModelLoaded(load));
        });
    }
}

/// Profiles one file with its own store connection and reports progress and the outcome as
/// actions. Used by the event loop (on a blocking thread) and by tests (inline).
pub fn run_profile_job(
    store_path: &Path,
    file: DatasetFile,
    options: &data::ReadOptions,
    use_cache: bool,
    tx: &UnboundedSender<Action>,
) {
    let path = file.path.clone();
    let result = RunStore::open(store_path)
        .map_err(data::DataError::from)
        .and_then(|mut store| {
            data::profile_dataset(&mut store, &file, options, use_cache, &|stage| {
                let _ = tx.send(Action::ProfileProgress {
                    path: path.clone(),
                    stage,
                });
            })
        });
    let _ = tx.send(Action::ProfileDone {
        file,
        result: result.map(Box::new).map_err(|e| e.to_string()),
    });
}

/// The Runs tab's first frame of `project`, as the TUI draws it at start (opening the store with
/// its dead-run check, the runs query, the table on a 160×45 screen): `bench store` times it.
/// Returns how many runs the table lists.
pub fn runs_first_frame(project: &Project) -> anyhow::Result<usize> {
    let store = RunStore::open(&project.store_path())?;
    let mut app = App::new(project, store, Theme::default());
    app.switch_to(app::Tab::Runs);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45))?;
    terminal.draw(|frame| app.render(frame))?;
    Ok(app.runs.rows.len())
}
