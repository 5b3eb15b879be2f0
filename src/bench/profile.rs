//! `shelfcast bench profile`: a cold and a cached profile beside polars' own reads of the file.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::data::{self, DataFormat, DatasetFile, ProfileStage, load};
use crate::store::RunStore;

use super::{median, ms, peak_memory_mb, tempfile_dir};

pub fn bench_profile(path: &Path, repeat: usize) -> anyhow::Result<()> {
    let file = DatasetFile::from_path(path, path.parent().unwrap_or(Path::new(".")))?;
    say!(
        "bench profile: {} ({:.1} MB, {}), {} cores, {repeat} repetitions",
        path.display(),
        file.bytes as f64 / 1e6,
        file.format.as_str(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // The anchors: polars itself reading the same file, timed here in the same run. A CSV is
    // read twice over: with polars' default type inference (the first 100 rows; it fails on files
    // whose types change further down, like Rossmann's StateHoliday) and with whole-file inference,
    // which always succeeds. Both parse ISO dates, as Shelfcast does.
    let mut anchors: Vec<(&str, Result<Duration, String>)> = Vec::new();
    let mut rows = 0;
    // The tightest anchor: polars told the column types up front (the ones Shelfcast settles on),
    // so it infers nothing.
    let known_schema = match file.format {
        DataFormat::Csv => Some(
            load::read_csv(path, None, &data::ReadOptions::default(), false)?
                .schema()
                .clone(),
        ),
        DataFormat::Parquet => None,
    };
    let plans: &[(&str, Inference)] = match file.format {
        DataFormat::Csv => &[
            (
                "polars read, default inference (100 rows)",
                Inference::Rows(100),
            ),
            ("polars read, whole-file inference", Inference::WholeFile),
            ("polars read, schema given (no inference)", Inference::Given),
        ],
        DataFormat::Parquet => &[("polars Parquet read", Inference::WholeFile)],
    };
    for &(label, inference) in plans {
        let mut times = Vec::new();
        let mut failure = None;
        for _ in 0..repeat {
            let start = Instant::now();
            let result = match file.format {
                DataFormat::Csv => polars_csv_read(path, inference, known_schema.as_ref()),
                DataFormat::Parquet => load::read_parquet(path)
                    .map(|df| df.height())
                    .map_err(|e| e.to_string()),
            };
            match result {
                Ok(height) => {
                    times.push(start.elapsed());
                    rows = height;
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        anchors.push((
            label,
            match failure {
                Some(e) => Err(e),
                None => Ok(median(&mut times)),
            },
        ));
    }

    let scratch = tempfile_dir()?;
    let mut cold = Vec::new();
    for i in 0..repeat {
        let mut store = RunStore::open(&scratch.join(format!("cold-{i}.db")))?;
        let start = Instant::now();
        data::profile_dataset(
            &mut store,
            &file,
            &data::ReadOptions::default(),
            false,
            &|_| {},
        )?;
        cold.push(start.elapsed());
    }

    // Cached: the store already holds the profile; a new process would open runs.db, stat the
    // file, find its fingerprint and read the profile.
    // Where a cold profile spends its time (one more run, stages as the progress reports them).
    {
        let mut store = RunStore::open(&scratch.join("stages.db"))?;
        let start = Instant::now();
        let marks = std::sync::Mutex::new(Vec::<(&str, Duration)>::new());
        data::profile_dataset(
            &mut store,
            &file,
            &data::ReadOptions::default(),
            false,
            &|stage| {
                let name = match stage {
                    ProfileStage::Scanning { done, total } if done == total => {
                        "hash + structure check done"
                    }
                    ProfileStage::Reading => "hash + structure check joined",
                    ProfileStage::Profiling { done: 0, .. } => "polars read done",
                    ProfileStage::Saving => "column statistics done",
                    _ => return,
                };
                if let Ok(mut marks) = marks.lock() {
                    marks.push((name, start.elapsed()));
                }
            },
        )?;
        let total = start.elapsed();
        say!("stages of one cold profile (elapsed since start):");
        for (name, at) in marks.into_inner().unwrap_or_default() {
            say!("  {name:<42} {}", ms(at));
        }
        say!("  {:<42} {}", "saved to runs.db", ms(total));
    }

    let store_path = scratch.join("cold-0.db");
    let mut cached = Vec::new();
    let mut cached_with_open = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        let mut store = RunStore::open(&store_path)?;
        let opened = Instant::now();
        let outcome = data::profile_dataset(
            &mut store,
            &file,
            &data::ReadOptions::default(),
            true,
            &|_| {},
        )?;
        anyhow::ensure!(
            outcome.from_cache,
            "the second open was not served from the cache"
        );
        cached.push(opened.elapsed());
        cached_with_open.push(start.elapsed());
    }
    let _ = std::fs::remove_dir_all(&scratch);

    let cold_median = median(&mut cold);
    say!("rows: {rows}");
    for (label, result) in &anchors {
        match result {
            Ok(time) => say!("{label:<44} median {}", ms(*time)),
            Err(e) => say!("{label:<44} failed: {}", first_line(e)),
        }
    }
    // The fastest anchor that succeeded is the one to beat.
    let anchor = anchors
        .iter()
        .filter_map(|(label, r)| r.as_ref().ok().map(|t| (*label, *t)))
        .min_by_key(|(_, t)| *t);
    match anchor {
        Some((label, time)) => say!(
            "{:<44} median {}  = {:.2}x {label} (target <= 2x)",
            "shelfcast cold profile",
            ms(cold_median),
            cold_median.as_secs_f64() / time.as_secs_f64().max(1e-9)
        ),
        None => say!(
            "shelfcast cold profile: median {} (no anchor succeeded)",
            ms(cold_median)
        ),
    }
    say!(
        "{:<44} median {}, max {} (target < 50 ms)",
        "shelfcast cached open",
        ms(median(&mut cached)),
        ms(*cached.iter().max().unwrap_or(&Duration::ZERO))
    );
    say!(
        "{:<44} median {}, max {}",
        "  the same, including opening runs.db",
        ms(median(&mut cached_with_open)),
        ms(*cached_with_open.iter().max().unwrap_or(&Duration::ZERO))
    );
    if let Some(peak) = peak_memory_mb() {
        say!("peak resident memory of this process: {peak:.0} MB");
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Inference {
    Rows(usize),
    WholeFile,
    Given,
}

/// polars' own CSV reader, inferring types as `inference` says; the rows read.
fn polars_csv_read(
    path: &Path,
    inference: Inference,
    schema: Option<&polars::prelude::SchemaRef>,
) -> Result<usize, String> {
    use polars::prelude::*;
    let options = CsvReadOptions::default().with_has_header(true);
    let options = match inference {
        Inference::Rows(n) => options.with_infer_schema_length(Some(n)),
        Inference::WholeFile => options.with_infer_schema_length(None),
        Inference::Given => options.with_schema(schema.cloned()),
    };
    options
        .map_parse_options(|options| options.with_try_parse_dates(true))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish())
        .map(|df| df.height())
        .map_err(|e| e.to_string())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
