//! A throwaway one-node Slurm cluster for the dispatcher's tests: munged, slurmctld and slurmd
//! on this host with their configs, keys, state and logs in a temporary folder and their own
//! ports, torn down when dropped. Without Slurm's binaries, or when not root (slurmd launches
//! jobs as their users), a test skips, saying why. Accounting has no database here
//! (`accounting_storage/none`): what ended a job is read back from `scontrol`, as the
//! dispatcher does wherever `sacct` says accounting is disabled.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) struct SlurmCluster {
    dir: tempfile::TempDir,
}

fn installed() -> Result<(), String> {
    for program in [
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "squeue",
        "scontrol",
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err(format!(
                "{program} is not installed (apt-get install slurm-wlm munge)"
            ));
        }
    }
    // SAFETY: geteuid only reads the process's credentials.
    if unsafe { libc::geteuid() } != 0 {
        return Err("slurmd must run as root to start jobs".into());
    }
    Ok(())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn host_name() -> String {
    let output = Command::new("hostname").output().expect("hostname");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

impl SlurmCluster {
    /// A running cluster whose one node is idle, or `None` (printed as a skip for `test`).
    pub(crate) fn start(test: &str) -> Option<Self> {
        if let Err(why) = installed() {
            println!("SKIP {test}: {why}");
            return None;
        }
        let cluster = Self {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let root = cluster.dir.path();
        for folder in ["state", "spool", "munge"] {
            std::fs::create_dir_all(root.join(folder)).expect("folder");
        }
        let munge = root.join("munge");
        let key: Vec<u8> = (0..1024).map(|i| (i * 7919 % 251) as u8).collect();
        std::fs::write(munge.join("munge.key"), key).expect("munge key");
        set_mode(&munge.join("munge.key"), 0o400);
        set_mode(&munge, 0o700);
        run(Command::new("munged").args([
            "--force",
            &format!("--key-file={}", munge.join("munge.key").display()),
            &format!("--socket={}", munge.join("munge.socket").display()),
            &format!("--pid-file={}", munge.join("munged.pid").display()),
            &format!("--log-file={}", munge.join("munged.log").display()),
            &format!("--seed-file={}", munge.join("seed").display()),
        ]));
        std::fs::write(cluster.conf(), cluster.config_text()).expect("slurm.conf");
        let conf = cluster.conf().display().to_string();
        run(Command::new("slurmctld").args(["-f", &conf]));
        run(Command::new("slurmd").args(["-f", &conf]));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = cluster.output("sinfo", &["-h", "-o", "%t"]);
            if state.trim() == "idle" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the node never came up ({state}); slurmctld.log:\n{}",
                std::fs::read_to_string(root.join("slurmctld.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(cluster)
    }

    /// `slurm.conf`: hand it to Slurm's commands in `SLURM_CONF`.
    pub(crate) fn conf(&self) -> PathBuf {
        self.dir.path().join("slurm.conf")
    }

    pub(crate) fn folder(&self) -> &Path {
        self.dir.path()
    }

    fn config_text(&self) -> String {
        let root = self.dir.path().display();
        let host = host_name();
        format!(
            "ClusterName=shelfcast\n\
             SlurmctldHost={host}\n\
             SlurmUser=root\n\
             SlurmdUser=root\n\
             SlurmctldPort={}\n\
             SlurmdPort={}\n\
             AuthType=auth/munge\n\
             AuthInfo=socket={root}/munge/munge.socket\n\
             CredType=cred/munge\n\
             StateSaveLocation={root}/state\n\
             SlurmdSpoolDir={root}/spool\n\
             SlurmctldPidFile={root}/slurmctld.pid\n\
             SlurmdPidFile={root}/slurmd.pid\n\
             SlurmctldLogFile={root}/slurmctld.log\n\
             SlurmdLogFile={root}/slurmd.log\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             JobAcctGatherType=jobacct_gather/linux\n\
             JobAcctGatherFrequency=1\n\
             JobAcctGatherParams=OverMemoryKill\n\
             AccountingStorageType=accounting_storage/none\n\
             SchedulerType=sched/backfill\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_CPU_Memory\n\
             DefMemPerCPU=500\n\
             ReturnToService=2\n\
             MpiDefault=none\n\
             MinJobAge=3600\n\
             KillWait=2\n\
             NodeName={host} CPUs=2 RealMemory=4000 State=UNKNOWN\n\
             PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            free_port(),
            free_port(),
        )
    }

    /// A Slurm command's stdout (with this cluster's config).
    pub(crate) fn output(&self, program: &str, args: &[&str]) -> String {
        let output = Command::new(program)
            .env("SLURM_CONF", self.conf())
            .args(args)
            .output()
            .expect(program);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn run(command: &mut Command) {
    let output = command.output().expect("start a Slurm daemon");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Drop for SlurmCluster {
    fn drop(&mut self) {
        let root = self.dir.path();
        for pid_file in ["slurmd.pid", "slurmctld.pid", "munge/munged.pid"] {
            let pid = std::fs::read_to_string(root.join(pid_file))
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok());
            if let Some(pid) = pid {
                // SAFETY: kill only sends a signal to the daemon this cluster started.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
        // Jobs still running were started by slurmd's step daemons: end them too.
        let _ = Command::new("pkill")
            .args(["-f", &format!("slurmstepd.*{}", root.display())])
            .status();
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_throwaway_slurm_cluster_runs_a_job_and_an_array_two_at_a_time() {
    let Some(cluster) = SlurmCluster::start("slurm_cluster") else {
        return;
    };
    let out = cluster.folder().display().to_string();
    let sbatch = |args: &[&str]| -> String {
        let id = cluster.output("sbatch", args);
        assert!(!id.trim().is_empty(), "sbatch printed no job id");
        id.trim().to_string()
    };
    let done = sbatch(&[
        "--parsable",
        &format!("--output={out}/job-%j.out"),
        "--wrap",
        "echo ran on $(hostname)",
    ]);
    let array = sbatch(&[
        "--parsable",
        "--array=0-5%2",
        &format!("--output={out}/array-%A_%a.out"),
        "--wrap",
        "sleep 1; echo task $SLURM_ARRAY_TASK_ID",
    ]);
    let state_of = |job: &str| -> String {
        let text = cluster.output("scontrol", &["show", "job", job]);
        text.split_whitespace()
            .find_map(|w| w.strip_prefix("JobState="))
            .unwrap_or("")
            .to_string()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while state_of(&done) != "COMPLETED"
        || (0..6).any(|t| state_of(&format!("{array}_{t}")) != "COMPLETED")
    {
        assert!(Instant::now() < deadline, "jobs did not complete");
        // Never more than two of the array's tasks at once.
        let running = cluster
            .output("squeue", &["-h", "-t", "R", "-o", "%i"])
            .lines()
            .filter(|l| l.starts_with(&format!("{array}_")))
            .count();
        assert!(running <= 2, "{running} array tasks ran at once");
        std::thread::sleep(Duration::from_millis(200));
    }
    let said = std::fs::read_to_string(format!("{out}/job-{done}.out")).expect("job output");
    assert!(said.starts_with("ran on "), "{said}");
    for task in 0..6 {
        let said = std::fs::read_to_string(format!("{out}/array-{array}_{task}.out"))
            .expect("task output");
        assert_eq!(said.trim(), format!("task {task}"));
    }
}
