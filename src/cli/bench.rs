//! `shelfcast bench`: figures measured side by side with their anchor in the same run. Build with
//! `--release`; debug builds are an order of magnitude slower and say so.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Subcommand;

use crate::data::{self, DataFormat, DatasetFile, load};
use crate::project::Project;
use crate::store::RunStore;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Profile a file cold and from the cache, beside polars' own read of the same file.
    Profile {
        file: PathBuf,
        /// Repetitions of each cold measurement (the median is reported).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
}

pub fn run(_project: &Project, what: BenchCommand) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; run `cargo run --release -- bench ...`");
    }
    match what {
        BenchCommand::Profile { file, repeat } => bench_profile(&file, repeat.max(1)),
    }
}

fn bench_profile(path: &Path, repeat: usize) -> anyhow::Result<()> {
    let file = DatasetFile::from_path(path, path.parent().unwrap_or(Path::new(".")))?;
    println!(
        "bench profile: {} ({:.1} MB, {}), {} cores, {repeat} repetitions",
        path.display(),
        file.bytes as f64 / 1e6,
        file.format.as_str(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // The anchor: polars reading the same file with its default options (what any polars user
    // pays before they can look at a column).
    let mut bare = Vec::new();
    let mut rows = 0;
    for _ in 0..repeat {
        let start = Instant::now();
        let df = match file.format {
            DataFormat::Csv => load::read_csv(path, None)?,
            DataFormat::Parquet => load::read_parquet(path)?,
        };
        bare.push(start.elapsed());
        rows = df.height();
    }

    let scratch = tempfile_dir()?;
    let mut cold = Vec::new();
    for i in 0..repeat {
        let mut store = RunStore::open(&scratch.join(format!("cold-{i}.db")))?;
        let start = Instant::now();
        data::profile_dataset(&mut store, &file, false, &|_| {})?;
        cold.push(start.elapsed());
    }

    // Cached: the store already holds the profile; a new process would open runs.db, stat the
    // file, find its fingerprint and read the profile.
    let store_path = scratch.join("cold-0.db");
    let mut cached = Vec::new();
    let mut cached_with_open = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        let mut store = RunStore::open(&store_path)?;
        let opened = Instant::now();
        let outcome = data::profile_dataset(&mut store, &file, true, &|_| {})?;
        anyhow::ensure!(
            outcome.from_cache,
            "the second open was not served from the cache"
        );
        cached.push(opened.elapsed());
        cached_with_open.push(start.elapsed());
    }
    let _ = std::fs::remove_dir_all(&scratch);

    let bare_median = median(&mut bare);
    let cold_median = median(&mut cold);
    println!("rows: {rows}");
    println!("polars read (anchor):        median {}", ms(bare_median));
    println!(
        "shelfcast cold profile:      median {}  = {:.2}x the polars read (target <= 2x)",
        ms(cold_median),
        cold_median.as_secs_f64() / bare_median.as_secs_f64().max(1e-9)
    );
    println!(
        "shelfcast cached open:       median {}, max {} (target < 50 ms)",
        ms(median(&mut cached)),
        ms(*cached.iter().max().unwrap_or(&Duration::ZERO))
    );
    println!(
        "  including opening runs.db: median {}, max {}",
        ms(median(&mut cached_with_open)),
        ms(*cached_with_open.iter().max().unwrap_or(&Duration::ZERO))
    );
    if let Some(peak) = peak_memory_mb() {
        println!("peak resident memory of this process: {peak:.0} MB");
    }
    Ok(())
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("shelfcast-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Peak resident set size (VmHWM) on Linux.
pub fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
