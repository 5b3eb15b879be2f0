//! Workers dispatched to Slurm, the scheduler of most shared compute: a queued run goes out as
//! a batch job (`sbatch --parsable`) that runs `shelfcast worker --run ID` on a node, its output
//! file the run's worker log; the queue's word on it (PENDING with Slurm's reason, RUNNING on a
//! node) is read with `squeue`, and a job that ended badly is read back with `sacct` — or, where
//! the cluster keeps no accounting database, `scontrol`, which remembers ended jobs for a while.
//! The project folder (data, models, logs) must be on a filesystem the nodes share: the batch
//! script checks it is there before anything else and says so when it is not.

use std::path::Path;
use std::process::Command;

use super::launch::JobError;
use crate::project::Project;
use crate::store::{RunId, RunStatus, RunStore, StoreError};

/// What `--on slurm` asks of the scheduler (unset: the cluster's defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmOptions {
    pub partition: Option<String>,
    /// A wall-time limit, `HH:MM:SS` (or `D-HH:MM:SS`, `MM`).
    pub time: Option<String>,
    pub cpus: Option<u32>,
    /// Memory per node, as Slurm writes it (`4G`, `500M`).
    pub mem: Option<String>,
    pub account: Option<String>,
}

/// Where workers run: here (detached processes, the default) or as Slurm batch jobs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Dispatch {
    #[default]
    Local,
    Slurm(SlurmOptions),
}

/// The environment variable that hands `--on slurm` (its options as JSON) to the processes a
/// command starts (a study's trials, a daemon's jobs).
pub const SLURM_ENV: &str = "SHELFCAST_SLURM";

impl Dispatch {
    /// The dispatch this process was handed by its parent, if any.
    pub fn from_env() -> Result<Option<Dispatch>, String> {
        match std::env::var(SLURM_ENV) {
            Ok(json) if !json.trim().is_empty() => serde_json::from_str(&json)
                .map(|options| Some(Dispatch::Slurm(options)))
                .map_err(|e| format!("{SLURM_ENV}: not Slurm options Shelfcast wrote ({e})")),
            _ => Ok(None),
        }
    }

    /// The environment a child process needs to dispatch as this one does.
    pub fn to_env(&self) -> Option<(&'static str, String)> {
        match self {
            Dispatch::Local => None,
            Dispatch::Slurm(options) => serde_json::to_string(options)
                .ok()
                .map(|json| (SLURM_ENV, json)),
        }
    }
}

/// The exit code of a batch job whose node does not see the project folder.
pub const NOT_SHARED_EXIT: i32 = 78;

impl SlurmOptions {
    /// These options with `defaults` (the project config's) where these say nothing.
    pub fn or(&self, defaults: &SlurmOptions) -> SlurmOptions {
        SlurmOptions {
            partition: self.partition.clone().or(defaults.partition.clone()),
            time: self.time.clone().or(defaults.time.clone()),
            cpus: self.cpus.or(defaults.cpus),
            mem: self.mem.clone().or(defaults.mem.clone()),
            account: self.account.clone().or(defaults.account.clone()),
        }
    }

    /// Refuses what sbatch would refuse, before anything is queued.
    pub fn check(&self) -> Result<(), String> {
        if let Some(time) = &self.time
            && !is_slurm_time(time)
        {
            return Err(format!(
                "--time {time}: expected HH:MM:SS, MM:SS, MM or D-HH:MM:SS (e.g. 02:00:00)"
            ));
        }
        if let Some(mem) = &self.mem {
            let digits = mem.trim_end_matches(['K', 'M', 'G', 'T']);
            if digits.is_empty()
                || !digits.chars().all(|c| c.is_ascii_digit())
                || mem.len() - digits.len() > 1
            {
                return Err(format!(
                    "--mem {mem}: expected a size as Slurm writes it (500M, 4G)"
                ));
            }
        }
        if self.cpus == Some(0) {
            return Err("--cpus 0: a job needs at least one CPU".into());
        }
        for (flag, value) in [
            ("--partition", &self.partition),
            ("--account", &self.account),
        ] {
            if let Some(value) = value
                && (value.is_empty() || value.chars().any(|c| c.is_whitespace() || c == '\''))
            {
                return Err(format!("{flag} '{value}': expected a Slurm name"));
            }
        }
        Ok(())
    }

