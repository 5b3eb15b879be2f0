//! The HTTP endpoint through the real binary: health, one record and a list, 422 with field
//! messages, 413 over the body limit, loopback only, the champion swapped without a restart, and
//! every prediction logged to the store.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use shelfcast::store::RunStore;

use crate::common::{bin, describe, sales_project, shelfcast, train_sales};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = Command::new(bin())
        .arg("--root")
        .arg(root)
        .args([
            "serve",
            "--model",
            "sales@champion",
            "--addr",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    Server { child, addr }
}

/// (status, body) of one HTTP/1.1 request.
fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

const RECORD: &str = r#"{"week":"2023-02-06","store":"S1","item":"I2","category":"Dairy","price":3.5,"promo":1,"constant":"same"}"#;

#[test]
fn the_endpoint_predicts_refuses_bad_input_swaps_the_champion_and_logs_predictions() {
    let (_tmp, root) = sales_project(2, 3, 40);
    train_sales(&root, 6, &["--param", "rounds=20"]);
    train_sales(&root, 6, &["--param", "rounds=60"]);
    for args in [
        ["register", "1", "--model", "sales", "--alias", "champion"],
        ["register", "2", "--model", "sales", "--alias", "challenger"],
    ] {
        let output = shelfcast(&root, &args);
        assert!(output.status.success(), "{}", describe(&output));
    }
    let server = start(&root, &["--body-limit", "2000"]);

    let (status, body) = request(&server.addr, "GET", "/health", "");
    assert_eq!(status, 200, "{body}");
    let health: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(health["version"], 1);

    let (status, body) = request(&server.addr, "POST", "/predict?uplift=true", RECORD);
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("json");
    let value = answer["prediction"]["value"].as_f64().expect("value");
    assert!(answer["prediction"]["interval"][0].as_f64().expect("low") <= value);
    assert!(
        answer["prediction"]["uplift"]
            .as_array()
            .is_some_and(|u| u.len() == 2)
    );

    let (status, body) = request(
        &server.addr,
        "POST",
        "/predict",
        &format!("[{RECORD},{RECORD}]"),
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(answer["predictions"].as_array().map(Vec::len), Some(2));

    let bad = r#"[{"week":"2023-02-06","store":"S1","item":"I2","category":"Dairy","price":3.5,"promo":1,"constant":"same"},
                  {"week":"next week","store":"S1","item":"I2","category":"Dairy","price":"x","constant":"same"}]"#;
    let (status, body) = request(&server.addr, "POST", "/predict", bad);
    assert_eq!(status, 422, "{body}");
    let errors: Value = serde_json::from_str(&body).expect("json");
    let fields: Vec<(u64, &str)> = errors["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(fields, [(2, "week"), (2, "price"), (2, "promo")], "{body}");

    let (status, _) = request(
        &server.addr,
        "POST",
        "/predict",
        &format!("[{}]", vec![RECORD; 30].join(",")),
    );
    assert_eq!(status, 413, "a body over the limit is refused");
    let (status, body) = request(&server.addr, "GET", "/openapi.json", "");
    assert_eq!(status, 200);
    assert!(
        body.contains("\"/predict\"") && body.contains("\"enum\":[\"Dairy\",\"Snacks\"]"),
        "{body}"
    );

    // Promote version 2: the server swaps to it without a restart.
    let output = shelfcast(
        &root,
        &["alias", "sales", "champion", "2", "--reason", "test"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, body) = request(&server.addr, "GET", "/health", "");
        if body.contains("\"version\":2") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the champion never swapped: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, body) = request(&server.addr, "POST", "/predict", RECORD);
    assert_eq!(status, 200);
    assert!(body.contains("\"version\":2"), "{body}");

    // Every good prediction is logged, in batches, against the version that made it.
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let versions = store.model_versions(Some("sales")).expect("versions");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let first = store.prediction_count(versions[0].id).expect("count");
        let second = store.prediction_count(versions[1].id).expect("count");
        if first == 3 && second == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "logged {first} and {second}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Loopback only unless told.
    let output = shelfcast(&root, &["serve", "--model", "sales", "--addr", "0.0.0.0:0"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a loopback address"));
    drop(server);
}
