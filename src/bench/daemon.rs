//! `shelfcast bench daemon`: the daemon's own cost and punctuality. A project of its own, the
//! real daemon process (`shelfcast daemon run`), first with no schedule for `idle` seconds (its
//! resident memory and CPU, read from /proc), then with `schedules` schedules every second
//! running `true` for `busy` seconds: how late each job run started after its slot (p50, p99,
//! max) and the daemon's CPU then; beside Prefect (`benches/prefect_schedule.py`: a local server
//! and served flows on the same interval, when prefect is installed).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::tempfile_dir;
use crate::project::Project;
use crate::schedule::catchup::CatchUp;
use crate::schedule::job::JobSpec;
use crate::schedule::trigger::Trigger;
use crate::store::NewSchedule;

/// CPU seconds (user + system) and resident MB of process `pid`.
fn usage(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf with a constant name only reads a system setting.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((ticks / per_second.max(1.0), rss_kb / 1024.0))
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn bench_daemon(idle: u64, busy: u64, schedules: usize) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        say_err!("a debug build: figures are far slower than a release build's");
    }
    let root = tempfile_dir()?.join("daemon");
    std::fs::create_dir_all(root.join("data"))?;
    let project = Project::new(&root);
    project.open_store()?;
    let exe = std::env::current_exe()?;
    let log = std::fs::File::create(root.join("daemon-bench.log"))?;
    let mut child = Command::new(&exe)
        .arg("--root")
        .arg(&root)
        .args(["daemon", "run"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()?;
    let pid = child.id();
    let result = measure(&project, pid, idle, busy, schedules);
    // SAFETY: kill(2) of the child this benchmark started.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
    let _ = child.wait();
    result
}

fn measure(
    project: &Project,
    pid: u32,
    idle: u64,
    busy: u64,
    schedules: usize,
) -> anyhow::Result<()> {
    std::thread::sleep(Duration::from_secs(2));
    let (cpu0, _) = usage(pid).ok_or_else(|| anyhow::anyhow!("the daemon (pid {pid}) is gone"))?;
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(idle));
    let (cpu1, rss_idle) = usage(pid).ok_or_else(|| anyhow::anyhow!("the daemon died idle"))?;
    let idle_cpu = 100.0 * (cpu1 - cpu0) / started.elapsed().as_secs_f64();
    say!(
        "idle daemon over {idle} s: {rss_idle:.1} MB resident, {idle_cpu:.2}% of one core \
         (no schedule)"
    );

    let now = chrono::Utc::now().timestamp_millis();
    let mut store = project.open_store()?;
    let trigger = serde_json::to_string(&Trigger::every("1s")?)?;
    let job = serde_json::to_string(&JobSpec::Command { run: "true".into() })?;
    for i in 0..schedules {
        store.add_schedule(&NewSchedule {
            name: &format!("tick{i}"),
            trigger_json: &trigger,
            job_json: &job,
            catch_up: &CatchUp::Skip.to_string(),
            retries: 0,
            timeout_s: None,
            created_ms: now,
            hooks_json: None,
        })?;
    }
    let (cpu2, _) = usage(pid).ok_or_else(|| anyhow::anyhow!("the daemon is gone"))?;
    let busy_started = Instant::now();
    std::thread::sleep(Duration::from_secs(busy));
    let (cpu3, rss_busy) = usage(pid).ok_or_else(|| anyhow::anyhow!("the daemon died"))?;
    let busy_cpu = 100.0 * (cpu3 - cpu2) / busy_started.elapsed().as_secs_f64();
    let runs = store.job_runs(None, 100_000)?;
    let mut late: Vec<i64> = runs
        .iter()
        .filter_map(|r| Some(r.started_ms? - r.slot_ms?))
        .collect();
    late.sort_unstable();
    let skipped = runs
        .iter()
        .filter(|r| r.state == crate::store::JobState::Skipped)
        .count();
    say!(
        "{schedules} schedule(s) every second for {busy} s: {} job runs started, {} skipped; \
         lateness after the slot p50 {} ms, p99 {} ms, max {} ms; the daemon {rss_busy:.1} MB, \
         {busy_cpu:.2}% of one core (each job runs `true` in a shell)",
        late.len(),
        skipped,
        percentile(&late, 0.5),
        percentile(&late, 0.99),
        late.last().copied().unwrap_or(0)
    );
    match super::run_python(
        &super::benches_dir().join("prefect_schedule.py"),
        &[
            "--seconds",
            &busy.to_string(),
            "--schedules",
            &schedules.to_string(),
        ],
    ) {
        Ok(figures) => {
            let f = |k: &str| super::figure(&figures, k);
            say!(
                "Prefect {} (a local server and {schedules} served flow deployment(s) every \
                 second, {busy} s): {} flow runs started of {} created; lateness after the \
                 expected start p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; server {:.0} MB, served \
                 flows {:.0} MB resident",
                figures.get("prefect_version").map_or("", String::as_str),
                f("runs_started"),
                f("runs_created"),
                f("late_p50_ms"),
                f("late_p99_ms"),
                f("late_max_ms"),
                f("server_mb"),
                f("served_mb")
            );
            say!(
                "the daemon's p50 lateness {} ms against Prefect's {:.0} ms; memory {rss_busy:.1} \
                 MB against {:.0} MB",
                percentile(&late, 0.5),
                f("late_p50_ms"),
                f("server_mb") + f("served_mb")
            );
        }
        Err(why) => say!("SKIP Prefect: {why}"),
    }
    Ok(())
}
