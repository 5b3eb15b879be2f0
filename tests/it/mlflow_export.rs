//! `shelfcast export mlflow` against a real MLflow tracking server on loopback (`mlflow server`
//! with an SQLite backend and served artifacts): the sample's runs and registry go over MLflow's
//! REST API and MLflow's own Python client reads them back — every param, every metric point
//! with its step and time, every tag, the versions with their files, the aliases. Exporting
//! again changes nothing. Skips, saying why, when mlflow is not installed.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::{describe, project, shelfcast};
use shelfcast::bench::mlflow_server::MlflowServer;
use shelfcast::store::RunStore;

fn python() -> String {
    shelfcast::bench::mlflow_server::python()
}

/// The admin password of the authenticating server (MLflow wants 12 characters or more).
const ADMIN_PASSWORD: &str = "shelfcast-admin-1";

fn start_server(dir: &Path) -> Option<MlflowServer> {
    start_server_with(dir, false, None)
}

/// A real server (with `auth`, its basic-auth app; with `tls`, https); `None` after saying why
/// when mlflow (or its auth extra) is not installed.
fn start_server_with(dir: &Path, auth: bool, tls: Option<(&Path, &Path)>) -> Option<MlflowServer> {
    if let Some(why) = shelfcast::bench::mlflow_server::missing(auth) {
        println!("SKIP the MLflow export test: {why}");
        return None;
    }
    Some(MlflowServer::start(dir, auth.then_some(ADMIN_PASSWORD), tls).expect("mlflow server"))
}

fn read_back(uri: &str, out: &Path) -> serde_json::Value {
    let script = crate::common::fixtures().join("mlflow/read_back.py");
    let output = Command::new(python())
        .arg(&script)
        .args([uri, &out.display().to_string()])
        .output()
        .expect("read_back.py");
    assert!(
        output.status.success(),
        "read_back.py: {}",
        describe(&output)
    );
    serde_json::from_slice(&std::fs::read(out).expect("read back")).expect("json")
}

