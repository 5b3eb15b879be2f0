//! `shelfcast bench drift`: drift of one period of a shared dataset against another, every
//! column, beside Evidently's data-drift preset on the same rows with the same column types
//! (`benches/evidently_drift.py`), with the per-column verdicts compared.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::{benches_dir, median, run_python_with, tempfile_dir};
use crate::data::{ReadOptions, read_dataset};
use crate::drift::html::report_html;
use crate::drift::source::{Period, filter_period};
use crate::drift::{ColumnKind, DriftOptions, check_drift, column_kinds};

struct Case {
    /// The reference file, in the shared data folder (or the sample's, for `sample`).
    reference_file: &'static str,
    current_file: &'static str,
    date: &'static str,
    /// A period of each file, or all its rows.
    reference: Option<&'static str>,
    current: Option<&'static str>,
    /// The sample's files, written for the bench (drift by construction, so verdicts differ).
    sample: bool,
}

const CASES: [Case; 4] = [
    Case {
        reference_file: "rossmann_train.csv",
        current_file: "rossmann_train.csv",
        date: "Date",
        reference: Some("2013"),
        current: Some("2014"),
        sample: false,
    },
    Case {
        reference_file: "rossmann_train.csv",
        current_file: "rossmann_train.csv",
        date: "Date",
        reference: Some("2013-01..2014-12"),
        current: Some("2015"),
        sample: false,
    },
    Case {
        reference_file: "store_item_demand_train.csv",
        current_file: "store_item_demand_train.csv",
        date: "date",
        reference: Some("2016"),
        current: Some("2017"),
        sample: false,
    },
    Case {
        reference_file: "sales_weekly.csv",
        current_file: "sales_weekly_2024h1.csv",
        date: "week_start",
        reference: None,
        current: None,
        sample: true,
    },
];

fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn size(bytes: f64) -> String {
    if bytes >= 1e6 {
        format!("{:.1} MB", bytes / 1e6)
    } else {
        format!("{:.0} KB", bytes / 1e3)
    }
}

