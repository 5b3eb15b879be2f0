//! `shelfcast import mlflow` against stores written by MLflow's own client
//! (`benches/mlflow_log_runs.py`, also the anchor of `bench mlflow`): 200 runs over two experiments, three with a
//! 25,000-step metric, failed, killed and still-running ones, a registered model with champion,
//! challenger and another alias. What MLflow's client reads back is what runs.db holds; a second
//! import changes nothing. Skips, saying why, when mlflow is not installed.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::common::{describe, project, shelfcast};
use shelfcast::store::RunStore;

/// The interpreter with mlflow: SHELFCAST_MLFLOW_PYTHON (`.ci/run` sets it), else python3.
fn python() -> String {
    std::env::var("SHELFCAST_MLFLOW_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Writes a store at `uri` with MLflow's client; its figures, or `None` after saying why not.
fn make_store(
    uri: &str,
    runs: usize,
    long: usize,
    expected: &Path,
) -> Option<HashMap<String, String>> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/mlflow_log_runs.py");
    let output = Command::new(python())
        .arg(&script)
        .args([
            uri,
            &runs.to_string(),
            &long.to_string(),
            &expected.display().to_string(),
        ])
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            println!(
                "SKIP the MLflow import test: {} could not run: {e}",
                python()
            );
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(line) = stdout.lines().find(|l| l.starts_with("SKIP")) {
        println!("SKIP the MLflow import test: {line}");
        return None;
    }
    assert!(
        output.status.success(),
        "mlflow_log_runs.py: {}",
        describe(&output)
    );
    Some(
        stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn import_json(root: &Path, source: &str) -> serde_json::Value {
    let output = shelfcast(root, &["import", "mlflow", source, "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    serde_json::from_slice(&output.stdout).expect("import --json")
}

/// Every run MLflow's client read back is in runs.db with the same name, status, times, params,
/// tags and metric points.
fn check_equal(root: &Path, expected: &serde_json::Value) {
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let imported = store.runs_by_tag("mlflow.run_id").expect("tags");
    let runs = expected["runs"].as_object().expect("runs");
    assert_eq!(imported.len(), runs.len(), "every run imported once");
    let mut with_user = 0;
    for (uuid, want) in runs {
        let id = imported[uuid];
        let run = store.get_run(id).expect("run");
        // Who logged it, as MLflow recorded it (its run's user_id): `user = ...` finds it.
        let tags: HashMap<String, String> = store.tags(id).expect("tags").into_iter().collect();
        let user = tags.get("mlflow.user_id").map(String::as_str);
        assert_eq!(run.launched_by.as_deref(), user, "{uuid} user");
        with_user += usize::from(user.is_some());
        assert_eq!(run.name, want["name"].as_str().expect("name"), "{uuid}");
        let status = match want["status"].as_str().expect("status") {
            "FINISHED" => "finished",
            "FAILED" => "failed",
            _ => "killed",
        };
        assert_eq!(run.status.as_str(), status, "{uuid}");
        let start = want["start_time"].as_i64().expect("start");
        let created = chrono::DateTime::parse_from_rfc3339(&run.created_at).expect("created");
        assert_eq!(created.timestamp_millis(), start, "{uuid} start time");
        if let Some(end) = want["end_time"].as_i64() {
            let ended = chrono::DateTime::parse_from_rfc3339(run.ended_at.as_deref().expect("end"))
                .expect("ended");
            assert_eq!(ended.timestamp_millis(), end, "{uuid} end time");
        }
        let params: HashMap<String, String> =
            store.params(id).expect("params").into_iter().collect();
        for (k, v) in want["params"].as_object().expect("params") {
            assert_eq!(
                params.get(k).map(String::as_str),
                v.as_str(),
                "{uuid} param {k}"
            );
        }
        assert_eq!(
            params.len(),
            want["params"].as_object().map_or(0, |p| p.len())
        );
        let tags: HashMap<String, String> = store.tags(id).expect("tags").into_iter().collect();
        for (k, v) in want["tags"].as_object().expect("tags") {
            assert_eq!(
                tags.get(k).map(String::as_str),
                v.as_str(),
                "{uuid} tag {k}"
            );
        }
        assert_eq!(tags.get("source").map(String::as_str), Some("mlflow"));
        for (key, summary) in want["metrics"].as_object().expect("metrics") {
            let points = store.metric_history(id, key).expect("history");
            assert_eq!(
                points.len() as u64,
                summary["count"].as_u64().expect("count"),
                "{uuid} {key}"
            );
            let sum: f64 = points.iter().map(|p| p.value).sum();
            let want_sum = summary["value_sum"].as_f64().expect("sum");
            assert!(
                (sum - want_sum).abs() <= 1e-9 * want_sum.abs().max(1.0),
                "{uuid} {key}: {sum} vs {want_sum}"
            );
            let steps: i64 = points.iter().map(|p| p.step).sum();
            assert_eq!(
                steps,
                summary["step_sum"].as_i64().expect("steps"),
                "{uuid} {key}"
            );
            let first = &summary["first"];
            assert_eq!(points[0].step, first[0].as_i64().expect("step"));
            assert_eq!(points[0].timestamp_ms, first[1].as_i64().expect("ts"));
            assert_eq!(points[0].value, first[2].as_f64().expect("value"));
            let last = &summary["last"];
            let l = points.last().expect("points");
            assert_eq!(
                (l.step, l.timestamp_ms, l.value),
                (
                    last[0].as_i64().expect("step"),
                    last[1].as_i64().expect("ts"),
                    last[2].as_f64().expect("value"),
                )
            );
        }
    }
    // The registry: versions with their runs, champion and challenger as aliases, prod a tag.
    let versions = store.model_versions(Some("sales")).expect("versions");
    assert_eq!(
        versions.len(),
        expected["versions"].as_array().map_or(0, |v| v.len())
    );
    for want in expected["versions"].as_array().expect("versions") {
        let number = want["version"].as_i64().expect("version");
        let version = versions
            .iter()
            .find(|v| v.version == number)
            .expect("the version");
        assert_eq!(
            version.run_id,
            imported[want["run_id"].as_str().expect("run")]
        );
        assert_eq!(
            version.artifact_path,
            want["source"].as_str().expect("source")
        );
    }
    for (alias, number) in expected["aliases"].as_object().expect("aliases") {
        let number = number.as_i64().expect("n");
        if alias == "champion" || alias == "challenger" {
            let v = store
                .model_version_by_alias("sales", alias)
                .expect("alias")
                .expect("set");
            assert_eq!(v.version, number, "{alias}");
        } else {
            let run = versions
                .iter()
                .find(|v| v.version == number)
                .expect("v")
                .run_id;
            let tags: HashMap<String, String> =
                store.tags(run).expect("tags").into_iter().collect();
            assert_eq!(
                tags.get(&format!("mlflow.alias.{alias}")),
                Some(&format!("sales v{number}"))
            );
        }
    }
    assert!(
        with_user > 0,
        "MLflow's client records the user of its runs"
    );
}

#[test]
fn an_mlflow_sqlite_store_imports_whole_and_a_second_import_changes_nothing() {
    let (tmp, root) = project();
    let db = tmp.path().join("mlflow.db");
    let expected_path = tmp.path().join("expected.json");
    let Some(figures) = make_store(
        &format!("sqlite:///{}", db.display()),
        200,
        3,
        &expected_path,
    ) else {
        return;
    };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&expected_path).expect("expected")).expect("json");
    let first = import_json(&root, &db.display().to_string());
    assert_eq!(first["runs_created"], 200, "{first}");
    assert_eq!(
        first["points"],
        figures["points"].parse::<u64>().expect("points"),
        "{first}"
    );
    assert_eq!(first["versions_added"], 3, "{first}");
    assert_eq!(first["aliases_moved"], 2, "{first}");
    check_equal(&root, &expected);
    let seconds = first["seconds"].as_f64().expect("seconds");
    println!(
        "imported 200 runs and {} points in {seconds:.3} s ({:.0} runs/s, {:.0} points/s); MLflow {}'s \
         client logged them in {} s",
        first["points"],
        200.0 / seconds,
        first["points"].as_f64().unwrap_or(0.0) / seconds,
        figures["mlflow_version"],
        figures["log_seconds"]
    );
    // The filter language reaches imported runs like any other.
    let output = shelfcast(
        &root,
        &[
            "runs",
            "--filter",
            "tags.source = \"mlflow\" and params.model = \"gbdt\"",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("runs --json");
    assert_eq!(listed.as_array().map(Vec::len), Some(200), "{listed}");
    let second = import_json(&root, &db.display().to_string());
    assert_eq!(second["runs_created"], 0, "{second}");
    assert_eq!(second["runs_updated"], 0, "{second}");
    assert_eq!(second["runs_unchanged"], 200, "{second}");
    assert_eq!(second["versions_added"], 0, "{second}");
    assert_eq!(second["aliases_moved"], 0, "{second}");
    check_equal(&root, &expected);
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    assert_eq!(
        store.alias_history("sales").expect("moves").len(),
        2,
        "no alias moved twice"
    );
}

#[test]
fn a_legacy_mlruns_folder_imports_the_same_way() {
    let (tmp, root) = project();
    let folder = tmp.path().join("mlruns");
    let expected_path = tmp.path().join("expected.json");
    let Some(_) = make_store(
        &format!("file://{}", folder.display()),
        12,
        1,
        &expected_path,
    ) else {
        return;
    };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&expected_path).expect("expected")).expect("json");
    let first = import_json(&root, &folder.display().to_string());
    assert_eq!(first["runs_created"], 12, "{first}");
    check_equal(&root, &expected);
    let second = import_json(&root, &folder.display().to_string());
    assert_eq!(second["runs_unchanged"], 12, "{second}");
    // An imported run opens in the Runs tab with its own curves and last values.
    let mut app = crate::tui::app_for(&root);
    crate::tui::settle(&mut app);
    app.switch_to(shelfcast::tui::panes::Tab::Runs);
    crate::tui::settle(&mut app);
    use crate::tui::Panes;
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let long_run = store
        .runs_by_tag("mlflow.run_id")
        .expect("tags")
        .into_values()
        .find(|id| store.get_run(*id).is_ok_and(|r| r.name == "run-000"))
        .expect("run-000");
    app.runs().open_run(&store, long_run);
    let screen = crate::tui::screen_text(&crate::tui::draw(&mut app, 140, 36));
    for said in [
        "mlflow · imported",
        "┌ loss ",
        "┌ val_loss ",
        "step 25000 of 25000",
        "imported: each metric's last value",
        "val_loss",
    ] {
        assert!(screen.contains(said), "{said}: {screen}");
    }
    drop(store);
    // --copy-artifacts brings a run's local artifacts into its run folder, once the run changed
    // or is new: a fresh project.
    let (_tmp2, copy_root) = project();
    let output = shelfcast(
        &copy_root,
        &[
            "import",
            "mlflow",
            &folder.display().to_string(),
            "--copy-artifacts",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let copied: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(copied["artifacts_copied"], 1, "{copied}");
    let store = RunStore::open(&copy_root.join("runs.db")).expect("store");
    let first_run = store
        .runs_by_tag("mlflow.run_id")
        .expect("tags")
        .into_values()
        .find(|id| store.get_run(*id).is_ok_and(|r| r.name == "run-000"))
        .expect("run-000");
    let text = std::fs::read_to_string(
        copy_root.join(format!("models/runs/{first_run}/mlflow/notes/readme.txt")),
    )
    .expect("the copied artifact");
    assert_eq!(text, "weekly sales notes");
}

#[test]
fn a_store_that_is_not_mlflow_is_refused_naming_what_is_missing() {
    let (tmp, root) = project();
    let db = tmp.path().join("other.db");
    let conn = rusqlite::Connection::open(&db).expect("db");
    conn.execute_batch("CREATE TABLE alembic_version (version_num TEXT); INSERT INTO alembic_version VALUES ('abc123'); CREATE TABLE experiments (experiment_id INTEGER, name TEXT);")
        .expect("schema");
    drop(conn);
    let output = shelfcast(&root, &["import", "mlflow", &db.display().to_string()]);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("table 'experiments' has no column 'artifact_location'")
            && err.contains("abc123"),
        "{err}"
    );
    let output = shelfcast(&root, &["import", "mlflow", "/nonexistent/mlflow.db"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such file"));
}
