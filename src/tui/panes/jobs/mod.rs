//! The Jobs tab: the daemon (running or not; `S` starts it), the schedules (name, trigger, next
//! fire, last state, paused) and the job runs (state, attempt, duration, what they produced or
//! why they failed). `Tab` moves between the two tables; on a schedule `r` runs it now, `p`
//! pauses or resumes it, `D` removes it (asks first); on a job run `Enter` opens it (its record
//! and its lines of the daemon's log, tailed live) and `R` retries a failed one. The status bar
//! says whether the daemon runs, whatever the tab.
//!
//! State and keys live here; drawing in `view.rs`.

mod view;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use crate::jobs::daemon::{self, DaemonLock};
use crate::schedule::job::JobSpec;
use crate::schedule::trigger::Trigger;
use crate::store::{JobRunRow, JobState, RunStore, ScheduleRow};
use crate::tui::action::{Action, Job, StoreWrite, written_text};
use crate::tui::component::{
    Component, EventState, Freshness, PaneContext, RenderContext, StatusNote, Tick,
};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::keymap_file::KeySection;
use crate::tui::panes::Tab;
use crate::tui::widgets::confirm::{CONFIRM_KEYS, Confirm};
use crate::tui::widgets::table::{CursorMove, move_cursor};

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&JOBS_KEYS];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobsCommand {
    Down,
    Up,
    Switch,
    Open,
    Back,
    RunNow,
    Pause,
    Remove,
    Retry,
    StartDaemon,
}

key_table! {
    pub JOBS_KEYS: JobsCommand = "jobs" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => JobsCommand::Down, "next row";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => JobsCommand::Up, "previous row";
        switch: [KeySpec::plain(KeyCode::Tab)] => JobsCommand::Switch, "schedules ↔ job runs";
        open: [KeySpec::plain(KeyCode::Enter)] => JobsCommand::Open, "open the job run: its record and its log";
        back: [KeySpec::plain(KeyCode::Esc)] => JobsCommand::Back, "back to the tables";
        run_now: [KeySpec::char('r')] => JobsCommand::RunNow, "run the schedule now";
        pause: [KeySpec::char('p')] => JobsCommand::Pause, "pause or resume the schedule";
        remove: [KeySpec::char('D')] => JobsCommand::Remove, "remove the schedule (asks first)";
        retry: [KeySpec::char('R')] => JobsCommand::Retry, "retry the failed job run";
        start_daemon: [KeySpec::char('S')] => JobsCommand::StartDaemon, "start the daemon";
    }
}

/// A schedule as the tab shows it.
#[derive(Clone, Debug)]
pub struct ScheduleLine {
    pub row: ScheduleRow,
    pub trigger: String,
    pub job: String,
    pub next: Option<String>,
    pub last_state: Option<JobState>,
}

pub struct JobsTab {
    /// The split between its two areas (`<` `>`), kept while the TUI runs.
    pub split: crate::tui::widgets::split::Split,
    pub daemon: Option<DaemonLock>,
    pub schedules: Vec<ScheduleLine>,
    pub runs: Vec<JobRunRow>,
    pub schedule_table: TableState,
    pub run_table: TableState,
    /// Which table the keys move: false the schedules, true the job runs.
    pub on_runs: bool,
    /// The job run opened with Enter, and its lines of the daemon's log.
    pub opened: Option<(JobRunRow, Vec<String>)>,
    pub confirm: Option<Confirm<StoreWrite>>,
    pub message: Option<String>,
    fresh: Freshness,
    log_path: std::path::PathBuf,
}

impl JobsTab {
    pub fn new(ctx: &PaneContext<'_>) -> Self {
        let mut tab = Self {
            split: crate::tui::widgets::split::Split::new(40),
            daemon: None,
            schedules: Vec::new(),
            runs: Vec::new(),
            schedule_table: TableState::default(),
            run_table: TableState::default(),
            on_runs: false,
            opened: None,
            confirm: None,
            message: None,
            fresh: Freshness::default(),
            log_path: daemon::log_path(ctx.project),
        };
        tab.reload(ctx);
        tab
    }