fn export(root: &Path, uri: &str) -> serde_json::Value {
    let output = shelfcast(
        root,
        &[
            "export",
            "mlflow",
            "--tracking-uri",
            uri,
            "--models",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    serde_json::from_slice(&output.stdout).expect("export --json")
}

#[test]
fn runs_and_the_registry_reach_a_real_mlflow_server_and_read_back_equal() {
    let (tmp, root) = project();
    let Some(server) = start_server(tmp.path()) else {
        return;
    };
    std::fs::write(
        root.join("data/walks.csv"),
        crate::forecast::random_walks(3, 40),
    )
    .expect("data");
    for rounds in ["rounds=20", "rounds=30"] {
        let output = shelfcast(
            &root,
            &[
                "train",
                "--data",
                "data/walks.csv",
                "--target",
                "units",
                "--features",
                "store",
                "--param",
                rounds,
                "--wait",
            ],
        );
        assert!(output.status.success(), "{}", describe(&output));
    }
    for args in [
        &["register", "1", "--model", "walks"][..],
        &["register", "2", "--model", "walks"],
        &["alias", "walks", "champion", "2"],
        &["alias", "walks", "challenger", "1"],
    ] {
        let output = shelfcast(&root, args);
        assert!(output.status.success(), "{}", describe(&output));
    }
    let first = export(&root, &server.uri);
    assert_eq!(first["runs_created"], 2, "{first}");
    assert_eq!(first["versions_created"], 2, "{first}");
    assert_eq!(first["aliases_set"], 2, "{first}");
    let seen = read_back(&server.uri, &tmp.path().join("first.json"));

    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let runs = seen["runs"].as_object().expect("runs");
    assert_eq!(runs.len(), 2);
    let mut mlflow_run_of: HashMap<i64, String> = HashMap::new();
    for (mlflow_id, run) in runs {
        let id: i64 = run["tags"]["shelfcast.run_id"]
            .as_str()
            .expect("tag")
            .parse()
            .expect("id");
        mlflow_run_of.insert(id, mlflow_id.clone());
        let ours = store.get_run(id).expect("run");
        assert_eq!(run["name"], ours.name.as_str());
        assert_eq!(run["status"], "FINISHED");
        for (k, v) in store.params(id).expect("params") {
            assert_eq!(run["params"][&k].as_str(), Some(v.as_str()), "param {k}");
        }
        assert_eq!(
            run["params"].as_object().map(|p| p.len()),
            Some(store.params(id).expect("p").len())
        );
        for (k, v) in store.tags(id).expect("tags") {
            if !k.starts_with("mlflow.") {
                assert_eq!(run["tags"][&k].as_str(), Some(v.as_str()), "tag {k}");
            }
        }
        for key in store.metric_keys(id).expect("keys") {
            let mut ours: Vec<(i64, i64, f64)> = store
                .metric_history(id, &key)
                .expect("history")
                .into_iter()
                .map(|p| (p.step, p.timestamp_ms, p.value))
                .collect();
            ours.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
            let theirs: Vec<(i64, i64, f64)> = run["metrics"][&key]
                .as_array()
                .unwrap_or_else(|| panic!("metric {key} in MLflow"))
                .iter()
                .map(|p| {
                    (
                        p[0].as_i64().expect("step"),
                        p[1].as_i64().expect("ts"),
                        p[2].as_f64().expect("v"),
                    )
                })
                .collect();
            assert_eq!(ours, theirs, "every point of {key}");
        }
    }
    let model = &seen["models"]["walks"];
    let versions = model["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    for v in versions {
        let ours: i64 = v["tags"]["shelfcast.version"]
            .as_str()
            .expect("tag")
            .parse()
            .expect("n");
        let version = store
            .model_version("walks", ours)
            .expect("v")
            .expect("present");
        assert_eq!(
            v["run_id"].as_str(),
            mlflow_run_of.get(&version.run_id).map(String::as_str)
        );
        assert!(
            v["files"]
                .as_array()
                .expect("files")
                .iter()
                .any(|f| f == "model/manifest.json"),
            "the bundle's files are the run's model/ artifacts: {v}"
        );
    }
    let version_of = |ours: i64| {
        versions
            .iter()
            .find(|v| v["tags"]["shelfcast.version"] == ours.to_string().as_str())
            .and_then(|v| v["version"].as_i64())
    };
    assert_eq!(model["aliases"]["champion"].as_i64(), version_of(2));
    assert_eq!(model["aliases"]["challenger"].as_i64(), version_of(1));

    // Exporting again changes nothing.
    let second = export(&root, &server.uri);
    assert_eq!(second["runs_created"], 0, "{second}");
    assert_eq!(second["runs_updated"], 0, "{second}");
    assert_eq!(second["runs_unchanged"], 2, "{second}");
    assert_eq!(second["versions_created"], 0, "{second}");
    assert_eq!(second["aliases_set"], 0, "{second}");
    let again = read_back(&server.uri, &tmp.path().join("second.json"));
    assert_eq!(seen, again, "the server holds exactly what it held");

    // --filter keeps the runs it names, --experiment puts them in another experiment.
    let output = shelfcast(
        &root,
        &[
            "export",
            "mlflow",
            "--tracking-uri",
            &server.uri,
            "--experiment",
            "team-review",
            "--filter",
            "params.model.rounds = 20",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let filtered: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(filtered["runs_created"], 1, "{filtered}");
    let after = read_back(&server.uri, &tmp.path().join("third.json"));
    let in_review: Vec<&serde_json::Value> = after["runs"]
        .as_object()
        .expect("runs")
        .values()
        .filter(|r| r["experiment"] == "team-review")
        .collect();
    assert_eq!(in_review.len(), 1, "{after}");
    assert_eq!(in_review[0]["params"]["model.rounds"], "20");
    let output = shelfcast(
        &root,
        &[
            "export",
            "mlflow",
            "--tracking-uri",
            &server.uri,
            "--filter",
            "params.model.rounds >",
        ],
    );
    assert!(!output.status.success(), "a bad filter is refused");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--filter"),
        "{}",
        describe(&output)
    );
}

/// Credentials as MLflow's client reads them (MLFLOW_TRACKING_USERNAME / PASSWORD) get through
/// an authenticating server (MLflow's basic-auth app); a wrong password is refused naming the
/// call.
#[test]
fn credentials_from_the_environment_reach_an_authenticating_server() {
    let (tmp, root) = project();
    let Some(server) = start_server_with(tmp.path(), true, None) else {
        return;
    };
    train_one_run(&root);
    let export = |password: &str| {
        Command::new(crate::common::bin())
            .args(["--root", &root.display().to_string()])
            .args(["export", "mlflow", "--tracking-uri", &server.uri, "--json"])
            .env("MLFLOW_TRACKING_USERNAME", "admin")
            .env("MLFLOW_TRACKING_PASSWORD", password)
            .env_remove("MLFLOW_TRACKING_TOKEN")
            .output()
            .expect("export")
    };
    let refused = export("not-the-password");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("exporting run 1")
            && err.contains("experiments/get-by-name")
            && err.contains("HTTP 401"),
        "{err}"
    );
    let output = export(ADMIN_PASSWORD);
    assert!(output.status.success(), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["runs_created"], 1, "{report}");
}

/// A CA and a certificate for 127.0.0.1 signed by it, made with openssl; `None` after saying why
/// when openssl is missing.
fn make_certificates(dir: &Path) -> Option<()> {
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext");
    let made = run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Shelfcast test CA",
    ]) && run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]) && run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    if !made {
        println!("SKIP the https export test: openssl could not make a CA and a certificate");
        return None;
    }
    Some(())
}

