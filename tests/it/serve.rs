//! The HTTP endpoint through the real binary: health, one record and a list, 422 with field
//! messages, 413 over the body limit, loopback only, the champion swapped without a restart, and
//! every prediction logged to the store; JSON only (415) and no CORS headers, booleans and
//! out-of-range numbers refused by name, `/health` quick while big batches are predicted, the
//! log keeping only the signature's fields, and old log rows pruned (CLI and server).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use shelfcast::store::RunStore;

use crate::common::{bin, describe, sales_project, shelfcast, train_sales};

pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(root: &std::path::Path, extra: &[&str]) -> Server {
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

/// One HTTP/1.1 response: status, head (status line and headers) and body.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// One request with `content_type` (none when `None`), waiting at most `timeout` for the answer.
fn send(
    addr: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
    timeout: Duration,
) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(timeout)).expect("timeout");
    let content_type = content_type
        .map(|c| format!("Content-Type: {c}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: test\r\n{content_type}\
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
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or((response.as_str(), ""));
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// (status, body) of one JSON request.
pub(crate) fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let answer = send(
        addr,
        method,
        path,
        Some("application/json"),
        body,
        Duration::from_secs(10),
    );
    (answer.status, answer.body)
}

/// A project with one model trained on the small sales data, registered as `sales@champion`.
fn champion_project() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, root) = sales_project(2, 3, 40);
    train_sales(&root, 6, &["--param", "rounds=20"]);
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "sales", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    (tmp, root)
}

/// The first error's (field, reason) of a 422 body.
fn first_error(body: &str) -> (String, String) {
    let errors: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let first = &errors["errors"][0];
    (
        first["field"].as_str().unwrap_or_default().to_string(),
        first["reason"].as_str().unwrap_or_default().to_string(),
    )
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

    let (status, body) = request(
        &server.addr,
        "POST",
        "/predict",
        &format!("[{}]", vec![RECORD; 30].join(",")),
    );
    assert_eq!(status, 413, "a body over the limit is refused");
    let refusal: serde_json::Value = serde_json::from_str(&body).expect("a JSON refusal");
    assert!(
        refusal["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--body-limit")),
        "{body}"
    );
    let (status, body) = request(&server.addr, "GET", "/openapi.json", "");
    assert_eq!(status, 200);
    assert!(
        body.contains("\"/predict\"")
            && body.contains("\"examples\":[\"Dairy\",\"Snacks\"]")
            && body.contains(
                "2 levels seen in training: Dairy, Snacks; another is treated as unknown"
            ),
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

#[test]
fn predict_takes_only_json_and_names_booleans_and_out_of_range_numbers() {
    let (_tmp, root) = champion_project();
    let server = start(&root, &[]);
    let post = |content_type: Option<&str>, body: &str| {
        send(
            &server.addr,
            "POST",
            "/predict",
            content_type,
            body,
            Duration::from_secs(10),
        )
    };
    let no_cors = |answer: &Answer| {
        assert!(
            !answer.head.to_ascii_lowercase().contains("access-control-"),
            "no CORS header is ever sent: {}",
            answer.head
        );
    };

    // What a page in a browser can post cross-origin without a preflight, and no type at all.
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let answer = post(content_type, RECORD);
        assert_eq!(answer.status, 415, "{content_type:?}: {}", answer.body);
        assert_eq!(
            first_error(&answer.body).0,
            "Content-Type",
            "{}",
            answer.body
        );
        no_cors(&answer);
    }
    let answer = post(Some("application/json; charset=utf-8"), RECORD);
    assert_eq!(answer.status, 200, "{}", answer.body);
    no_cors(&answer);
    let preflight = send(
        &server.addr,
        "OPTIONS",
        "/predict",
        None,
        "",
        Duration::from_secs(10),
    );
    assert!(preflight.status >= 400, "{}", preflight.head);
    no_cors(&preflight);

    // A boolean is not 1, and a number beyond f64 (or beyond the booster's f32) is not a 500.
    for (field, value, reason) in [
        ("price", "true", "boolean"),
        ("promo", "false", "boolean"),
        ("price", "1e400", "out of range"),
        ("price", "-1e400", "out of range"),
        ("price", "1e39", "out of range"),
    ] {
        let original = if field == "price" {
            "\"price\":3.5"
        } else {
            "\"promo\":1"
        };
        let record = RECORD.replace(original, &format!("\"{field}\":{value}"));
        assert_ne!(record, RECORD);
        let (status, body) = request(&server.addr, "POST", "/predict", &record);
        assert_eq!(status, 422, "{field}: {value}: {body}");
        let (named, why) = first_error(&body);
        assert_eq!(named, field, "{body}");
        assert!(why.contains(reason), "{field}: {value}: {body}");
    }
    // In a batch too, on the right row.
    let huge = RECORD.replace("\"price\":3.5", "\"price\":1e400");
    let (status, body) = request(
        &server.addr,
        "POST",
        "/predict",
        &format!("[{RECORD},{huge}]"),
    );
    assert_eq!(status, 422, "{body}");
    let errors: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(errors["errors"][0]["row"], 2, "{body}");
    assert_eq!(errors["errors"][0]["field"], "price", "{body}");
    // Malformed JSON stays a 422 naming the body, never a 500.
    let (status, body) = request(&server.addr, "POST", "/predict", "{\"price\": 1e400");
    assert_eq!(status, 422, "{body}");
    assert_eq!(first_error(&body).0, "body", "{body}");
}

/// `count` copies of the record, as a JSON list.
fn batch(count: usize) -> String {
    format!("[{}]", vec![RECORD; count].join(","))
}

