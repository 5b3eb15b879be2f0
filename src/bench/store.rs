//! `shelfcast bench store`: a synthetic store of many runs and metric points, and the times the
//! runs pane lives by: the first frame of the Runs tab (opening the store, the runs query, and
//! drawing the table, exactly as the TUI does), a filter over every run, and ten long curves
//! loaded and downsampled for the compare chart. Beside it, when MLflow is installed,
//! `benches/mlflow_search_runs.py` times MLflow's `search_runs` (the query its UI runs) with the
//! same filter and order on an MLflow store of the same number of runs.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{benches_dir, ms, run_python, tempfile_dir};
use crate::project::Project;
use crate::store::{
    MetricPoint, NewRun, QueuedRun, RunQuery, RunSort, RunStatus, RunStore, SortKey, StoreLocation,
    parse_filter,
};

/// The filter timed on both sides.
pub const BENCH_FILTER: &str = "metrics.rmse < 900 and params.model = \"gbdt\" and tags.team = \"fresh\" and status = \"finished\"";
const LONG_CURVES: usize = 10;
const LONG_STEPS: usize = 25_000;
/// Points a compare chart draws per curve.
const DISPLAY_POINTS: usize = 600;

/// What the Runs tab and Compare live by, timed on one store (medians of five).
struct StoreTimes {
    first_frame: Duration,
    filter: Duration,
    matched: usize,
    curves: Duration,
    drawn: usize,
}