    /// The `#SBATCH` lines these options make.
    fn directives(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut add = |flag: &str, value: Option<String>| {
            if let Some(value) = value {
                lines.push(format!("#SBATCH --{flag}={value}"));
            }
        };
        add("partition", self.partition.clone());
        add("time", self.time.clone());
        add("cpus-per-task", self.cpus.map(|c| c.to_string()));
        add("mem", self.mem.clone());
        add("account", self.account.clone());
        lines
    }
}

fn is_slurm_time(text: &str) -> bool {
    let (days, clock) = match text.split_once('-') {
        Some((days, clock)) => (Some(days), clock),
        None => (None, text),
    };
    if days.is_some_and(|d| d.is_empty() || !d.chars().all(|c| c.is_ascii_digit())) {
        return false;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// Quotes `text` for `sh`.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The batch script of run `run`: Slurm's directives, the shared-folder check, the worker.
pub fn batch_script(
    exe: &Path,
    root: &Path,
    run: RunId,
    options: &SlurmOptions,
    store_url: Option<&str>,
) -> String {
    let mut script = String::from("#!/bin/sh\n");
    script.push_str(&format!("#SBATCH --job-name=shelfcast-run-{run}\n"));
    for line in options.directives() {
        script.push_str(&line);
        script.push('\n');
    }
    let root_text = root.display().to_string();
    script.push_str(&format!(
        "if [ ! -d {root} ]; then\n  echo \"shelfcast: the project folder {shown} is not on \
         node $(hostname): put it on a filesystem the nodes share\" >&2\n  exit \
         {NOT_SHARED_EXIT}\nfi\n",
        root = quoted(&root_text),
        shown = root_text.replace(['"', '$', '`', '\\'], "_"),
    ));
    if let Some(url) = store_url {
        script.push_str(&format!(
            "export {}={}\n",
            crate::project::STORE_ENV,
            quoted(url)
        ));
    }
    script.push_str(&format!(
        "exec {} --root {} worker --run {run}\n",
        quoted(&exe.display().to_string()),
        quoted(&root_text)
    ));
    script
}

/// Submits run `run`'s worker; the Slurm job id. The script lands in the run's folder (kept:
/// it says exactly what was asked of the scheduler) and the job's output is the worker log.
pub fn submit(project: &Project, run: RunId, options: &SlurmOptions) -> Result<String, JobError> {
    options
        .check()
        .map_err(|what| JobError::Run { run, what })?;
    let exe = std::env::current_exe().map_err(|source| JobError::Io {
        path: "the shelfcast executable".into(),
        source,
    })?;
    let root = std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
    let dir = project.run_dir(run);
    std::fs::create_dir_all(&dir).map_err(|source| JobError::Io {
        path: dir.clone(),
        source,
    })?;
    let script_path = dir.join("slurm.sh");
    let script = batch_script(&exe, &root, run, options, project.store_override());
    crate::files::write_bytes_atomically(&script_path, script.as_bytes()).map_err(|source| {
        JobError::Io {
            path: script_path.clone(),
            source,
        }
    })?;
    let log = project.worker_log_path(run);
    let output = Command::new("sbatch")
        .arg("--parsable")
        .arg(format!("--output={}", log.display()))
        .arg(format!("--chdir={}", root.display()))
        .arg(&script_path)
        .output()
        .map_err(|e| JobError::Run {
            run,
            what: format!("sbatch could not run ({e}): is Slurm installed and on the PATH here?"),
        })?;
    if !output.status.success() {
        return Err(JobError::Run {
            run,
            what: format!(
                "sbatch refused the job: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    parse_job_id(&String::from_utf8_lossy(&output.stdout)).ok_or_else(|| JobError::Run {
        run,
        what: format!(
            "sbatch printed no job id: {}",
            String::from_utf8_lossy(&output.stdout).trim()
        ),
    })
}

/// The job id in `sbatch --parsable`'s output (`123` or `123;cluster`).
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let id = stdout.trim().split(';').next()?.trim();
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit() || c == '_')).then(|| id.to_string())
}

/// Where a job is, by the scheduler's word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// Waiting, with Slurm's reason (`Resources`, `Priority`, `QOSMaxJobsPerUserLimit`…).
    Pending {
        reason: String,
    },
    Running {
        node: String,
    },
    /// Over: Slurm's final state (`COMPLETED`, `TIMEOUT`, `OUT_OF_MEMORY`, `NODE_FAIL`,
    /// `CANCELLED`, `FAILED`…) and its reason.
    Ended {
        state: String,
        reason: String,
    },
    /// Slurm no longer knows the job.
    Gone,
}