/// https to a server whose certificate a team's own CA signed: trusted through
/// MLFLOW_TRACKING_SERVER_CERT_PATH as MLflow's client reads it, refused at once without it.
#[test]
fn https_with_a_custom_ca_is_trusted_through_the_cert_path() {
    let (tmp, root) = project();
    if make_certificates(tmp.path()).is_none() {
        return;
    }
    let Some(server) = start_server_with(
        tmp.path(),
        false,
        Some((
            &tmp.path().join("server.key"),
            &tmp.path().join("server.pem"),
        )),
    ) else {
        return;
    };
    train_one_run(&root);
    let export = |ca: Option<&Path>| {
        let mut command = Command::new(crate::common::bin());
        command
            .args(["--root", &root.display().to_string()])
            .args(["export", "mlflow", "--tracking-uri", &server.uri, "--json"])
            .env_remove("MLFLOW_TRACKING_SERVER_CERT_PATH")
            .env_remove("MLFLOW_TRACKING_INSECURE_TLS");
        if let Some(ca) = ca {
            command.env("MLFLOW_TRACKING_SERVER_CERT_PATH", ca);
        }
        command.output().expect("export")
    };
    let started = std::time::Instant::now();
    let refused = export(None);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("certificate") && err.contains("MLFLOW_TRACKING_SERVER_CERT_PATH"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an untrusted certificate is not retried"
    );
    let output = export(Some(&tmp.path().join("ca.pem")));
    assert!(output.status.success(), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["runs_created"], 1, "{report}");
}

/// One small gbdt run of random walks in `root`, finished.
fn train_one_run(root: &Path) {
    std::fs::write(
        root.join("data/walks.csv"),
        crate::forecast::random_walks(2, 30),
    )
    .expect("data");
    let output = shelfcast(
        root,
        &[
            "train",
            "--data",
            "data/walks.csv",
            "--target",
            "units",
            "--features",
            "store",
            "--param",
            "rounds=10",
            "--wait",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
}
