//! File triggers: a schedule `--on-file 'data/weekly/*.csv'` fires for each matching file that
//! appeared or changed since its last firing, once the file's size has held for `STABLE_FOR` (a
//! copy still being written does not fire). File events (inotify, through notify) wake the
//! daemon the moment a file lands; polling every tick is the fallback that always runs, since
//! events can be unavailable (the watch limit reached) or silent (a network filesystem written
//! from another machine).

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::daemon::log_line;
use crate::project::Project;
use crate::schedule::trigger::Trigger;
use crate::store::{NewJobRun, RunStore};

/// How long a triggering file must keep its size before its job fires.
pub const STABLE_FOR: Duration = Duration::from_secs(3);

/// The files file triggers watch, with the size each had when last seen and since when.
pub struct FileWatch {
    seen: HashMap<PathBuf, (u64, Instant)>,
    /// Where events go (the daemon's wake-up channel); `None` when events are unavailable.
    events: Option<RecommendedWatcher>,
    watched: BTreeSet<PathBuf>,
    /// Folders whose watch failed, each said once in the log.
    refused: BTreeSet<PathBuf>,
}

impl FileWatch {
    /// A watch whose file events send on `wake`; polling alone when events cannot start.
    /// `SHELFCAST_FILE_EVENTS=off` asks for polling alone.
    pub fn new(wake: Sender<()>) -> Self {
        let off = std::env::var("SHELFCAST_FILE_EVENTS").is_ok_and(|v| v == "off");
        let events = if off {
            Err(notify::Error::generic("SHELFCAST_FILE_EVENTS=off"))
        } else {
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok() {
                    let _ = wake.send(());
                }
            })
        };
        let events = match events {
            Ok(watcher) => Some(watcher),
            Err(e) => {
                log_line(&format!(
                    "file events unavailable ({e}): file triggers are polled every tick"
                ));
                None
            }
        };
        FileWatch {
            seen: HashMap::new(),
            events,
            watched: BTreeSet::new(),
            refused: BTreeSet::new(),
        }
    }

    /// Watches the folder of `pattern` for events, once it exists.
    fn watch_folder(&mut self, root: &Path, pattern: &str) {
        let Some(events) = self.events.as_mut() else {
            return;
        };
        let folder = match pattern.rsplit_once('/') {
            Some((folder, _)) => root.join(folder),
            None => root.to_path_buf(),
        };
        if self.watched.contains(&folder) || self.refused.contains(&folder) || !folder.is_dir() {
            return;
        }
        match events.watch(&folder, RecursiveMode::NonRecursive) {
            Ok(()) => {
                log_line(&format!("watching {} for file events", folder.display()));
                self.watched.insert(folder);
            }
            Err(e) => {
                log_line(&format!(
                    "no file events for {} ({e}): polled every tick",
                    folder.display()
                ));
                self.refused.insert(folder);
            }
        }
    }

    /// Milliseconds until the soonest file seen changing has held its size for `STABLE_FOR`.
    pub fn settles_in(&self) -> Option<Duration> {
        self.seen
            .values()
            .map(|(_, since)| since.elapsed())
            .filter(|held| *held < STABLE_FOR)
            .map(|held| STABLE_FOR - held)
            .min()
    }

    /// Queues a job run for each matching file modified after its schedule's last slot whose
    /// size has held for `STABLE_FOR`, and moves the schedule past it.
    pub fn fire(
        &mut self,
        project: &Project,
        store: &mut RunStore,
        now_ms: i64,
    ) -> Result<(), crate::schedule::ScheduleError> {
        for schedule in store.schedules()? {
            let Trigger::File { glob } = serde_json::from_str(&schedule.trigger_json)? else {
                continue;
            };
            if schedule.paused {
                continue;
            }
            self.watch_folder(&project.root, &glob);
            let after = schedule.last_slot_ms.unwrap_or(schedule.created_ms);
            let mut newest = after;
            let mut fired = Vec::new();
            for (path, modified_ms, size) in matching_files(&project.root, &glob) {
                if modified_ms <= after {
                    continue;
                }
                let entry = self
                    .seen
                    .entry(path.clone())
                    .or_insert((size, Instant::now()));
                if entry.0 != size {
                    *entry = (size, Instant::now());
                    continue;
                }
                if entry.1.elapsed() < STABLE_FOR {
                    continue;
                }
                newest = newest.max(modified_ms);
                fired.push(path);
            }
            if fired.is_empty() {
                continue;
            }
            let kind =
                serde_json::from_str::<crate::schedule::job::JobSpec>(&schedule.job_json)?.kind();
            let shown: Vec<String> = fired
                .iter()
                .map(|p| {
                    p.strip_prefix(&project.root)
                        .unwrap_or(p)
                        .display()
                        .to_string()
                })
                .collect();
            let runs: Vec<NewJobRun<'_>> = shown
                .iter()
                .map(|path| {
                    crate::schedule::tick::first_attempt(
                        &schedule,
                        kind,
                        now_ms,
                        Some(path),
                        now_ms,
                    )
                })
                .collect();
            store.account_slots(schedule.id, newest, &runs)?;
            log_line(&format!(
                "{}: {} changed, job run(s) queued",
                schedule.name,
                shown.join(", ")
            ));
        }
        Ok(())
    }
}

/// Files under `root` matching `pattern` (`data/weekly/*.csv`: a folder, then a file name with
/// `*` and `?`), with their modification time (ms) and size.
pub fn matching_files(root: &Path, pattern: &str) -> Vec<(PathBuf, i64, u64)> {
    let (folder, name) = match pattern.rsplit_once('/') {
        Some((folder, name)) => (root.join(folder), name),
        None => (root.to_path_buf(), pattern),
    };
    let Ok(entries) = fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, i64, u64)> = entries
        .filter_map(Result::ok)
        .filter(|e| wildcard_match(name, &e.file_name().to_string_lossy()))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            if !meta.is_file() {
                return None;
            }
            let modified = meta
                .modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_millis() as i64;
            Some((e.path(), modified, meta.len()))
        })
        .collect();
    found.sort();
    found
}

/// `*` any run of characters, `?` one character; the rest literally.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}