impl QueueState {
    /// The Runs tab's words for it.
    pub fn describe(&self) -> String {
        match self {
            QueueState::Pending { reason } => format!("PENDING ({reason})"),
            QueueState::Running { node } => format!("RUNNING on {node}"),
            QueueState::Ended { state, reason } if reason.is_empty() || reason == "None" => {
                state.clone()
            }
            QueueState::Ended { state, reason } => format!("{state} ({reason})"),
            QueueState::Gone => "no longer known to Slurm".into(),
        }
    }

    /// An end that is not the worker's own: the run never got to say why.
    pub fn ended_badly(&self) -> bool {
        matches!(self, QueueState::Ended { state, .. } if state != "COMPLETED")
    }
}

/// One `squeue -h -o %T|%r|%N` line.
pub fn parse_squeue(line: &str) -> Option<QueueState> {
    let mut fields = line.trim().split('|');
    let state = fields.next()?.trim();
    let reason = fields.next().unwrap_or("").trim().to_string();
    let node = fields.next().unwrap_or("").trim().to_string();
    match state {
        "" => None,
        "PENDING" | "CONFIGURING" | "REQUEUED" | "RESV_DEL_HOLD" | "REQUEUE_HOLD" => {
            Some(QueueState::Pending { reason })
        }
        "RUNNING" | "COMPLETING" | "SUSPENDED" | "STOPPED" | "RESIZING" | "SIGNALING" => {
            Some(QueueState::Running { node })
        }
        ended => Some(QueueState::Ended {
            state: ended.to_string(),
            reason,
        }),
    }
}

/// `sacct -n -P -X -o State,Reason`'s first line (`CANCELLED by 0` → `CANCELLED`).
pub fn parse_sacct(text: &str) -> Option<QueueState> {
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    let (state, reason) = line.split_once('|').unwrap_or((line, ""));
    let state = state.split_whitespace().next()?.to_string();
    Some(QueueState::Ended {
        state,
        reason: reason.trim().to_string(),
    })
}

/// `scontrol show job ID`'s `JobState=` and `Reason=` (and `NodeList=`).
pub fn parse_scontrol(text: &str) -> Option<QueueState> {
    let field = |name: &str| {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .map(str::to_string)
    };
    let state = field("JobState=")?;
    let reason = field("Reason=").unwrap_or_default();
    let line = format!(
        "{state}|{reason}|{}",
        field("NodeList=").unwrap_or_default()
    );
    parse_squeue(&line)
}