#[test]
fn health_answers_while_big_batches_are_predicted() {
    let (_tmp, root) = champion_project();
    let server = start(&root, &["--body-limit", "100000000"]);
    let post_batch = |addr: &str, body: &str| {
        send(
            addr,
            "POST",
            "/predict",
            Some("application/json"),
            body,
            Duration::from_secs(300),
        )
        .status
    };
    // A batch that takes about two seconds on this machine and build, measured, not guessed: a
    // probe grown until it takes half a second, so the request's fixed cost does not pass for
    // per-record time (a small probe made the batches too short, and they ended before /health
    // was asked).
    let mut probe = 200;
    let per_record = loop {
        let started = Instant::now();
        assert_eq!(post_batch(&server.addr, batch(probe).as_str()), 200);
        let took = started.elapsed().as_secs_f64();
        if took >= 0.5 || probe >= 200_000 {
            break took / probe as f64;
        }
        probe *= 4;
    };
    let size = ((2.0 / per_record) as usize).clamp(200, 200_000);
    let big = Arc::new(batch(size));

    // More batches than cores: before the fix they held every executor thread.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let batches: Vec<_> = (0..=cores)
        .map(|_| {
            let (addr, big) = (server.addr.clone(), Arc::clone(&big));
            std::thread::spawn(move || (post_batch(addr.as_str(), big.as_str()), Instant::now()))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    let health = send(
        &server.addr,
        "GET",
        "/health",
        None,
        "",
        Duration::from_secs(300),
    );
    let answered = Instant::now();
    let finished: Vec<(u16, Instant)> = batches
        .into_iter()
        .map(|b| b.join().expect("a batch thread"))
        .collect();

    assert_eq!(health.status, 200, "{}", health.body);
    let waited = answered - asked;
    assert!(
        finished.iter().all(|(status, _)| *status == 200),
        "{finished:?}"
    );
    let first_done = finished.iter().map(|(_, at)| *at).min().expect("batches");
    assert!(
        answered < first_done,
        "/health waited {waited:?}, until a batch of {size} records was done"
    );
    assert!(
        waited < Duration::from_millis(500),
        "/health took {waited:?} while {} batches of {size} records ran",
        cores + 1
    );
    let health: Value = serde_json::from_str(&health.body).expect("json");
    assert!(health["log_dropped"].is_u64(), "{health}");
}

#[test]
fn the_log_keeps_signature_fields_and_old_rows_are_pruned() {
    let (_tmp, root) = champion_project();
    let server = start(&root, &[]);
    // A client's own fields (an id, personal data) are not the model's business to keep.
    let with_extras = format!(
        r#"{{"customer_email":"someone@example.com","note":"call back",{}"#,
        &RECORD[1..]
    );
    let (status, body) = request(&server.addr, "POST", "/predict", &with_extras);
    assert_eq!(status, 200, "{body}");
    let (status, body) = request(&server.addr, "POST", "/predict", &batch(2));
    assert_eq!(status, 200, "{body}");

    let store = RunStore::open(&root.join("runs.db")).expect("store");
    let version = store.model_versions(Some("sales")).expect("versions")[0].id;
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.prediction_count(version).expect("count") < 3 {
        assert!(
            Instant::now() < deadline,
            "the predictions were never logged"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent: Map<String, Value> = serde_json::from_str(RECORD).expect("record");
    for logged in store.logged_inputs(&[version], None).expect("inputs") {
        let kept: Map<String, Value> = serde_json::from_str(&logged).expect("logged json");
        assert!(
            !kept.contains_key("customer_email") && !kept.contains_key("note"),
            "{logged}"
        );
        assert!(kept.keys().all(|k| sent.contains_key(k)), "{logged}");
        assert_eq!(kept.get("price"), sent.get("price"), "{logged}");
        assert_eq!(kept.get("week"), sent.get("week"), "{logged}");
    }
    let (_, body) = request(&server.addr, "GET", "/health", "");
    let health: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(health["log_dropped"], 0, "{body}");

    // Two rows from 2020 and one from now: the prune takes the old ones only.
    let db = rusqlite::Connection::open(root.join("runs.db")).expect("sqlite");
    db.busy_timeout(Duration::from_secs(15))
        .expect("busy timeout");
    let backdate = |rows: usize| {
        db.execute(
            "UPDATE predictions SET created_at = '2020-01-01T00:00:00.000Z' WHERE id IN \
             (SELECT id FROM predictions ORDER BY id LIMIT ?1)",
            [rows as i64],
        )
        .expect("backdate")
    };
    assert_eq!(backdate(2), 2);
    let output = shelfcast(
        &root,
        &["predictions", "prune", "--older-than", "30d", "--json"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("prune json");
    assert_eq!(report["deleted"], 2, "{report}");
    assert_eq!(report["older_than"], "30d", "{report}");
    assert_eq!(store.prediction_count(version).expect("count"), 1);
    let output = shelfcast(&root, &["predictions", "prune"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("deleted 0"),
        "{}",
        describe(&output)
    );
    for bad in ["keep", "3x", "d"] {
        let output = shelfcast(&root, &["predictions", "prune", "--older-than", bad]);
        assert!(!output.status.success(), "{bad}: {}", describe(&output));
    }

    // The server prunes at startup with --log-retention (and hourly after).
    drop(server);
    assert_eq!(backdate(1), 1);
    let _server = start(&root, &["--log-retention", "7d"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while store.prediction_count(version).expect("count") > 0 {
        assert!(
            Instant::now() < deadline,
            "the server never pruned the old row"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = shelfcast(
        &root,
        &["serve", "--model", "sales", "--log-retention", "sometimes"],
    );
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("'sometimes' is not an age"),
        "{}",
        describe(&output)
    );
}