    pub fn reload(&mut self, ctx: &PaneContext<'_>) {
        self.fresh.read();
        self.daemon = daemon::running(ctx.project);
        let now = chrono::Utc::now().timestamp_millis();
        match read(ctx.store, now) {
            Ok((schedules, runs)) => {
                self.schedules = schedules;
                self.runs = runs;
            }
            Err(e) => self.message = Some(format!("reading the schedules: {e}")),
        }
        keep_cursor(&mut self.schedule_table, self.schedules.len());
        keep_cursor(&mut self.run_table, self.runs.len());
        if let Some((run, _)) = &self.opened {
            let id = run.id;
            if let Some(run) = self.runs.iter().find(|r| r.id == id).cloned() {
                let lines = log_lines(&self.log_path, id);
                self.opened = Some((run, lines));
            }
        }
    }

    fn selected_schedule(&self) -> Option<&ScheduleLine> {
        self.schedule_table
            .selected()
            .and_then(|i| self.schedules.get(i))
    }

    fn selected_run(&self) -> Option<&JobRunRow> {
        self.run_table.selected().and_then(|i| self.runs.get(i))
    }

    fn write(&self, write: StoreWrite) -> EventState {
        EventState::action(Action::Write {
            write,
            asked_by: Tab::Jobs,
        })
    }

    fn command(&mut self, command: JobsCommand, ctx: &PaneContext<'_>) -> EventState {
        match command {
            JobsCommand::Down | JobsCommand::Up => {
                let step = if command == JobsCommand::Down {
                    CursorMove::Down
                } else {
                    CursorMove::Up
                };
                if self.on_runs {
                    move_cursor(&mut self.run_table, self.runs.len(), step);
                } else {
                    move_cursor(&mut self.schedule_table, self.schedules.len(), step);
                }
            }
            JobsCommand::Switch => self.on_runs = !self.on_runs,
            JobsCommand::Open => {
                if let Some(run) = self.selected_run().cloned() {
                    let lines = log_lines(&self.log_path, run.id);
                    self.opened = Some((run, lines));
                }
            }
            JobsCommand::Back if self.opened.is_some() => self.opened = None,
            JobsCommand::Back => return EventState::NotConsumed,
            JobsCommand::RunNow => {
                if let Some(s) = self.selected_schedule() {
                    return self.write(StoreWrite::RunScheduleNow(s.row.name.clone()));
                }
            }
            JobsCommand::Pause => {
                if let Some(s) = self.selected_schedule() {
                    return self.write(StoreWrite::PauseSchedule(
                        s.row.name.clone(),
                        !s.row.paused,
                    ));
                }
            }
            JobsCommand::Remove => {
                if let Some(s) = self.selected_schedule() {
                    let confirm = Confirm::new(
                        format!("remove the schedule {}?", s.row.name),
                        StoreWrite::RemoveSchedule(s.row.name.clone()),
                    );
                    self.message = Some(confirm.prompt(ctx.keys));
                    self.confirm = Some(confirm);
                }
            }
            JobsCommand::Retry => match self.selected_run() {
                Some(run) if matches!(run.state, JobState::Failed | JobState::Skipped) => {
                    return self.write(StoreWrite::RetryJobRun(run.id));
                }
                Some(run) => {
                    self.message = Some(format!(
                        "job run {} is {}; only a failed or skipped one is retried",
                        run.id,
                        run.state.as_str()
                    ))
                }
                None => {}
            },
            JobsCommand::StartDaemon => {
                if let Some(lock) = &self.daemon {
                    self.message = Some(format!("the daemon already runs (pid {})", lock.pid));
                } else {
                    self.message = Some("starting the daemon…".into());
                    return EventState::action(Action::Run(Job::StartDaemon));
                }
            }
        }
        EventState::Consumed
    }
}

