//! The model registry: registering runs as versions (files copied and checksummed, lineage
//! kept), champion / challenger moves with their history, rollback, archive, refusals, and a
//! tampered file refused by name.

use shelfcast::project::Project;
use shelfcast::registry::{ModelRef, archive, load_version, register_run, resolve, set_alias};
use shelfcast::store::{RunStatus, RunStore};

use crate::common::{describe, sales_project, shelfcast, train_sales};

fn trained_project(runs: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, root) = sales_project(2, 2, 30);
    for rounds in runs {
        train_sales(&root, 5, &["--param", &format!("rounds={rounds}")]);
    }
    (tmp, root)
}

#[test]
fn register_promote_roll_back_and_archive_with_history() {
    let (_tmp, root) = trained_project(&["10", "30"]);
    let project = Project::new(&root);
    let mut store = RunStore::open(&project.store_path()).expect("store");

    let v1 = register_run(&project, &mut store, 1, "promo", Some("champion"), None).expect("v1");
    assert_eq!(
        (v1.version, v1.aliases.clone()),
        (1, vec!["champion".to_string()])
    );
    let v2 = register_run(
        &project,
        &mut store,
        2,
        "promo",
        Some("challenger"),
        Some("more rounds"),
    )
    .expect("v2");
    assert_eq!(v2.version, 2);
    assert_eq!(v2.artifact_path, "models/promo/2");
    for file in [
        "manifest.json",
        "model.gbdt",
        "pipeline.json",
        "signature.json",
        "metrics.json",
        "lineage.json",
    ] {
        assert!(root.join("models/promo/2").join(file).exists(), "{file}");
    }
    let lineage: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("models/promo/2/lineage.json")).expect("lineage"),
    )
    .expect("json");
    assert_eq!(lineage["run_id"], 2);
    assert_eq!(lineage["dataset_sha256"].as_str().map(str::len), Some(64));

    // Promote the challenger, then roll back: each move is kept with its reason.
    assert_eq!(
        set_alias(&mut store, "promo", "champion", 2, "lower rmse").expect("promote"),
        Some(1)
    );
    assert_eq!(
        resolve(&store, &ModelRef::parse("promo@champion").expect("ref"))
            .expect("champion")
            .version,
        2
    );
    assert!(
        resolve(&store, &ModelRef::parse("promo@challenger").expect("ref")).is_err(),
        "a version holds one alias: the challenger alias left version 2"
    );
    set_alias(&mut store, "promo", "champion", 1, "rollback: bias").expect("rollback");
    set_alias(&mut store, "promo", "challenger", 2, "keep watching").expect("challenger");
    let history = store.alias_history("promo").expect("history");
    let reasons: Vec<&str> = history.iter().map(|m| m.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "registered from run 1",
            "registered from run 2",
            "the version became champion",
            "lower rmse",
            "rollback: bias",
            "keep watching"
        ]
    );
    assert_eq!(
        (history[4].previous_version, history[4].version),
        (Some(2), Some(1))
    );

    // Archive: refused while the version holds an alias, done once it does not.
    let refused = archive(&mut store, "promo", 2)
        .expect_err("aliased")
        .to_string();
    assert!(refused.contains("version 2 is challenger"), "{refused}");
    store
        .move_alias("promo", "challenger", None, "stop watching")
        .expect("remove");
    archive(&mut store, "promo", 2).expect("archive");
    let archived = set_alias(&mut store, "promo", "champion", 2, "x").expect_err("archived");
    assert!(archived.to_string().contains("archived"), "{archived}");
    assert_eq!(
        resolve(&store, &ModelRef::parse("promo").expect("ref"))
            .expect("latest")
            .version,
        1,
        "the newest active version"
    );

    // Loading checks every file; a changed byte is refused, naming the file.
    let (version, loaded) =
        load_version(&project, &store, &ModelRef::parse("promo:1").expect("ref")).expect("load");
    assert_eq!(version.version, 1);
    assert_eq!(loaded.signature.target, "units");
    let model_file = root.join("models/promo/1/pipeline.json");
    let mut bytes = std::fs::read(&model_file).expect("read");
    bytes[10] ^= 0x20;
    std::fs::write(&model_file, bytes).expect("tamper");
    let error = load_version(
        &project,
        &store,
        &ModelRef::parse("promo@champion").expect("ref"),
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(
        error.contains("models/promo/1/pipeline.json") && error.contains("checksum does not match"),
        "{error}"
    );
}

#[test]
fn bad_names_references_and_runs_without_a_model_are_refused() {
    let (_tmp, root) = trained_project(&["5"]);
    let project = Project::new(&root);
    let mut store = RunStore::open(&project.store_path()).expect("store");
    for bad in ["", "runs", "../x", "a b", "-x", "naïve"] {
        let error = register_run(&project, &mut store, 1, bad, None, None).expect_err(bad);
        assert!(
            error.to_string().contains("is not allowed"),
            "{bad}: {error}"
        );
    }
    assert!(
        register_run(&project, &mut store, 1, "promo", Some("best"), None)
            .expect_err("alias")
            .to_string()
            .contains("expected champion or challenger")
    );
    for bad in ["promo@best", "promo:0", "promo:x", "pro mo"] {
        assert!(ModelRef::parse(bad).is_err(), "{bad}");
    }
    let failed = store
        .create_run(&shelfcast::store::NewRun {
            experiment: "e".into(),
            name: "broken".into(),
            model_kind: "gbdt".into(),
            task: "regression".into(),
            dataset_id: None,
            parent_run_id: None,
        })
        .expect("run");
    store
        .set_status(failed, RunStatus::Failed, Some("crashed"))
        .expect("fail");
    let error =
        register_run(&project, &mut store, failed, "promo", None, None).expect_err("failed");
    assert!(error.to_string().contains("it is failed"), "{error}");
    assert!(
        store.model_versions(None).expect("versions").is_empty(),
        "nothing half-registered"
    );
    assert!(!root.join("models/promo").exists());

    // The CLI says the same.
    let output = shelfcast(&root, &["register", "1", "--model", "runs"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not allowed"));
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "promo", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let listed = shelfcast(&root, &["models", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    assert_eq!(json[0]["versions"][0]["aliases"][0], "champion");
    assert_eq!(
        json[0]["alias_history"][0]["reason"],
        "registered from run 1"
    );
}
