//! What a run costs the box, sampled by its worker every heartbeat and stored as series like any
//! metric: the worker's CPU (percent of one core, so two busy threads read 200), resident memory,
//! threads and elapsed time, and the machine's load and available memory. Peak resident memory is
//! a final metric. Read from /proc on Linux (a few small reads per sample, on the heartbeat's own
//! thread, never the training threads'); elsewhere nothing is sampled.

use std::time::Instant;

use crate::store::MetricPoint;

pub const CPU_PERCENT: &str = "sys.cpu_percent";
pub const RSS_MB: &str = "sys.rss_mb";
pub const THREADS: &str = "sys.threads";
pub const ELAPSED_S: &str = "sys.elapsed_s";
pub const LOAD_1M: &str = "sys.load_1m";
pub const MEM_AVAILABLE_MB: &str = "sys.mem_available_mb";
pub const PEAK_RSS_MB: &str = "sys.peak_rss_mb";

/// The system series in the order charts show them: what the run costs first, the box after.
pub const CHART_ORDER: [&str; 6] = [
    CPU_PERCENT,
    RSS_MB,
    THREADS,
    MEM_AVAILABLE_MB,
    LOAD_1M,
    ELAPSED_S,
];

/// Whether workers sample their system metrics: on unless `SHELFCAST_SYSTEM_METRICS=0` (how the
/// sampler's cost is measured, by training with it off).
pub fn enabled() -> bool {
    std::env::var("SHELFCAST_SYSTEM_METRICS").map_or(true, |v| v != "0")
}

/// Samples the worker process and the machine; each sample is one step of the `sys.*` series.
pub struct SystemSampler {
    started: Instant,
    last: Option<(Instant, f64)>,
    step: i64,
    ticks_per_second: f64,
}

impl SystemSampler {
    /// Starts sampling a run: the process's peak memory is reset so a worker that trains
    /// several trials reports each one's own peak.
    pub fn start() -> Self {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        // SAFETY: sysconf only reads a configuration value.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Self {
            started: Instant::now(),
            last: None,
            step: 0,
            ticks_per_second: if ticks > 0 { ticks as f64 } else { 100.0 },
        }
    }

    /// This moment's points (none where /proc cannot be read). CPU needs two samples, so the
    /// first sample has none.
    pub fn sample(&mut self) -> Vec<MetricPoint> {
        let now = Instant::now();
        let mut points = Vec::new();
        let step = self.step;
        let mut push = |key: &str, value: f64| points.push(MetricPoint::now(key, step, value));
        push(ELAPSED_S, now.duration_since(self.started).as_secs_f64());
        if let Some((cpu_seconds, threads)) = read_stat(self.ticks_per_second) {
            if let Some((at, before)) = self.last {
                let wall = now.duration_since(at).as_secs_f64();
                if wall > 0.0 {
                    push(CPU_PERCENT, 100.0 * (cpu_seconds - before) / wall);
                }
            }
            push(THREADS, threads);
            self.last = Some((now, cpu_seconds));
        }
        if let Some(rss) = status_kb("VmRSS:") {
            push(RSS_MB, rss / 1024.0);
        }
        if let Some(load) = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        {
            push(LOAD_1M, load);
        }
        if let Some(available) = field_kb("/proc/meminfo", "MemAvailable:") {
            push(MEM_AVAILABLE_MB, available / 1024.0);
        }
        self.step += 1;
        points
    }
}

/// The process's peak resident memory since its run started, in MB.
pub fn peak_rss_mb() -> Option<f64> {
    status_kb("VmHWM:").map(|kb| kb / 1024.0)
}

/// CPU seconds used (user and system) and threads, from /proc/self/stat.
fn read_stat(ticks_per_second: f64) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name, which may hold spaces: state is field 3, so
    // utime (14), stime (15) and num_threads (20) are at 11, 12 and 17 here.
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| rest.get(i)?.parse::<f64>().ok();
    Some(((ticks(11)? + ticks(12)?) / ticks_per_second, ticks(17)?))
}

fn status_kb(key: &str) -> Option<f64> {
    field_kb("/proc/self/status", key)
}

fn field_kb(path: &str, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_process_is_sampled_with_its_cpu_memory_and_threads() {
        let mut sampler = SystemSampler::start();
        let first = sampler.sample();
        let started = Instant::now();
        let mut x = 0u64;
        while started.elapsed().as_millis() < 200 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        assert!(x != 1);
        let second = sampler.sample();
        if !cfg!(target_os = "linux") {
            return;
        }
        let value = |points: &[MetricPoint], key: &str| {
            points.iter().find(|p| p.key == key).map(|p| p.value)
        };
        assert_eq!(value(&first, CPU_PERCENT), None, "no CPU from one sample");
        let cpu = value(&second, CPU_PERCENT).expect("cpu");
        assert!(cpu > 50.0 && cpu < 250.0, "a spinning thread: {cpu}%");
        assert!(value(&second, RSS_MB).expect("rss") > 1.0);
        assert!(value(&second, THREADS).expect("threads") >= 1.0);
        assert!(value(&second, MEM_AVAILABLE_MB).expect("available") > 0.0);
        assert!(second.iter().all(|p| p.step == 1), "{second:?}");
        assert!(peak_rss_mb().expect("peak") >= value(&second, RSS_MB).expect("rss") * 0.5);
    }
}
