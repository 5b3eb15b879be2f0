//! `shelfcast bench mlflow`: the MLflow bridge's rates beside MLflow's own client on the same
//! runs, in one run. `benches/mlflow_log_runs.py` logs N runs (three with 25,000-step metrics)
//! into an SQLite store with MLflow's client (`log_batch`); Shelfcast imports that store (and
//! imports it again); then Shelfcast exports the imported runs to one `mlflow server` on loopback
//! while MLflow's client logs the same runs to another. Skips, saying why, without mlflow.

use std::path::Path;
use std::time::Instant;

use super::mlflow_server::{MlflowServer, python};

use crate::mlflow::{ExportOptions, ImportOptions, export_mlflow, import_mlflow, open_source};
use crate::project::Project;

fn log_runs(uri: &str, runs: usize, dir: &Path) -> Result<f64, String> {
    let figures = super::run_python_with(
        &python(),
        &super::benches_dir().join("mlflow_log_runs.py"),
        &[
            uri,
            &runs.to_string(),
            "3",
            &dir.join("expected.json").display().to_string(),
        ],
    )?;
    Ok(super::figure(&figures, "log_seconds"))
}

pub fn bench_mlflow(runs: usize) -> anyhow::Result<()> {
    let dir = super::tempfile_dir()?.join("mlflow");
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("source.db");
    let logged_sqlite = match log_runs(&format!("sqlite:///{}", db.display()), runs, &dir) {
        Ok(seconds) => seconds,
        Err(why) => {
            say!("SKIP the MLflow bridge: {why}");
            return Ok(());
        }
    };
    let project = Project::new(&dir.join("project"));
    std::fs::create_dir_all(&project.root)?;
    let source = open_source(&db.display().to_string())?;
    let started = Instant::now();
    let report = import_mlflow(
        &project,
        source.as_ref(),
        &ImportOptions::default(),
        &mut |_, _| {},
    )?;
    let import_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    import_mlflow(
        &project,
        source.as_ref(),
        &ImportOptions::default(),
        &mut |_, _| {},
    )?;
    let reimport_s = started.elapsed().as_secs_f64();
    let points = report.points as f64;
    let n = report.created as f64;
    say!(
        "import: {} runs and {} points in {:.3} s ({:.0} runs/s, {:.0} points/s); again (nothing \
         changed) {:.3} s; MLflow's client logged them into SQLite with log_batch in {:.2} s \
         ({:.0} runs/s, {:.0} points/s)",
        report.created,
        report.points,
        import_s,
        n / import_s,
        points / import_s,
        reimport_s,
        logged_sqlite,
        n / logged_sqlite,
        points / logged_sqlite
    );
    let ours = MlflowServer::start(&dir.join("server-a"), None, None)?;
    let export = || {
        let started = Instant::now();
        let report = export_mlflow(
            &project,
            &ExportOptions {
                tracking_uri: ours.uri.clone(),
                ..ExportOptions::default()
            },
            &mut |_, _| {},
        )?;
        anyhow::Ok((report, started.elapsed().as_secs_f64()))
    };
    let (exported, export_s) = export()?;
    let (_, reexport_s) = export()?;
    drop(ours);
    let theirs = MlflowServer::start(&dir.join("server-b"), None, None)?;
    let logged_rest = log_runs(&theirs.uri, runs, &dir).map_err(anyhow::Error::msg)?;
    drop(theirs);
    say!(
        "export: {} runs and {} points to mlflow server in {:.2} s with {} calls ({:.1} runs/s, \
         {:.0} points/s); again (nothing changed) {:.2} s; MLflow's client logged the same runs \
         to the same kind of server with log_batch in {:.2} s ({:.1} runs/s, {:.0} points/s): \
         {:.2}x its time",
        exported.created,
        exported.points,
        export_s,
        exported.calls,
        exported.created as f64 / export_s,
        exported.points as f64 / export_s,
        reexport_s,
        logged_rest,
        n / logged_rest,
        points / logged_rest,
        export_s / logged_rest
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
