//! `shelfcast schedule add | list | pause | resume | remove | run | history`: the daemon's
//! schedules and what they did. A thin face over `schedule` and the store.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::project::Project;
use crate::schedule::catchup::CatchUp;
use crate::schedule::job::JobSpec;
use crate::schedule::tick::queue_now;
use crate::schedule::trigger::{Trigger, local_text};
use crate::store::NewSchedule;

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Add a schedule: a trigger (--cron with --tz, --every, or --on-file), then its job.
    Add(Box<AddArgs>),
    /// Every schedule with its trigger, job, catch-up rule and next three fire times.
    List {
        #[arg(long)]
        json: bool,
    },
    Pause {
        name: String,
    },
    Resume {
        name: String,
    },
    /// Remove a schedule (its job runs stay in the history).
    Remove {
        name: String,
    },
    /// Queue a job run of the schedule now (the daemon runs it at its next tick).
    Run {
        name: String,
        /// The file to pass the job, as a file trigger would.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// The job runs, newest first: state, attempt, times, why, what they produced.
    History {
        name: Option<String>,
        #[arg(long, default_value_t = 30)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub name: String,
    /// A cron pattern: five fields (minute hour day month weekday, e.g. "0 0 * * SUN"), or six
    /// with seconds first.
    #[arg(long, conflicts_with_all = ["every", "on_file"])]
    pub cron: Option<String>,
    /// The cron pattern's time zone (IANA name).
    #[arg(long, default_value = "UTC", requires = "cron")]
    pub tz: String,
    /// A fixed interval: 90s, 15m, 6h, 1d, 1w.
    #[arg(long, conflicts_with = "on_file")]
    pub every: Option<String>,
    /// Fire when a file matching this pattern (data/weekly/*.csv) appears or changes, once its
    /// size has been stable for a few seconds; the file is passed to the job.
    #[arg(long, value_name = "GLOB")]
    pub on_file: Option<String>,
    /// After downtime: skip, once (the latest missed slot) or backfill:N.
    #[arg(long, default_value = "once")]
    pub catch_up: String,
    /// Attempts after a failure (the delay doubling from 10 s, with jitter).
    #[arg(long, default_value_t = 0)]
    pub retries: u32,
    /// Stop a job run that takes longer (90s, 30m, 2h): its process group is ended, its training
    /// runs asked to stop, and it fails (then is retried by --retries).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// A command run (sh -c) when a job run fails; SHELFCAST_* variables name the job.
    #[arg(long, value_name = "CMD")]
    pub on_failure: Option<String>,
    /// A command run when a drift job finds drift (SHELFCAST_REPORT is the report).
    #[arg(long, value_name = "CMD")]
    pub on_drift: Option<String>,
    /// A command run when a challenge promotes (SHELFCAST_DECISION says why).
    #[arg(long, value_name = "CMD")]
    pub on_promote: Option<String>,
    /// A command run when a monitor job raises an alert (SHELFCAST_ALERTS says which).
    #[arg(long, value_name = "CMD")]
    pub on_alert: Option<String>,
    #[command(subcommand)]
    pub job: super::schedule_job::JobArgs,
}

pub fn schedule(project: &Project, command: &ScheduleCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    match command {
        ScheduleCommand::Add(args) => add(project, args, now),
        ScheduleCommand::List { json } => list(project, *json, now),
        ScheduleCommand::Pause { name } => {
            let skipped = project.open_store()?.set_schedule_paused(name, true, now)?;
            say!(
                "paused {name}: its slots are not fired until it is resumed{}",
                crate::schedule::skipped_queued_text(skipped)
            );
            Ok(())
        }
        ScheduleCommand::Resume { name } => {
            project
                .open_store()?
                .set_schedule_paused(name, false, now)?;
            say!("resumed {name}");
            Ok(())
        }
        ScheduleCommand::Remove { name } => {
            project.open_store()?.remove_schedule(name)?;
            say!("removed {name}");
            Ok(())
        }
        ScheduleCommand::Run { name, file } => {
            let mut store = project.open_store()?;
            let file = file.as_ref().map(|f| f.display().to_string());
            let id = queue_now(&mut store, name, file.as_deref(), now)?;
            say!("{id}");
            let daemon = crate::jobs::daemon::running(project);
            say_err!(
                "job run {id} of {name} queued{}",
                if daemon.is_some() {
                    "; the daemon runs it at its next tick"
                } else {
                    "; no daemon runs: `shelfcast daemon start` runs it"
                }
            );
            Ok(())
        }
        ScheduleCommand::History { name, limit, json } => {
            history(project, name.as_deref(), *limit, *json)
        }
    }
}

fn add(project: &Project, args: &AddArgs, now: i64) -> anyhow::Result<()> {
    let trigger = match (&args.cron, &args.every, &args.on_file) {
        (Some(cron), None, None) => Trigger::cron(cron, &args.tz)?,
        (None, Some(every), None) => Trigger::every(every)?,
        (None, None, Some(glob)) => Trigger::File { glob: glob.clone() },
        _ => anyhow::bail!(
            "give one trigger: --cron PATTERN [--tz ZONE], --every 6h or --on-file GLOB"
        ),
    };
    let catch_up = CatchUp::parse(&args.catch_up)?;
    let job = super::schedule_job::job_spec(project, &args.job, args.on_file.is_some())?;
    let timeout_s = match &args.timeout {
        Some(text) => {
            let seconds = crate::schedule::trigger::duration_seconds("--timeout", text)?;
            if seconds == 0 {
                anyhow::bail!("--timeout '{text}': a timeout must be at least one second");
            }
            Some(seconds)
        }
        None => None,
    };
    let trigger_json = serde_json::to_string(&trigger)?;
    let job_json = serde_json::to_string(&job)?;
    let hooks = crate::schedule::hooks::Hooks {
        on_failure: args.on_failure.clone(),
        on_drift: args.on_drift.clone(),
        on_promote: args.on_promote.clone(),
        on_alert: args.on_alert.clone(),
    };
    let hooks_json = (!hooks.is_empty())
        .then(|| serde_json::to_string(&hooks))
        .transpose()?;
    let mut store = project.open_store()?;
    store.add_schedule(&NewSchedule {
        name: &args.name,
        trigger_json: &trigger_json,
        job_json: &job_json,
        catch_up: &catch_up.to_string(),
        retries: args.retries,
        timeout_s,
        created_ms: now,
        hooks_json: hooks_json.as_deref(),
    })?;
    say!(
        "added {}: {}, {} (catch-up {catch_up}, retries {}{})",
        args.name,
        trigger.describe(),
        job.describe(),
        args.retries,
        timeout_words(timeout_s)
    );
    for at in next_fires(&trigger, now, now, 3)? {
        say!("  next {at}");
    }
    // A model registered later is fine; a user is told the job fails until then.
    let model = match &job {
        JobSpec::Forecast { model, .. }
        | JobSpec::Predict { model, .. }
        | JobSpec::Drift { model, .. } => crate::registry::ModelRef::parse(model).ok(),
        JobSpec::Challenge { model, .. } => Some(crate::registry::ModelRef::Latest(model.clone())),
        _ => None,
    };
    if let Some(reference) = model
        && let Err(e) = crate::registry::resolve(&store, &reference)
    {
        say_err!("note: {e}; the job fails until it resolves");
    }
    if crate::jobs::daemon::running(project).is_none() {
        say_err!("no daemon runs for this project: `shelfcast daemon start` runs the schedules");
    }
    Ok(())
}

/// The next `n` fire times of `trigger` after `after`, in its zone.
fn next_fires(trigger: &Trigger, after: i64, anchor: i64, n: usize) -> anyhow::Result<Vec<String>> {
    let tz = match trigger {
        Trigger::Cron { tz, .. } => tz.as_str(),
        _ => "UTC",
    };
    let mut out = Vec::new();
    let mut at = after;
    for _ in 0..n {
        let Some(next) = trigger.next_after(at, anchor)? else {
            break;
        };
        out.push(local_text(next, tz));
        at = next;
    }
    Ok(out)
}

fn list(project: &Project, json: bool, now: i64) -> anyhow::Result<()> {
    let store = project.open_store()?;
    let mut rows = Vec::new();
    for s in store.schedules()? {
        let trigger: Trigger = serde_json::from_str(&s.trigger_json)?;
        let job: JobSpec = serde_json::from_str(&s.job_json)?;
        let last = s.last_slot_ms.unwrap_or(s.created_ms).max(now);
        let next = if s.paused {
            Vec::new()
        } else {
            next_fires(&trigger, last, s.created_ms, 3)?
        };
        let last_run = store.job_runs(Some(s.id), 1)?.into_iter().next();
        rows.push(serde_json::json!({
            "name": s.name,
            "trigger": trigger.describe(),
            "job": job.describe(),
            "catch_up": s.catch_up,
            "retries": s.retries,
            "timeout_s": s.timeout_s,
            "paused": s.paused,
            "next": next,
            "last_state": last_run.as_ref().map(|r| r.state.as_str()),
        }));
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        say!("no schedule yet: `shelfcast schedule add NAME --every 6h retrain --like RUN`");
    }
    for row in &rows {
        say!(
            "{}{}: {}, {} (catch-up {}, retries {}{}); last {}",
            row["name"].as_str().unwrap_or(""),
            if row["paused"] == true {
                " [paused]"
            } else {
                ""
            },
            row["trigger"].as_str().unwrap_or(""),
            row["job"].as_str().unwrap_or(""),
            row["catch_up"].as_str().unwrap_or(""),
            row["retries"],
            timeout_words(row["timeout_s"].as_u64()),
            row["last_state"].as_str().unwrap_or("never run")
        );
        for next in row["next"].as_array().into_iter().flatten() {
            say!("  next {}", next.as_str().unwrap_or(""));
        }
    }
    let daemon = crate::jobs::daemon::running(project);
    say_err!(
        "{}",
        match daemon {
            Some(d) => format!("the daemon runs (pid {})", d.pid),
            None => "no daemon runs: `shelfcast daemon start`".to_string(),
        }
    );
    Ok(())
}

fn history(project: &Project, name: Option<&str>, limit: usize, json: bool) -> anyhow::Result<()> {
    let store = project.open_store()?;
    let id = match name {
        Some(name) => Some(store.schedule(name)?.id),
        None => None,
    };
    let runs = store.job_runs(id, limit)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&runs)?);
        return Ok(());
    }
    for r in &runs {
        let at = |ms: Option<i64>| ms.map_or("-".to_string(), |m| local_text(m, "UTC"));
        say!(
            "{:>5}  {:<10} {:<9} attempt {}  slot {}  ended {}  {}{}{}",
            r.id,
            r.schedule_name.as_deref().unwrap_or("-"),
            r.state.as_str(),
            r.attempt,
            at(r.slot_ms),
            at(r.ended_ms),
            r.kind,
            r.input_path
                .as_deref()
                .map_or(String::new(), |p| format!(" {p}")),
            r.reason
                .as_deref()
                .or(r.produced_json.as_deref())
                .map_or(String::new(), |t| format!(": {t}"))
        );
    }
    Ok(())
}

fn timeout_words(timeout_s: Option<u64>) -> String {
    timeout_s.map_or(String::new(), |t| {
        format!(", timeout {}", crate::schedule::trigger::duration_text(t))
    })
}
