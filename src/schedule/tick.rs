//! One pass of the scheduler over the store, at the clock's `now`: every slot a schedule reached
//! since its last one becomes a recorded job run (queued, or skipped by the catch-up rule, with
//! why) in the same transaction that moves the schedule on; then the first due job run is run,
//! and a failure with retries left queues its next attempt after a doubling, jittered delay. A
//! job run a killed daemon left `running` is failed with that reason and retried the same way.

use super::ScheduleError;
use super::catchup::{CatchUp, SlotFate, plan};
use super::job::{JobSpec, Produced};
use super::trigger::Trigger;
use crate::store::{JobRunRow, JobState, NewJobRun, RunStore, ScheduleRow};

/// A slot older than this when the scheduler first sees it was missed (nothing was watching):
/// the catch-up rule decides whether it runs.
pub const LATE_AFTER_MS: i64 = 60_000;

/// The most slots one schedule accounts for in one pass; the rest are counted, as skipped.
pub const MAX_SLOTS: usize = 10_000;

/// The first retry waits this long; each next one twice as long (±20%), at most an hour.
pub const RETRY_BASE_MS: i64 = 10_000;
const RETRY_CAP_MS: i64 = 3_600_000;

/// What a pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accounted {
    pub queued: usize,
    pub skipped: usize,
}

/// Records every slot the clock-driven schedules reached by `now_ms`.
pub fn account_due_slots(store: &mut RunStore, now_ms: i64) -> Result<Accounted, ScheduleError> {
    let mut done = Accounted::default();
    for schedule in store.schedules()? {
        if schedule.paused {
            continue;
        }
        let trigger: Trigger = serde_json::from_str(&schedule.trigger_json)?;
        if matches!(trigger, Trigger::File { .. }) {
            continue;
        }
        let last = schedule.last_slot_ms.unwrap_or(schedule.created_ms);
        let (slots, count) = trigger.slots_between(last, now_ms, schedule.created_ms, MAX_SLOTS)?;
        let Some(&latest) = slots.last() else {
            continue;
        };
        let rule = CatchUp::parse(&schedule.catch_up)?;
        let kind = job_kind(&schedule)?;
        let mut reasons = Vec::with_capacity(slots.len());
        for (slot, fate) in plan(&slots, now_ms - LATE_AFTER_MS, rule) {
            reasons.push((slot, fate));
        }
        let mut moved_to = latest;
        let mut summary = None;
        if count > slots.len() {
            // Too many to list one by one (a seconds interval over a long downtime): the rest are
            // one skipped record that says how many, and the schedule moves past them.
            if let Trigger::Every { seconds } = trigger {
                let every = (seconds as i64 * 1000).max(1);
                moved_to = schedule.created_ms + (now_ms - schedule.created_ms) / every * every;
            }
            summary = Some(format!(
                "{} more missed slot(s) up to {} skipped: too many to run or list",
                count - slots.len(),
                moved_to
            ));
        }
        let runs: Vec<NewJobRun<'_>> = reasons
            .iter()
            .map(|(slot, fate)| NewJobRun {
                schedule_id: Some(schedule.id),
                schedule_name: Some(&schedule.name),
                kind,
                job_json: &schedule.job_json,
                slot_ms: Some(*slot),
                state: match fate {
                    SlotFate::Run => JobState::Queued,
                    SlotFate::Skipped(_) => JobState::Skipped,
                },
                reason: match fate {
                    SlotFate::Run => None,
                    SlotFate::Skipped(why) => Some(why.as_str()),
                },
                attempt: 1,
                not_before_ms: None,
                input_path: None,
                created_ms: now_ms,
            })
            .chain(summary.as_deref().map(|why| NewJobRun {
                schedule_id: Some(schedule.id),
                schedule_name: Some(&schedule.name),
                kind,
                job_json: &schedule.job_json,
                slot_ms: Some(moved_to),
                state: JobState::Skipped,
                reason: Some(why),
                attempt: 1,
                not_before_ms: None,
                input_path: None,
                created_ms: now_ms,
            }))
            .collect();
        done.queued += runs.iter().filter(|r| r.state == JobState::Queued).count();
        done.skipped += runs.len() - runs.iter().filter(|r| r.state == JobState::Queued).count();
        store.account_slots(schedule.id, moved_to, &runs)?;
    }
    Ok(done)
}

fn job_kind(schedule: &ScheduleRow) -> Result<&'static str, ScheduleError> {
    let job: JobSpec = serde_json::from_str(&schedule.job_json)?;
    Ok(job.kind())
}

/// Queues a job run of `name` now (`schedule run NAME`), with `input` as its file.
pub fn queue_now(
    store: &mut RunStore,
    name: &str,
    input: Option<&str>,
    now_ms: i64,
) -> Result<i64, ScheduleError> {
    let schedule = store.schedule(name)?;
    let kind = job_kind(&schedule)?;
    Ok(store.add_job_run(&first_attempt(&schedule, kind, now_ms, input, now_ms))?)
}

