//! Is a run's worker process still there? Read from /proc (Linux, where Shelfcast runs): a pid
//! counts as alive only while it names a running (not zombie) process whose command line is a
//! Shelfcast one, so a recycled pid never keeps a dead run "running".

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
