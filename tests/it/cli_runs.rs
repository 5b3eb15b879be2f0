//! `shelfcast runs`, `run show`, `tag`, `rename`, `note`, `delete`, `restore` through the real
//! binary on a store seeded as workers leave it.

use shelfcast::store::{MetricPoint, NewRun, RunStatus, RunStore};

use crate::common::{describe, project, shelfcast, stdout_of};

fn seeded_project() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, root) = project();
    let mut store = RunStore::open(&root.join("runs.db")).expect("store");
    for (i, (model, rmse)) in [("gbdt", 4.5), ("ridge", 6.25), ("gbdt", 3.75)]
        .iter()
        .enumerate()
    {
        let id = store
            .create_run(&NewRun {
                experiment: "promo".into(),
                name: format!("run, \"{i}\""),
                model_kind: model.to_string(),
                task: "regression".into(),
                dataset_id: None,
                parent_run_id: None,
            })
            .expect("run");
        store.log_params(id, &[("model", model)]).expect("params");
        store
            .log_metrics(
                id,
                &[MetricPoint {
                    key: "rmse".into(),
                    step: 9,
                    value: *rmse,
                    timestamp_ms: 1,
                }],
            )
            .expect("metric");
        store
            .set_status(id, RunStatus::Finished, None)
            .expect("finish");
    }
    (tmp, root)
}

#[test]
fn runs_filter_sort_and_print_as_table_json_and_csv() {
    let (_tmp, root) = seeded_project();
    let table = stdout_of(&root, &["runs", "--sort", "metrics.rmse"]);
    let order: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(order, ["3", "1", "2"], "{table}");
    let json: serde_json::Value = serde_json::from_str(&stdout_of(
        &root,
        &[
            "runs",
            "--filter",
            "params.model = 'gbdt' and metrics.rmse < 4",
            "--json",
        ],
    ))
    .expect("json");
    let rows = json.as_array().expect("array");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], 3);
    assert_eq!(rows[0]["metrics"]["rmse"], 3.75);
    let csv = stdout_of(
        &root,
        &["runs", "--csv", "--params", "model", "--sort", "id asc"],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("id,experiment,name,status,model,created"),
        "{csv}"
    );
    assert!(lines[0].ends_with("metrics.rmse,params.model"), "{csv}");
    assert!(
        lines[1].starts_with("1,promo,\"run, \"\"0\"\"\",finished,gbdt,"),
        "{csv}"
    );

    let bad = shelfcast(&root, &["runs", "--filter", "metrics.rmse < 4 or"]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("column 20: expected a field"), "{stderr}");
    assert!(
        stderr.contains("                   ^"),
        "a caret under the mistake: {stderr}"
    );
}

#[test]
fn a_filter_on_a_key_no_run_has_warns_and_suggests_the_nearest() {
    let (_tmp, root) = seeded_project();
    let output = shelfcast(&root, &["runs", "--filter", "params.modl = 'gbdt'"]);
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: no run has params.modl; did you mean params.model?"),
        "{stderr}"
    );
    let output = shelfcast(&root, &["runs", "--filter", "metrics.zzz > 1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: no run has metrics.zzz\n"),
        "{stderr}"
    );
    let output = shelfcast(&root, &["runs", "--filter", "params.model = 'gbdt'"]);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("warning"));
}

#[test]
fn tag_rename_note_delete_restore_and_purge() {
    let (_tmp, root) = seeded_project();
    stdout_of(&root, &["tag", "2", "team=fresh", "owner=ana"]);
    stdout_of(&root, &["rename", "2", "ridge baseline"]);
    stdout_of(&root, &["note", "2", "alpha too high?"]);
    let shown: serde_json::Value =
        serde_json::from_str(&stdout_of(&root, &["run", "show", "2", "--json"])).expect("json");
    assert_eq!(shown["run"]["name"], "ridge baseline");
    assert_eq!(shown["run"]["note"], "alpha too high?");
    assert_eq!(shown["tags"]["team"], "fresh");
    assert_eq!(shown["metrics"][0]["key"], "rmse");
    assert_eq!(shown["metrics"][0]["last_value"], 6.25);

    // Without a terminal and without --yes, nothing is deleted.
    let refused = shelfcast(&root, &["delete", "2"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --yes"));
    stdout_of(&root, &["delete", "2", "--yes"]);
    let listed = stdout_of(&root, &["runs", "--json"]);
    assert!(!listed.contains("ridge baseline"));
    assert!(stdout_of(&root, &["runs", "--deleted"]).contains("(deleted)"));
    stdout_of(&root, &["restore", "2"]);
    assert!(stdout_of(&root, &["runs", "--json"]).contains("ridge baseline"));
    stdout_of(&root, &["delete", "2", "--yes", "--purge"]);
    let gone = shelfcast(&root, &["run", "show", "2"]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no run with id 2"));
}

#[test]
fn keys_lists_every_action_and_refuses_a_bad_keys_file_naming_its_line() {
    let (_tmp, root) = crate::common::project();
    let output = crate::common::shelfcast(&root, &["keys", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        crate::common::describe(&output)
    );
    let keys: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(keys["runs"]["filter"]["keys"][0], "/");
    assert_eq!(
        keys["global"]["quit"]["keys"],
        serde_json::json!(["q", "ctrl-c"])
    );
    assert!(keys["input"]["delete_word"]["desc"].is_string());
    let file = root.join("keys.toml");
    std::fs::write(&file, "[runs]\nsort = \"s\"\nfliter = \"f\"\n").expect("write");
    let output = std::process::Command::new(crate::common::bin())
        .args(["--root"])
        .arg(&root)
        .arg("keys")
        .env("SHELFCAST_KEYS", &file)
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("keys.toml: line 3: [runs] has no action 'fliter'; did you mean filter?"),
        "{stderr}"
    );
}