/// Where job `job` is: the queue while it is there, then its accounting (or `scontrol`).
pub fn queue_state(job: &str) -> Result<QueueState, String> {
    let squeue = slurm_command("squeue", &["-h", "-j", job, "-o", "%T|%r|%N"])?;
    if let Some(state) = squeue.lines().find_map(parse_squeue) {
        return Ok(state);
    }
    if let Ok(text) = slurm_command(
        "sacct",
        &["-n", "-P", "-X", "-j", job, "-o", "State,Reason"],
    ) && let Some(state) = parse_sacct(&text)
    {
        return Ok(state);
    }
    // No accounting database: the controller remembers ended jobs for MinJobAge.
    match slurm_command("scontrol", &["show", "job", job]) {
        Ok(text) => Ok(parse_scontrol(&text).unwrap_or(QueueState::Gone)),
        Err(_) => Ok(QueueState::Gone),
    }
}

/// Cancels job `job` (`scancel`).
pub fn cancel(job: &str) -> Result<(), String> {
    slurm_command("scancel", &[job]).map(|_| ())
}

/// Turns every run on Slurm whose job ended without its worker finishing the run (over its
/// `--time`, out of memory, its node lost, cancelled from outside, never started) into a
/// `failed` run with Slurm's reason — `killed` when a cancel had been asked for. The runs it
/// ended. Runs whose jobs are still queued or running are left as they are.
pub fn reconcile(project: &Project, store: &mut RunStore) -> Result<Vec<RunId>, StoreError> {
    let mut ended = Vec::new();
    for (run, job, cancelled) in store.slurm_runs_in_flight()? {
        let Ok(state) = queue_state(&job) else {
            continue;
        };
        let why = match &state {
            QueueState::Ended { state, .. } if state == "COMPLETED" => {
                // The job ended well but the run is not over: its worker never recorded the
                // end (a crash after the last step); say so rather than wait forever.
                format!("the Slurm job {job} completed without the worker finishing the run")
            }
            QueueState::Ended { state, reason } => {
                let exit = if state == "FAILED" {
                    last_words(&project.worker_log_path(run), &project.root)
                } else {
                    String::new()
                };
                let reason = if reason.is_empty() || reason == "None" {
                    String::new()
                } else {
                    format!(" ({reason})")
                };
                format!("the Slurm job {job} ended {state}{reason}{exit}")
            }
            QueueState::Gone => format!("the Slurm job {job} is no longer known to Slurm"),
            QueueState::Pending { .. } | QueueState::Running { .. } => continue,
        };
        let status = if cancelled {
            RunStatus::Killed
        } else {
            RunStatus::Failed
        };
        if store.end_unfinished_run(run, status, &why)? {
            ended.push(run);
        }
    }
    Ok(ended)
}

/// The worker log's last line, when the job failed before the worker could record why (the
/// executable missing on the node…): `: LINE`. An empty log means the node could not even write
/// it: the project folder is not on its filesystem.
fn last_words(log: &Path, root: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!(": {}", crate::data::printable::printable(line.trim())),
        None => format!(
            "; its worker wrote nothing to {}: does the node see the project folder {}? It \
             must be on a filesystem the nodes share",
            log.display(),
            root.display()
        ),
    }
}

/// Asks run `run` to stop (see `RunStore::request_cancel`); a run on Slurm whose job still
/// waits in the queue is also taken out of it (`scancel`), so it never starts.
pub fn cancel_run(store: &mut RunStore, run: RunId) -> Result<(), JobError> {
    store.request_cancel(run)?;
    let record = store.get_run(run)?;
    if let Some(job) = &record.slurm_job_id
        && matches!(record.status, RunStatus::Killed | RunStatus::Queued)
    {
        cancel(job).map_err(|what| JobError::Run { run, what })?;
    }
    Ok(())
}