fn keep_cursor(table: &mut TableState, len: usize) {
    let at = table.selected().unwrap_or(0).min(len.saturating_sub(1));
    table.select((len > 0).then_some(at));
}

/// The schedules with their next fire and last state, and the newest job runs.
fn read(
    store: &RunStore,
    now: i64,
) -> Result<(Vec<ScheduleLine>, Vec<JobRunRow>), crate::schedule::ScheduleError> {
    let mut lines = Vec::new();
    for row in store.schedules()? {
        let trigger: Trigger = serde_json::from_str(&row.trigger_json)?;
        let job: JobSpec = serde_json::from_str(&row.job_json)?;
        let tz = match &trigger {
            Trigger::Cron { tz, .. } => tz.clone(),
            _ => "UTC".to_string(),
        };
        let after = row.last_slot_ms.unwrap_or(row.created_ms).max(now);
        let next = if row.paused {
            None
        } else {
            trigger
                .next_after(after, row.created_ms)?
                .map(|ms| crate::schedule::trigger::local_text(ms, &tz))
        };
        let last_state = store.job_runs(Some(row.id), 1)?.first().map(|r| r.state);
        lines.push(ScheduleLine {
            trigger: trigger.describe(),
            job: job.describe(),
            next,
            last_state,
            row,
        });
    }
    Ok((lines, store.job_runs(None, 200)?))
}

/// The daemon log's lines about job run `id` (the last 200).
fn log_lines(path: &std::path::Path, id: i64) -> Vec<String> {
    let needle = format!("job run {id} ");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.contains(&needle) || l.contains(&format!("job run {id}:")))
        .map(crate::text::clean)
        .collect();
    let skip = lines.len().saturating_sub(200);
    lines.into_iter().skip(skip).collect()
}

impl Component for JobsTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        if let Some(confirm) = self.confirm.take() {
            return match confirm.answer(key, ctx.keys) {
                Some(write) => self.write(write),
                None => {
                    self.message = Some("nothing changed".into());
                    EventState::Consumed
                }
            };
        }
        match ctx.keys.lookup(&JOBS_KEYS, key) {
            Some(command) => self.command(command, ctx),
            None => EventState::NotConsumed,
        }
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        match action {
            Action::StoreChanged => self.fresh.mark_stale(),
            Action::Written {
                asked_by, result, ..
            } => {
                if *asked_by == Tab::Jobs {
                    self.message = Some(written_text(result));
                }
                self.reload(ctx);
            }
            Action::Status(text) if text.starts_with("daemon") || text.contains("daemon did") => {
                self.message = Some(text.clone());
                self.reload(ctx);
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_show(&mut self, ctx: &PaneContext<'_>) -> Vec<Action> {
        self.reload(ctx);
        Vec::new()
    }

    /// In front, the tab follows the daemon live (it writes from another process, and its log).
    fn on_tick(&mut self, ctx: &PaneContext<'_>) -> Tick {
        if Tab::front(ctx) == Tab::Jobs && (self.fresh.due() || self.fresh.aged()) {
            self.reload(ctx);
            return Tick::redraw(true);
        }
        Tick::default()
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx);
    }

    fn resize(&mut self, wider: bool) -> bool {
        self.split.resize(wider)
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        if self.confirm.is_some() {
            keys.help(&CONFIRM_KEYS)
        } else {
            keys.help(&JOBS_KEYS)
        }
    }

    /// Whether the daemon runs, once the project has schedules for it (or it runs anyway).
    fn status(&self, _spinner: char) -> Vec<StatusNote> {
        if self.daemon.is_none() && self.schedules.is_empty() {
            return Vec::new();
        }
        vec![StatusNote {
            rank: 5,
            text: match &self.daemon {
                Some(lock) => format!("daemon {}", lock.pid),
                None => "daemon off".to_string(),
            },
        }]
    }

    fn title(&self) -> &'static str {
        "Jobs"
    }
}