pub fn bench_store(
    runs: usize,
    points: usize,
    mlflow_runs: usize,
    postgres: Option<&str>,
    faces: &super::Faces,
) -> anyhow::Result<()> {
    let scratch = tempfile_dir()?;
    let project = Project::new(&scratch);
    std::fs::create_dir_all(project.data_dir())?;
    let db = project.store_path();
    say!("bench store: {runs} runs, {points} metric points");
    let started = Instant::now();
    build_store(&db, runs, points)?;
    let size = std::fs::metadata(&db)?.len()
        + std::fs::metadata(db.with_extension("db-wal")).map_or(0, |m| m.len());
    say!(
        "built in {:.1}s; runs.db {:.0} MB",
        started.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
    let sqlite = time_store(&project, runs, faces)?;
    say!(
        "first frame of the Runs tab ({runs} runs): {} (target < 150 ms)",
        ms(sqlite.first_frame)
    );
    say!(
        "filter over all runs, sorted by rmse ({} match): {} (target < 50 ms)\n  {BENCH_FILTER}",
        sqlite.matched,
        ms(sqlite.filter)
    );
    say!(
        "{LONG_CURVES} curves of {LONG_STEPS} steps loaded and downsampled to {} points: {} \
         (target < 50 ms)",
        sqlite.drawn,
        ms(sqlite.curves)
    );
    let mlflow_db = scratch.join("mlflow.db").display().to_string();
    mlflow_search("SQLite", &["--db", &mlflow_db], mlflow_runs);
    if let Some(url) = postgres {
        bench_postgres(&project, url, runs, mlflow_runs, &sqlite, faces)?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// The same runs copied into the (empty) PostgreSQL store at `url` and timed there, beside
/// SQLite's; then MLflow on a PostgreSQL backend store beside that.
fn bench_postgres(
    sqlite_project: &Project,
    url: &str,
    runs: usize,
    mlflow_runs: usize,
    sqlite: &StoreTimes,
    faces: &super::Faces,
) -> anyhow::Result<()> {
    let location = StoreLocation::Postgres(url.to_string());
    let mut target = location.open()?;
    let there = target
        .list_runs(&crate::store::RunFilter {
            include_deleted: true,
            ..Default::default()
        })?
        .len();
    if there > 0 {
        anyhow::bail!(
            "{location} holds {there} run(s); bench store fills an empty PostgreSQL database"
        );
    }
    let clock = Instant::now();
    let report = sqlite_project
        .open_store()?
        .copy_into(&mut target, &mut |_| {})?;
    say!(
        "on PostgreSQL ({location}): copied {} rows with store copy in {:.1}s",
        report.rows,
        clock.elapsed().as_secs_f64()
    );
    drop(target);
    let project = Project::new(&sqlite_project.root).with_store(url);
    let pg = time_store(&project, runs, faces)?;
    let beside = |what: &str, pg: Duration, sqlite: Duration| {
        say!(
            "on PostgreSQL, {what}: {} (SQLite {}, {:.1}x)",
            ms(pg),
            ms(sqlite),
            pg.as_secs_f64() / sqlite.as_secs_f64().max(1e-9)
        );
    };
    beside(
        &format!("first frame of the Runs tab ({runs} runs)"),
        pg.first_frame,
        sqlite.first_frame,
    );
    beside(
        &format!("filter over all runs ({} match)", pg.matched),
        pg.filter,
        sqlite.filter,
    );
    beside(
        &format!("{LONG_CURVES} long curves to {} points", pg.drawn),
        pg.curves,
        sqlite.curves,
    );
    anyhow::ensure!(
        pg.matched == sqlite.matched,
        "the filter matched {} runs on PostgreSQL and {} on SQLite",
        pg.matched,
        sqlite.matched
    );
    match crate::store::database_beside(url, "mlflow") {
        Ok(mlflow_url) => {
            // SQLAlchemy names the scheme postgresql.
            let uri = mlflow_url.replacen("postgres://", "postgresql://", 1);
            mlflow_search("PostgreSQL", &["--backend-uri", &uri], mlflow_runs);
        }
        Err(why) => say!("SKIP MLflow on PostgreSQL: no database beside the store: {why}"),
    }
    Ok(())
}

fn time_store(project: &Project, runs: usize, faces: &super::Faces) -> anyhow::Result<StoreTimes> {
    // The Runs tab's first frame: open the store (with its dead-run check), query every run
    // with its headline metrics, draw the table — the TUI's own code.
    let mut first_frames = Vec::new();
    for _ in 0..5 {
        let clock = Instant::now();
        let listed = (faces.runs_first_frame)(project)?;
        first_frames.push(clock.elapsed());
        if listed != runs {
            anyhow::bail!("the Runs tab listed {listed} runs of {runs}");
        }
    }
    let store = project.open_store()?;
    let filter = parse_filter(BENCH_FILTER)?;
    let mut filters = Vec::new();
    let mut matched = 0;
    for _ in 0..5 {
        let clock = Instant::now();
        let rows = store.query_runs(&RunQuery {
            filter: filter.clone(),
            sort: RunSort {
                key: SortKey::Metric("rmse".into()),
                descending: false,
            },
            metrics: vec!["rmse".into(), "r2".into()],
            ..Default::default()
        })?;
        filters.push(clock.elapsed());
        matched = rows.len();
    }
    let mut curves = Vec::new();
    let mut drawn = 0;
    for _ in 0..5 {
        let clock = Instant::now();
        drawn = 0;
        for run in 1..=LONG_CURVES as i64 {
            let curve = store.curve(run, "valid_loss", None, None, DISPLAY_POINTS)?;
            if curve.total_points != LONG_STEPS {
                anyhow::bail!("run {run} has {} points", curve.total_points);
            }
            drawn += curve.steps.len();
        }
        curves.push(clock.elapsed());
    }
    Ok(StoreTimes {
        first_frame: super::median(&mut first_frames),
        filter: super::median(&mut filters),
        matched,
        curves: super::median(&mut curves),
        drawn,
    })
}

/// MLflow's `search_runs` on its store `where` (`--db FILE` or `--backend-uri URI`).
fn mlflow_search(backend: &str, place: &[&str], mlflow_runs: usize) {
    let runs = mlflow_runs.to_string();
    let mut args = place.to_vec();
    args.extend(["--runs", &runs]);
    match run_python(&benches_dir().join("mlflow_search_runs.py"), &args) {
        Ok(figures) => {
            let get = |k: &str| figures.get(k).map_or("?", String::as_str);
            say!(
                "MLflow {} search_runs on {} ({} runs; filter + order by rmse, first page of \
                 {}): {} ms; {} ms for every match ({} runs)",
                get("mlflow_version"),
                backend,
                get("runs"),
                get("page"),
                get("page_ms"),
                get("all_ms"),
                get("matched")
            );
        }
        Err(why) => say!("SKIP MLflow search_runs on {backend}: {why}"),
    }
}

/// Runs like a team's: five experiments, a dozen params, two tags, final metrics, and train /
/// validation curves; the first `LONG_CURVES` runs have `LONG_STEPS` steps, the rest share the
/// remaining points.
fn build_store(db: &Path, runs: usize, points: usize) -> anyhow::Result<()> {
    let mut store = RunStore::open(db)?;
    let long_points = LONG_CURVES * LONG_STEPS * 2;
    let short_runs = runs.saturating_sub(LONG_CURVES).max(1);
    let short_steps = (points.saturating_sub(long_points) / short_runs / 2).max(1);
    let models = ["gbdt", "ridge", "random_forest", "lasso"];
    let teams = ["fresh", "ambient", "frozen"];
    for i in 0..runs {
        let model = models[i % models.len()];
        let params: Vec<(String, String)> = [
            ("model", model.to_string()),
            ("target", "units_sold".to_string()),
            ("split", "time:week_start:26".to_string()),
            ("seed", (i % 7).to_string()),
            ("model.rounds", (100 + (i % 10) * 50).to_string()),
            (
                "model.learning_rate",
                format!("{:.3}", 0.02 + (i % 9) as f64 * 0.01),
            ),
            ("model.max_depth", (3 + i % 6).to_string()),
            ("model.subsample", "0.8".to_string()),
            ("model.lambda", "1".to_string()),
            ("model.objective", "poisson".to_string()),
            (
                "features",
                "week_start,store_id,item_id,price,promo".to_string(),
            ),
            ("train_rows", "130000".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let tags = vec![
            ("team".to_string(), teams[i % teams.len()].to_string()),
            ("launched_from".to_string(), "bench".to_string()),
        ];
        let id = store.create_queued_run(&QueuedRun {
            run: &NewRun {
                experiment: format!("experiment-{}", i % 5),
                name: format!("run-{i:05}"),
                model_kind: model.to_string(),
                task: "regression".to_string(),
                dataset_id: None,
                parent_run_id: None,
            },
            params: &params,
            tags: &tags,
            spec_json: None,
        })?;
        let steps = if i < LONG_CURVES {
            LONG_STEPS
        } else {
            short_steps
        };
        let quality = 500.0 + ((i * 7919) % 1000) as f64;
        let mut batch = Vec::with_capacity(steps * 2 + 6);
        for step in 0..steps {
            let t = 1_700_000_000_000 + (i * 100_000 + step) as i64;
            let decay = quality * (1.0 + 5.0 / (1.0 + step as f64 * 0.01));
            batch.push(MetricPoint {
                key: "train_loss".into(),
                step: step as i64,
                value: decay * 0.9,
                timestamp_ms: t,
            });
            batch.push(MetricPoint {
                key: "valid_loss".into(),
                step: step as i64,
                value: decay,
                timestamp_ms: t,
            });
        }
        let last = steps as i64 - 1;
        for (key, value) in [
            ("rmse", quality),
            ("mae", quality * 0.8),
            ("r2", 1.0 - quality / 2000.0),
            ("wape", quality / 20.0),
        ] {
            batch.push(MetricPoint {
                key: key.into(),
                step: last,
                value,
                timestamp_ms: 1_700_000_000_000,
            });
        }
        for chunk in batch.chunks(10_000) {
            store.log_metrics(id, chunk)?;
        }
        let status = match i % 20 {
            0 => RunStatus::Failed,
            1 => RunStatus::Killed,
            _ => RunStatus::Finished,
        };
        store.set_status(id, status, None)?;
    }
    Ok(())
}