fn slurm_command(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program} could not run: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{program}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_options_are_checked_and_become_directives() {
        let options = SlurmOptions {
            partition: Some("gpu".into()),
            time: Some("01:30:00".into()),
            cpus: Some(4),
            mem: Some("8G".into()),
            account: None,
        };
        assert_eq!(options.check(), Ok(()));
        assert_eq!(
            options.directives(),
            [
                "#SBATCH --partition=gpu",
                "#SBATCH --time=01:30:00",
                "#SBATCH --cpus-per-task=4",
                "#SBATCH --mem=8G"
            ]
        );
        for (bad, said) in [
            (
                SlurmOptions {
                    time: Some("90min".into()),
                    ..Default::default()
                },
                "--time 90min",
            ),
            (
                SlurmOptions {
                    mem: Some("lots".into()),
                    ..Default::default()
                },
                "--mem lots",
            ),
            (
                SlurmOptions {
                    cpus: Some(0),
                    ..Default::default()
                },
                "--cpus 0",
            ),
        ] {
            assert!(bad.check().is_err_and(|e| e.contains(said)), "{said}");
        }
        assert!(is_slurm_time("2-00:00:00") && is_slurm_time("30") && !is_slurm_time("1:2:3:4"));
        let defaults = SlurmOptions {
            account: Some("retail".into()),
            time: Some("10:00".into()),
            ..Default::default()
        };
        let merged = options.or(&defaults);
        assert_eq!(merged.account.as_deref(), Some("retail"));
        assert_eq!(merged.time.as_deref(), Some("01:30:00"));
    }

    #[test]
    fn the_scheduler_s_words_are_read_back() {
        assert_eq!(parse_job_id("123\n"), Some("123".into()));
        assert_eq!(parse_job_id("77;cluster\n"), Some("77".into()));
        assert_eq!(parse_job_id("Submitted batch job 5"), None);
        assert_eq!(
            parse_squeue("PENDING|Resources|"),
            Some(QueueState::Pending {
                reason: "Resources".into()
            })
        );
        assert_eq!(
            parse_squeue("RUNNING|None|node07"),
            Some(QueueState::Running {
                node: "node07".into()
            })
        );
        assert_eq!(
            parse_sacct("CANCELLED by 0|None\n"),
            Some(QueueState::Ended {
                state: "CANCELLED".into(),
                reason: "None".into()
            })
        );
        let shown = "JobId=2 JobName=wrap\n   JobState=TIMEOUT Reason=TimeLimit Dependency=(null)\n   NodeList=vm";
        let state = parse_scontrol(shown).expect("a state");
        assert!(state.ended_badly());
        assert_eq!(state.describe(), "TIMEOUT (TimeLimit)");
        assert!(
            !parse_scontrol("JobState=COMPLETED Reason=None")
                .expect("state")
                .ended_badly()
        );
    }

    #[test]
    fn a_failed_job_says_what_its_log_said_or_where_the_log_should_have_been() {
        let dir = tempfile::tempdir().expect("temp");
        let log = dir.path().join("worker.log");
        let said = last_words(&log, Path::new("/shared/shop"));
        assert!(
            said.contains("does the node see the project folder /shared/shop?"),
            "{said}"
        );
        std::fs::write(&log, "04:00 started\nerror: no such file data/x.csv\n\n").expect("log");
        assert_eq!(
            last_words(&log, Path::new("/shared/shop")),
            ": error: no such file data/x.csv"
        );
    }

    #[test]
    fn the_batch_script_checks_the_shared_folder_then_runs_the_worker() {
        let script = batch_script(
            Path::new("/opt/shelfcast"),
            Path::new("/shared/it's/shop"),
            12,
            &SlurmOptions {
                time: Some("00:10:00".into()),
                ..Default::default()
            },
            Some("postgres://ana@db/runs"),
        );
        assert!(script.starts_with("#!/bin/sh\n#SBATCH --job-name=shelfcast-run-12\n"));
        assert!(script.contains("#SBATCH --time=00:10:00\n"));
        assert!(script.contains("if [ ! -d '/shared/it'\\''s/shop' ]; then"));
        assert!(script.contains(&format!("exit {NOT_SHARED_EXIT}")));
        assert!(script.contains("export SHELFCAST_STORE='postgres://ana@db/runs'\n"));
        assert!(
            script.ends_with(
                "exec '/opt/shelfcast' --root '/shared/it'\\''s/shop' worker --run 12\n"
            )
        );
    }
}
