//! `shelfcast bench monitor`: the monitor on the sample (a model of the original two years, its
//! carried-forward forecast of the later half-year, that half-year's actuals) beside NannyML's
//! realized performance calculator on the same predictions, actuals, reference rows and weekly
//! chunks: every chunk's MAE and RMSE, and the thresholds, compared to 1e-6; and the time of both.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::monitor::score::Watched;
use crate::monitor::{MonitorReport, MonitorRequest, monitor};
use crate::project::Project;

fn run(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe)
        .arg("--root")
        .arg(root)
        .args(args)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "shelfcast {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// The sample project with its scored forecast.
fn prepare(root: &Path) -> anyhow::Result<()> {
    crate::data::sample::write_sample(&root.join("data"), crate::data::sample::DEFAULT_SEED)?;
    run(
        root,
        &[
            "train",
            "--data",
            "data/sales_weekly.csv",
            "--target",
            "units_sold",
            "--split",
            "time:week_start:26",
            "--param",
            "objective=poisson",
            "--param",
            "rounds=200",
            "--lags",
            "1,2,52",
            "--group",
            "store_id,item_id",
            "--wait",
        ],
    )?;
    run(
        root,
        &["register", "1", "--model", "sales", "--alias", "champion"],
    )?;
    let output = root.join("fc.csv");
    run(
        root,
        &[
            "forecast",
            "--model",
            "sales@champion",
            "--horizon",
            "26",
            "--carry-forward",
            "--output",
            &output.display().to_string(),
        ],
    )?;
    run(
        root,
        &[
            "actuals",
            "add",
            "data/sales_weekly_2024h1.csv",
            "--model",
            "sales",
        ],
    )
}

/// The reference (validation rows) and analysis (scored pairs) as the anchor reads them, with
/// every digit.
fn export(project: &Project, dir: &Path) -> anyhow::Result<()> {
    let store = project.open_store()?;
    let mut analysis = String::from("date,predicted,actual\n");
    for pair in store.scored_pairs("sales", None)? {
        writeln!(
            analysis,
            "{},{:?},{:?}",
            pair.target_date, pair.predicted, pair.actual
        )?;
    }
    std::fs::write(dir.join("analysis.csv"), analysis)?;
    let version = crate::registry::resolve(
        &store,
        &crate::registry::ModelRef::Alias("sales".into(), "champion".into()),
    )?;
    let bundle = project.root.join(&version.artifact_path);
    let manifest = crate::ml::artifact::verify_bundle(&bundle)?;
    let rows = crate::ml::validation_rows::load_validation(&bundle, &manifest)?
        .ok_or_else(|| anyhow::anyhow!("the sample model kept no validation rows"))?;
    let mut reference = String::from("date,predicted,actual\n");
    for row in rows {
        let date = crate::data::profile::day_text(row.day);
        writeln!(reference, "{date},{:?},{:?}", row.predicted, row.actual)?;
    }
    std::fs::write(dir.join("reference.csv"), reference)?;
    Ok(())
}

fn timed(project: &Project, metric: Watched) -> anyhow::Result<(MonitorReport, Duration)> {
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..5 {
        let started = Instant::now();
        let store = project.open_store()?;
        let request = MonitorRequest {
            metric,
            ..MonitorRequest::new("sales")
        };
        report = Some(monitor(project, &store, &request)?);
        times.push(started.elapsed());
    }
    let report = report.ok_or_else(|| anyhow::anyhow!("no run"))?;
    Ok((report, super::median(&mut times)))
}

pub fn bench_monitor() -> anyhow::Result<()> {
    let dir = super::tempfile_dir()?;
    let root = dir.join("shop");
    std::fs::create_dir_all(&root)?;
    say_err!("preparing the sample: train, register, forecast, actuals …");
    prepare(&root)?;
    let project = Project::new(&root);
    let (mae, mae_time) = timed(&project, Watched::Mae)?;
    let (rmse, _) = timed(&project, Watched::Rmse)?;
    say!(
        "Shelfcast monitor: {} forecasts with actuals in {} weekly periods, {} validation periods \
         as the reference; {} (median of 5, from runs.db and the bundle)",
        mae.pairs,
        mae.periods.len(),
        mae.band.as_ref().map_or(0, |b| b.periods),
        super::ms(mae_time)
    );
    export(&project, &dir)?;
    let python = std::env::var("SHELFCAST_NANNYML_PYTHON").unwrap_or_else(|_| "python3".into());
    let figures = match super::run_python_with(
        &python,
        &super::benches_dir().join("nannyml_performance.py"),
        &[
            &dir.join("reference.csv").display().to_string(),
            &dir.join("analysis.csv").display().to_string(),
        ],
    ) {
        Ok(figures) => figures,
        Err(why) => {
            say!("SKIP NannyML: {why}");
            let _ = std::fs::remove_dir_all(&dir);
            return Ok(());
        }
    };
    let f = |k: &str| super::figure(&figures, k);
    let mut worst: f64 = 0.0;
    let mut compared = 0;
    for (report, name) in [(&mae, "mae"), (&rmse, "rmse")] {
        let band = report.band.as_ref();
        for period in &report.periods {
            let ours = match name {
                "mae" => period.score.mae,
                _ => period.score.rmse,
            };
            let theirs = f(&format!("{name}.{}", period.period));
            let upper = f(&format!("{name}_upper.{}", period.period));
            let lower = f(&format!("{name}_lower.{}", period.period));
            for (a, b) in [
                (ours, theirs),
                (band.map_or(f64::NAN, |b| b.upper), upper),
                (band.map_or(f64::NAN, |b| b.lower), lower),
            ] {
                worst = worst.max((a - b).abs());
                compared += 1;
            }
        }
    }
    say!(
        "NannyML {} realized performance (fit on the reference, calculate on the analysis, weekly \
         chunks): {:.1} ms for {} chunks",
        figures.get("nannyml_version").map_or("", String::as_str),
        1000.0 * f("seconds"),
        f("chunks")
    );
    say!(
        "{compared} figures compared (each week's MAE and RMSE, and both thresholds): the largest \
         difference {worst:.2e} ({}); Shelfcast {} against NannyML's {:.1} ms",
        if worst <= 1e-6 {
            "within 1e-6"
        } else {
            "NOT within 1e-6"
        },
        super::ms(mae_time),
        1000.0 * f("seconds")
    );
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(
        worst.is_finite() && worst <= 1e-6,
        "the figures differ by {worst:e}"
    );
    Ok(())
}