pub fn bench_drift(data_dir: &Path, repeat: usize) -> anyhow::Result<()> {
    if !data_dir.is_dir() {
        say!(
            "SKIP bench drift: {} is absent (it holds the shared datasets)",
            data_dir.display()
        );
        return Ok(());
    }
    let python = std::env::var("SHELFCAST_EVIDENTLY_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut ratios = Vec::new();
    let mut all_agree = true;
    // Its own folder: each case's Evidently folder is removed after it.
    let sample_dir =
        std::env::temp_dir().join(format!("shelfcast-bench-sample-{}", std::process::id()));
    crate::data::sample::write_sample(&sample_dir, 42)?;
    for case in &CASES {
        let folder = if case.sample {
            sample_dir.as_path()
        } else {
            data_dir
        };
        let reference_path = folder.join(case.reference_file);
        let current_path = folder.join(case.current_file);
        let started = Instant::now();
        let read = |path: &Path| {
            read_dataset(path, &ReadOptions::default())
                .map(|read| read.frame)
                .with_context(|| format!("reading {}", path.display()))
        };
        let reference_frame = read(&reference_path)?;
        let current_frame = if current_path == reference_path {
            reference_frame.clone()
        } else {
            read(&current_path)?
        };
        let periods =
            |p: Option<&str>| p.map(Period::parse).transpose().map_err(anyhow::Error::msg);
        let (reference_period, current_period) = (periods(case.reference)?, periods(case.current)?);
        let reference = match reference_period {
            Some(p) => filter_period(&reference_frame, case.date, p)?,
            None => reference_frame,
        };
        let current = match current_period {
            Some(p) => filter_period(&current_frame, case.date, p)?,
            None => current_frame,
        };
        let load_time = started.elapsed();
        let side = |file: &str, period: Option<&str>| match period {
            Some(p) => format!("{file} @ {p}"),
            None => file.to_string(),
        };
        let labels = (
            side(case.reference_file, case.reference),
            side(case.current_file, case.current),
        );
        let mut times = Vec::new();
        let mut report = None;
        for _ in 0..repeat {
            let started = Instant::now();
            let r = check_drift(
                (&reference, &labels.0),
                (&current, &labels.1),
                &DriftOptions::default(),
                &|_, _, _| {},
            )?;
            times.push(started.elapsed());
            report = Some(r);
        }
        let report = report.context("no run")?;
        let check_time = median(&mut times);
        let html = report_html(&report, "bench")?;
        say!(
            "\n{} ({} rows) against {} ({} rows), {} columns tested",
            labels.1,
            current.height(),
            labels.0,
            reference.height(),
            report.columns.len()
        );
        let kinds = column_kinds(&reference);
        let list = |kind: ColumnKind| {
            kinds
                .iter()
                .filter(|(_, k)| k.as_ref().ok() == Some(&kind))
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let dir = tempfile_dir()?;
        let evidently_html = dir.join("evidently.html");
        let anchor = run_python_with(
            &python,
            &benches_dir().join("evidently_drift.py"),
            &[
                &reference_path.to_string_lossy(),
                &current_path.to_string_lossy(),
                case.date,
                &reference_period.map_or(String::new(), |p| p.first.to_string()),
                &reference_period.map_or(String::new(), |p| p.last.to_string()),
                &current_period.map_or(String::new(), |p| p.first.to_string()),
                &current_period.map_or(String::new(), |p| p.last.to_string()),
                &list(ColumnKind::Numeric),
                &list(ColumnKind::Categorical),
                &evidently_html.to_string_lossy(),
            ],
        );
        let _ = std::fs::remove_dir_all(&dir);
        say!(
            "  {:<16} {:<22} {:>12} {:>12}  {:<9} Evidently",
            "column",
            "test",
            "Shelfcast",
            "Evidently",
            "Shelfcast"
        );
        let mut agree = 0;
        for c in &report.columns {
            let theirs = anchor
                .as_ref()
                .ok()
                .and_then(|f| f.get(&format!("column.{}", c.column)))
                .map(|v| v.split('|').map(String::from).collect::<Vec<_>>());
            let (their_score, their_verdict) = match &theirs {
                Some(parts) if parts.len() == 3 => (
                    parts[1].parse::<f64>().unwrap_or(f64::NAN),
                    Some(parts[2] == "1"),
                ),
                _ => (f64::NAN, None),
            };
            if their_verdict == Some(c.drifted) {
                agree += 1;
            }
            let verdict = |d: bool| if d { "drift" } else { "-" };
            say!(
                "  {:<16} {:<22} {:>12.6} {:>12.6}  {:<9} {}",
                c.column,
                c.test.title(),
                c.score,
                their_score,
                verdict(c.drifted),
                their_verdict.map_or("?", verdict)
            );
        }
        say!(
            "  Shelfcast: read {} ; check {} (median of {repeat}), dataset drift: {}, report {}",
            seconds(load_time),
            seconds(check_time),
            if report.dataset_drift { "yes" } else { "no" },
            size(html.len() as f64)
        );
        match &anchor {
            Ok(figures) => {
                let get = |k: &str| figures.get(k).cloned().unwrap_or_default();
                let run: f64 = get("run_seconds").parse().unwrap_or(f64::NAN);
                let ratio = run / check_time.as_secs_f64();
                ratios.push(ratio);
                let same = agree == report.columns.len();
                all_agree &= same;
                say!(
                    "  Evidently {} (pandas {}): read {} s ; preset {run:.2} s, dataset drift: {}, \
                     report {}",
                    get("evidently"),
                    get("pandas"),
                    get("load_seconds"),
                    if get("dataset_drift") == "1" {
                        "yes"
                    } else {
                        "no"
                    },
                    get("html_bytes")
                        .parse::<f64>()
                        .map_or("not written".into(), size)
                );
                say!(
                    "  → {ratio:.0}x faster (target ≥ 50x); verdicts agree on {agree} of {} columns",
                    report.columns.len()
                );
            }
            Err(reason) => say!("  Evidently: SKIP {reason}"),
        }
    }
    let _ = std::fs::remove_dir_all(&sample_dir);
    if !ratios.is_empty() {
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        say!(
            "\nslowest ratio {min:.0}x (target ≥ 50x); same verdicts on every column: {}",
            if all_agree { "yes" } else { "NO" }
        );
    }
    Ok(())
}