/// The first attempt of `schedule`'s job for `slot_ms`, queued, `input` as its file.
pub fn first_attempt<'a>(
    schedule: &'a ScheduleRow,
    kind: &'a str,
    slot_ms: i64,
    input: Option<&'a str>,
    now_ms: i64,
) -> NewJobRun<'a> {
    NewJobRun {
        schedule_id: Some(schedule.id),
        schedule_name: Some(&schedule.name),
        kind,
        job_json: &schedule.job_json,
        slot_ms: Some(slot_ms),
        state: JobState::Queued,
        reason: None,
        attempt: 1,
        not_before_ms: None,
        input_path: input,
        created_ms: now_ms,
    }
}

/// Runs the first job run due at `now_ms` with `execute`, as process `pid`; its id and end state.
pub fn run_next_job(
    store: &mut RunStore,
    now_ms: i64,
    pid: u32,
    execute: &mut dyn FnMut(&JobRunRow, &JobSpec) -> Result<Produced, String>,
    clock: &dyn super::clock::Clock,
) -> Result<Option<(i64, JobState)>, ScheduleError> {
    let Some(run) = store.next_due_job(now_ms)? else {
        return Ok(None);
    };
    if !store.start_job_run(run.id, pid, now_ms)? {
        return Ok(None);
    }
    let job: JobSpec = serde_json::from_str(&run.job_json)?;
    let outcome = execute(&run, &job);
    let ended = clock.now_ms();
    match outcome {
        Ok(produced) => {
            let json = serde_json::to_string(&produced)?;
            store.end_job_run(run.id, JobState::Succeeded, None, Some(&json), ended)?;
            Ok(Some((run.id, JobState::Succeeded)))
        }
        Err(why) => {
            store.end_job_run(run.id, JobState::Failed, Some(&why), None, ended)?;
            retry(store, &run, ended)?;
            Ok(Some((run.id, JobState::Failed)))
        }
    }
}

/// Fails the job runs a dead process left running and queues their retries.
pub fn recover_orphans(
    store: &mut RunStore,
    now_ms: i64,
    alive: &dyn Fn(i64) -> bool,
) -> Result<Vec<i64>, ScheduleError> {
    let orphans = store.fail_orphaned_jobs(alive, now_ms)?;
    let mut ids = Vec::new();
    for run in &orphans {
        ids.push(run.id);
        retry(store, run, now_ms)?;
    }
    Ok(ids)
}

/// The next attempt of a failed job run, when its schedule allows one more.
fn retry(store: &mut RunStore, failed: &JobRunRow, now_ms: i64) -> Result<(), ScheduleError> {
    let allowed = match failed.schedule_id {
        Some(id) => store
            .schedules()?
            .into_iter()
            .find(|s| s.id == id)
            .map_or(0, |s| s.retries),
        None => 0,
    };
    if failed.attempt > allowed {
        return Ok(());
    }
    let delay = retry_delay_ms(failed.attempt, failed.id);
    store.add_job_run(&NewJobRun {
        schedule_id: failed.schedule_id,
        schedule_name: failed.schedule_name.as_deref(),
        kind: &failed.kind,
        job_json: &failed.job_json,
        slot_ms: failed.slot_ms,
        state: JobState::Queued,
        reason: Some(&format!(
            "retry {} of {allowed} after job run {} failed",
            failed.attempt, failed.id
        )),
        attempt: failed.attempt + 1,
        not_before_ms: Some(now_ms + delay),
        input_path: failed.input_path.as_deref(),
        created_ms: now_ms,
    })?;
    Ok(())
}

/// `RETRY_BASE_MS` doubled per attempt, at most an hour, with ±20% jitter (from the job run's
/// id, so two failed jobs do not retry in lockstep yet a test can predict it).
pub fn retry_delay_ms(attempt: u32, job_id: i64) -> i64 {
    let doubled = RETRY_BASE_MS.saturating_mul(1 << attempt.saturating_sub(1).min(20));
    let base = doubled.min(RETRY_CAP_MS);
    let spread = (job_id.wrapping_mul(2_654_435_761) % 41) - 20;
    base + base * spread / 100
}

/// Queues a failed (or skipped) job run again now, as its next attempt (a retry by hand).
pub fn retry_now(store: &mut RunStore, id: i64, now_ms: i64) -> Result<i64, ScheduleError> {
    let run = store.job_run(id)?;
    if !matches!(run.state, JobState::Failed | JobState::Skipped) {
        return Err(ScheduleError::Input(format!(
            "job run {id} is {}; only a failed or skipped one is retried",
            run.state.as_str()
        )));
    }
    Ok(store.add_job_run(&NewJobRun {
        schedule_id: run.schedule_id,
        schedule_name: run.schedule_name.as_deref(),
        kind: &run.kind,
        job_json: &run.job_json,
        slot_ms: run.slot_ms,
        state: JobState::Queued,
        reason: Some(&format!("retried by hand after job run {id}")),
        attempt: run.attempt + 1,
        not_before_ms: None,
        input_path: run.input_path.as_deref(),
        created_ms: now_ms,
    })?)
}
