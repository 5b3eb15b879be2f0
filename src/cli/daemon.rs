//! `shelfcast daemon start | stop | status | run | install`. A thin face over `jobs::daemon`.

use std::time::Duration;

use clap::Subcommand;

use crate::jobs::daemon;
use crate::project::Project;
use crate::schedule::clock::SystemClock;

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Start the daemon detached (it survives the terminal and the SSH link).
    Start,
    /// Ask the running daemon to stop between jobs.
    Stop,
    /// Whether the daemon runs, since when, its schedules' next fires and running jobs.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Run the daemon in the foreground (what `start` runs detached, and systemd runs).
    Run {
        /// Milliseconds between ticks.
        #[arg(long, default_value_t = 1000, hide = true)]
        tick_ms: u64,
    },
    /// Run one job run the daemon handed over (the daemon's child; prints its outcome as JSON).
    #[command(hide = true)]
    Job {
        #[arg(long)]
        run: i64,
    },
    /// Write a systemd user unit that keeps the daemon running (restarted on failure).
    Install,
}

pub fn daemon(project: &Project, command: &DaemonCommand) -> anyhow::Result<()> {
    match command {
        DaemonCommand::Start => {
            let pid = daemon::start_detached(project)?;
            // The daemon takes its lock as it starts: wait for it, so a refusal is seen here.
            for _ in 0..50 {
                if let Some(lock) = daemon::running(project) {
                    say!("{}", lock.pid);
                    say_err!(
                        "daemon started (pid {}), logging to {}",
                        lock.pid,
                        daemon::log_path(project).display()
                    );
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            anyhow::bail!(
                "the daemon (pid {pid}) did not take its lock within 5 s; see {}",
                daemon::log_path(project).display()
            )
        }
        DaemonCommand::Stop => {
            match daemon::stop(project, Duration::from_secs(30))? {
                Some(pid) => say!("daemon (pid {pid}) stopped"),
                None => say!("no daemon runs for this project"),
            }
            Ok(())
        }
        DaemonCommand::Status { json } => status(project, *json),
        DaemonCommand::Run { tick_ms } => {
            daemon::run_daemon(
                project,
                &SystemClock,
                Duration::from_millis((*tick_ms).max(10)),
            )?;
            Ok(())
        }
        DaemonCommand::Job { run } => {
            let outcome = crate::jobs::job_process::run_job_here(project, *run);
            say!("{}", serde_json::to_string(&outcome)?);
            Ok(())
        }
        DaemonCommand::Install => install(project),
    }
}

fn status(project: &Project, json: bool) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    let daemon = daemon::running(project);
    let store = project.open_store()?;
    let running: Vec<_> = store
        .job_runs(None, 200)?
        .into_iter()
        .filter(|r| r.state == crate::store::JobState::Running)
        .collect();
    let schedules = store.schedules()?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "running": daemon.is_some(),
                "pid": daemon.as_ref().map(|d| d.pid),
                "uptime_s": daemon.as_ref().map(|d| ((now - d.started_ms) / 1000).max(0)),
                "schedules": schedules.len(),
                "running_jobs": running.iter().map(|r| r.id).collect::<Vec<_>>(),
            }))?
        );
        return Ok(());
    }
    match &daemon {
        Some(lock) => say!(
            "the daemon runs: pid {}, up {}",
            lock.pid,
            crate::schedule::trigger::duration_text(((now - lock.started_ms) / 1000).max(0) as u64)
        ),
        None => say!("no daemon runs for this project: `shelfcast daemon start`"),
    }
    for r in &running {
        say!(
            "running: job run {} ({}, attempt {})",
            r.id,
            r.schedule_name.as_deref().unwrap_or("-"),
            r.attempt
        );
    }
    say!(
        "{} schedule(s); `shelfcast schedule list` shows their next fires",
        schedules.len()
    );
    Ok(())
}

fn install(project: &Project) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let home = std::env::var_os("HOME").ok_or_else(|| anyhow::anyhow!("HOME is not set"))?;
    let folder = std::path::Path::new(&home).join(".config/systemd/user");
    std::fs::create_dir_all(&folder)?;
    let name = format!(
        "shelfcast-{}.service",
        project
            .root
            .canonicalize()
            .unwrap_or_else(|_| project.root.clone())
            .file_name()
            .map_or("project".to_string(), |n| n.to_string_lossy().into_owned())
    );
    let path = folder.join(&name);
    crate::files::write_bytes_atomically(&path, daemon::systemd_unit(project, &exe).as_bytes())?;
    say!("wrote {}", path.display());
    say!("start it now and at every login: systemctl --user enable --now {name}");
    say!("keep it running after you log out: loginctl enable-linger $USER");
    Ok(())
}
