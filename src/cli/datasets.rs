//! `shelfcast datasets`, `profile` and `sample-data`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::data::profile::number_text;
use crate::data::{self, ColumnProfile, DatasetFile, DatasetProfile, sample};
use crate::project::Project;

#[derive(Serialize)]
struct DatasetLine {
    path: String,
    format: &'static str,
    bytes: u64,
    rows: Option<u64>,
    columns: Option<usize>,
    sha256: Option<String>,
    error: Option<String>,
}

pub fn list(project: &Project, json: bool) -> anyhow::Result<()> {
    if let Some(report) = project.ensure_sample_data()? {
        say_err!(
            "data/ held no dataset: wrote the sample data (seed {}) to {}",
            report.seed,
            project.data_dir().display()
        );
    }
    let mut store = project.open_store()?;
    let files = data::discover(&project.data_dir())?;
    let options = project.read_options()?;
    let mut lines = Vec::new();
    for file in &files {
        let line = match data::profile_dataset(&mut store, file, &options, true, &|_| {}) {
            Ok(outcome) => DatasetLine {
                path: file.relative.clone(),
                format: file.format.as_str(),
                bytes: file.bytes,
                rows: Some(outcome.profile.rows),
                columns: Some(outcome.profile.columns.len()),
                sha256: Some(outcome.profile.sha256),
                error: None,
            },
            Err(e) => DatasetLine {
                path: file.relative.clone(),
                format: file.format.as_str(),
                bytes: file.bytes,
                rows: None,
                columns: None,
                sha256: None,
                error: Some(e.to_string()),
            },
        };
        lines.push(line);
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&lines)?);
        return Ok(());
    }
    say!(
        "{:<36} {:<8} {:>12} {:>10} {:>5}",
        "dataset",
        "format",
        "bytes",
        "rows",
        "cols"
    );
    for line in &lines {
        match &line.error {
            None => say!(
                "{:<36} {:<8} {:>12} {:>10} {:>5}",
                line.path,
                line.format,
                line.bytes,
                line.rows.unwrap_or(0),
                line.columns.unwrap_or(0)
            ),
            Some(error) => say!(
                "{:<36} {:<8} {:>12} error: {error}",
                line.path,
                line.format,
                line.bytes
            ),
        }
    }
    Ok(())
}

pub fn profile(project: &Project, file: &Path, json: bool, use_cache: bool) -> anyhow::Result<()> {
    let base = file.parent().unwrap_or(Path::new("."));
    let dataset = DatasetFile::from_path(file, base)?;
    let mut store = project
        .open_store()
        .with_context(|| format!("opening the run store of {}", project.root.display()))?;
    let options = project.read_options()?;
    let outcome = data::profile_dataset(&mut store, &dataset, &options, use_cache, &|_| {})?;
    if json {
        say!("{}", serde_json::to_string_pretty(&outcome.profile)?);
    } else {
        print_profile(&outcome.profile, outcome.from_cache);
    }
    Ok(())
}

fn print_profile(profile: &DatasetProfile, from_cache: bool) {
    let mut profile = profile.clone();
    profile.make_printable();
    let profile = &profile;
    say!(
        "{}: {} rows x {} columns, {} bytes, sha256 {}{}",
        profile.path,
        profile.rows,
        profile.columns.len(),
        profile.bytes,
        profile.sha256,
        if from_cache { " (cached)" } else { "" }
    );
    for note in &profile.notes {
        say!("note: {note}");
    }
    say!(
        "{:<28} {:<11} {:>8} {:>9}  summary",
        "column",
        "type",
        "missing%",
        "distinct"
    );
    for column in &profile.columns {
        say!(
            "{:<28} {:<11} {:>8.2} {:>9}  {}",
            column.name,
            column.kind.as_str(),
            column.missing_pct,
            column.distinct,
            summary_text(column)
        );
    }
    for column in profile.columns.iter().filter(|c| c.missing > 0) {
        say!("missing: {}: {}", column.name, column.missing_text());
    }
}

/// One line per column: statistics for numbers, the range for dates, top values otherwise.
pub fn summary_text(column: &ColumnProfile) -> String {
    if let Some(n) = &column.numeric {
        return format!(
            "min {} | mean {} | std {} | q25 {} | median {} | q75 {} | max {}",
            short(n.min),
            short(n.mean),
            short(n.std),
            short(n.q25),
            short(n.median),
            short(n.q75),
            short(n.max)
        );
    }
    if let Some(range) = &column.date_range {
        return format!("{} to {} ({} days)", range.min, range.max, range.days);
    }
    column
        .top
        .iter()
        .take(5)
        .map(|t| format!("{} {:.1}%", t.value, t.share * 100.0))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn short(v: f64) -> String {
    if v.fract() == 0.0 {
        number_text(v)
    } else {
        format!("{v:.4}")
    }
}

pub fn sample_data(project: &Project, out: Option<PathBuf>, seed: u64) -> anyhow::Result<()> {
    let out = out.unwrap_or_else(|| project.data_dir());
    let report = sample::write_sample(&out, seed)?;
    for file in &report.files {
        // A JSON file (the true uplift) has no rows to count.
        if file.rows == 0 {
            say!("wrote {} ({} bytes)", file.path.display(), file.bytes);
        } else {
            say!(
                "wrote {} ({} rows, {} bytes)",
                file.path.display(),
                file.rows,
                file.bytes
            );
        }
    }
    Ok(())
}
