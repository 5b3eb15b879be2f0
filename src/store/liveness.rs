//! Is a run's worker still there? A worker writes a heartbeat into its run every few seconds;
//! whoever watches (the TUI, `wait`, any process opening the store) reaps a run whose worker is
//! gone: its pid names no live Shelfcast process (read from /proc on Linux, so a recycled pid
//! never keeps a dead run "running"), or its heartbeat stopped. A queued run that no worker
//! ever took (its launcher died between recording it and starting the worker) is reaped after
//! a short grace.

use std::time::Duration;

use rusqlite::params;

use super::metrics::MetricPoint;
use super::runs::{RunId, RunStatus};
use super::{RunStore, StoreError, now_ms, now_text};

/// How often a worker writes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);

/// A running run whose heartbeat is older than this has a stuck or vanished worker, whatever
/// its pid says (a pid reused by another Shelfcast process, a worker on a frozen disk).
pub const HEARTBEAT_STALE: Duration = Duration::from_secs(60);

/// A queued run with no worker pid after this long lost its launcher.
pub const QUEUED_GRACE: Duration = Duration::from_secs(30);

/// `true` when `pid` is a live Shelfcast process. Elsewhere than Linux nothing can be told, and
/// every pid is taken as alive: runs are then never reaped by mistake.
pub fn is_shelfcast_alive(pid: i64) -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) else {
        return false;
    };
    // The state follows the parenthesised command name, which may itself hold spaces.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    if matches!(state, Some("Z" | "X" | "x")) {
        return false;
    }
    std::fs::read(proc_dir.join("cmdline"))
        .map(|cmdline| String::from_utf8_lossy(&cmdline).contains("shelfcast"))
        .unwrap_or(false)
}

/// Whether the worker `pid` on `host` may be alive. A pid on another machine (a store shared
/// by several) cannot be looked up here: it counts as alive, and its heartbeat alone tells.
pub(super) fn worker_may_live(pid: i64, host: Option<&str>) -> bool {
    let here = super::Launcher::current().host.as_deref();
    match (host, here) {
        (Some(there), Some(here)) if there != here => true,
        _ => is_shelfcast_alive(pid),
    }
}

/// Why a candidate run is dead, or `None` while its worker lives.
fn death(
    pid: Option<i64>,
    host: Option<&str>,
    on_slurm: bool,
    status: &str,
    heartbeat_ms: Option<i64>,
    created_ms: Option<i64>,
    now: i64,
) -> Option<String> {
    // On Slurm the scheduler says how a job ended (over its time, out of memory, its node
    // lost), which a dead pid cannot: `jobs::slurm::reconcile` ends those runs.
    if on_slurm {
        return None;
    }
    match pid {
        Some(pid) if !worker_may_live(pid, host) => Some(format!(
            "the worker (pid {pid}) ended without finishing: it crashed or was killed"
        )),
        Some(pid) => heartbeat_ms
            .filter(|beat| status == "running" && now - beat > HEARTBEAT_STALE.as_millis() as i64)
            .map(|beat| {
                format!(
                    "the worker (pid {pid}) stopped answering: no heartbeat for {} s",
                    (now - beat) / 1000
                )
            }),
        None => created_ms
            .filter(|created| status == "queued" && now - created > QUEUED_GRACE.as_millis() as i64)
            .map(|_| {
                format!(
                    "no worker started it within {} s: the process that queued it died first",
                    QUEUED_GRACE.as_secs()
                )
            }),
    }
}

impl RunStore {
    /// The worker's sign of life, every `HEARTBEAT_EVERY` while it trains.
    pub fn heartbeat(&mut self, id: RunId) -> Result<(), StoreError> {
        self.heartbeat_with(id, &[])
    }

    /// The heartbeat and `points` (the run's system metrics) in one transaction.
    pub fn heartbeat_with(&mut self, id: RunId, points: &[MetricPoint]) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE runs SET heartbeat_ms = ?2 WHERE id = ?1 AND status = 'running'",
                params![id, now_ms()],
            )?;
            if !points.is_empty() {
                super::metrics::write_metrics(tx, id, points)?;
            }
            Ok(())
        })
    }

    /// Marks every run whose worker is gone (see the module doc): `killed` when a cancel had
    /// been asked for, `failed` otherwise, with the reason and the last step it logged. Returns
    /// the runs it marked. Points logged before the death stay. Cheap when nothing is running:
    /// the TUI and `wait` call it on every poll.
    pub fn reap_dead_runs(&mut self) -> Result<Vec<RunId>, StoreError> {
        if self.read_only {
            return Ok(Vec::new());
        }
        type Candidate = (
            RunId,
            Option<i64>,
            bool,
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
            bool,
        );
        let candidates: Vec<Candidate> = self.db.query_map(
            "SELECT id, pid, cancel_requested, status, heartbeat_ms, created_at, worker_host, \
             slurm_job_id IS NOT NULL FROM runs WHERE status IN ('running', 'queued')",
            &[],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get::<_, i64>(2)? != 0,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                ))
            },
        )?;
        let now = now_ms();
        let dead: Vec<(RunId, Option<i64>, bool, String)> = candidates
            .into_iter()
            .filter_map(
                |(id, pid, cancelled, status, beat, created, host, on_slurm)| {
                    let created_ms = created
                        .as_deref()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.timestamp_millis());
                    death(
                        pid,
                        host.as_deref(),
                        on_slurm,
                        &status,
                        beat,
                        created_ms,
                        now,
                    )
                    .map(|why| (id, pid, cancelled, why))
                },
            )
            .collect();
        if dead.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let mut reaped = Vec::new();
            for (id, pid, cancelled, why) in dead {
                let last_step: Option<i64> = tx.query_row(
                    "SELECT max(p.step) FROM metric_series s \
                     JOIN metric_points p ON p.series_id = s.id WHERE s.run_id = ?1",
                    params![id],
                    |row| row.get(0),
                )?;
                let logged = match last_step {
                    Some(step) => format!("its points up to step {step} are kept"),
                    None => "it had logged no metric".to_string(),
                };
                let (status, reason) = if cancelled {
                    (RunStatus::Killed, format!("cancelled: {why}; {logged}"))
                } else {
                    (RunStatus::Failed, format!("{why}; {logged}"))
                };
                // Re-checked inside the write: the worker may have finished (or started)
                // meanwhile, so the row must still be as it was read.
                let changed = tx.execute(
                    "UPDATE runs SET status = ?2, ended_at = ?3, error = ?4 \
                     WHERE id = ?1 AND status IN ('running', 'queued') AND pid IS NOT DISTINCT FROM ?5",
                    params![id, status.as_str(), now_text(), reason, pid],
                )?;
                if changed > 0 {
                    reaped.push(id);
                }
            }
            Ok(reaped)
        })
    }
}
