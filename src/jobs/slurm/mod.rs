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
use crate::store::RunId;

mod array;
mod options_text;
mod queue;

pub use array::{
    ARRAY_TAG, OPTIONS_TAG, StudyArray, array_flag, is_shared_array, run_array_task, study_options,
};

pub use queue::{
    QueueState, QueueSurvey, cancel, cancel_run, parse_sacct, parse_scontrol, parse_squeue,
    queue_state, reconcile, survey,
};

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
    run_job(run).script(exe, root, options, store_url)
}

/// The batch job of one run's worker.
fn run_job(run: RunId) -> BatchJob {
    BatchJob {
        name: format!("shelfcast-run-{run}"),
        worker_args: format!("worker --run {run}"),
    }
}

/// What a batch script runs: its job name and the `shelfcast` arguments after `--root`.
struct BatchJob {
    name: String,
    worker_args: String,
}

impl BatchJob {
    /// The script: Slurm's directives, the shared-folder check, the store, the worker.
    fn script(
        &self,
        exe: &Path,
        root: &Path,
        options: &SlurmOptions,
        store_url: Option<&str>,
    ) -> String {
        let mut script = String::from("#!/bin/sh\n");
        script.push_str(&format!("#SBATCH --job-name={}\n", self.name));
        // One attempt a run: a job requeued after its node was lost would find its run taken
        // (its worker died training it). The run fails with NODE_FAIL instead, and a retry is
        // a new run (the daemon's retry policy, or the analyst).
        script.push_str("#SBATCH --no-requeue\n");
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
            "exec {} --root {} {}\n",
            quoted(&exe.display().to_string()),
            quoted(&root_text),
            self.worker_args
        ));
        script
    }

    /// Writes the script to `script_path` and submits it with `extra` sbatch flags (the output
    /// file, an array); the job id. `run` names the run an error is about.
    fn submit(
        &self,
        project: &Project,
        run: RunId,
        script_path: &Path,
        options: &SlurmOptions,
        extra: &[String],
    ) -> Result<String, JobError> {
        options
            .check()
            .map_err(|what| JobError::Run { run, what })?;
        let exe = std::env::current_exe().map_err(|source| JobError::Io {
            path: "the shelfcast executable".into(),
            source,
        })?;
        let root = std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
        if let Some(dir) = script_path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| JobError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let script = self.script(&exe, &root, options, project.store_override());
        crate::files::write_bytes_atomically(script_path, script.as_bytes()).map_err(|source| {
            JobError::Io {
                path: script_path.to_path_buf(),
                source,
            }
        })?;
        let output = Command::new("sbatch")
            .arg("--parsable")
            .args(extra)
            .arg(format!("--chdir={}", root.display()))
            .arg(script_path)
            .output()
            .map_err(|e| JobError::Run {
                run,
                what: format!(
                    "sbatch could not run ({e}): is Slurm installed and on the PATH here?"
                ),
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
}

/// Submits run `run`'s worker; the Slurm job id. The script lands in the run's folder (kept:
/// it says exactly what was asked of the scheduler) and the job's output is the worker log.
pub fn submit(project: &Project, run: RunId, options: &SlurmOptions) -> Result<String, JobError> {
    let output = format!("--output={}", project.worker_log_path(run).display());
    run_job(run).submit(
        project,
        run,
        &project.run_dir(run).join("slurm.sh"),
        options,
        &[output],
    )
}

/// The job id in `sbatch --parsable`'s output (`123` or `123;cluster`).
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let id = stdout.trim().split(';').next()?.trim();
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit() || c == '_')).then(|| id.to_string())
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
        assert!(
            script.starts_with(
                "#!/bin/sh\n#SBATCH --job-name=shelfcast-run-12\n#SBATCH --no-requeue\n"
            )
        );
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
