//! One table of records, good and bad, through the four faces that predict — the Predict tab,
//! `predict --record`, a batch file (`predict --input`) and `POST /predict` — gives the same
//! prediction for each good record and the same (field, reason) for each bad one: the rule is
//! `ml::predict::parse_field` in every face.

use crossterm::event::KeyCode;
use serde_json::{Value, json};
use shelfcast::tui::panes::Tab;
use shelfcast::tui::panes::predict::{FieldCheck, PredictTab};

use crate::common::{describe, project, shelfcast};
use crate::serve::{request, start};
use crate::tui::{Panes, key, settle};

/// Weekly sales of two stores with a boolean display flag: every input kind a form has.
fn display_csv() -> String {
    let mut csv = String::from("week,store,price,on_display,units\n");
    let start = chrono::NaiveDate::from_ymd_opt(2022, 1, 3).expect("date");
    for week in 0..60 {
        let day = start + chrono::Duration::weeks(week);
        for (s, store) in ["S1", "S2"].iter().enumerate() {
            let price = 2.0 + ((week * 7 + s as i64 * 3) % 10) as f64 / 10.0;
            let display = (week + s as i64) % 3 == 0;
            let units = 40.0 - 8.0 * price + if display { 9.0 } else { 0.0 } + s as f64 * 5.0;
            csv.push_str(&format!("{day},{store},{price:.2},{display},{units:.1}\n"));
        }
    }
    csv
}

/// The table: each record as JSON, and the (field, reason) it must be refused for (`None`: a
/// good record).
fn records() -> Vec<(Value, Option<(&'static str, &'static str)>)> {
    vec![
        (
            json!({"week": "2023-02-06", "store": "S1", "price": "2.40", "on_display": "true"}),
            None,
        ),
        (
            json!({"week": "2023-02-13", "store": "S2", "price": "2.9", "on_display": "false"}),
            None,
        ),
        (
            json!({"week": "2023-02-13", "store": "S1", "price": "cheap", "on_display": "true"}),
            Some(("price", "'cheap' is not a number")),
        ),
        (
            json!({"week": "2023-02-13", "store": "S1", "price": "2.5", "on_display": "2"}),
            Some(("on_display", "'2' is not true/false or 1/0")),
        ),
        (
            json!({"week": "Jan 3", "store": "S1", "price": "2.5", "on_display": "true"}),
            Some(("week", "'Jan 3' is not a date; expected YYYY-MM-DD")),
        ),
        (
            json!({"week": "2023-02-13", "store": "S1", "price": "", "on_display": "true"}),
            Some(("price", "missing; expected a number")),
        ),
        (
            json!({"week": "2023-02-13", "store": "S1", "price": "1e39", "on_display": "true"}),
            Some((
                "price",
                "'1e39' is out of range: a number must be finite and at most 3.4e38 in size",
            )),
        ),
    ]
}

/// What one face answered for one record.
#[derive(Clone, Debug, PartialEq)]
enum Answer {
    Prediction(f64),
    Refused(String, String),
}

fn close(a: &Answer, b: &Answer) -> bool {
    match (a, b) {
        (Answer::Prediction(x), Answer::Prediction(y)) => (x - y).abs() <= 1e-6 * x.abs().max(1.0),
        _ => a == b,
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Through `predict --record`.
fn by_record(root: &std::path::Path, record: &Value) -> Answer {
    let output = shelfcast(
        root,
        &[
            "predict",
            "--model",
            "sales",
            "--record",
            &record.to_string(),
        ],
    );
    if output.status.success() {
        let answer: Value = serde_json::from_slice(&output.stdout).expect("json");
        return Answer::Prediction(answer["prediction"]["value"].as_f64().expect("value"));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    refusal_in(&stderr).unwrap_or_else(|| panic!("no field error: {}", describe(&output)))
}

/// The first "row N, column F: reason" of a face's error text.
fn refusal_in(text: &str) -> Option<Answer> {
    let at = text.find("column ")?;
    let rest = &text[at + "column ".len()..];
    let (field, reason) = rest.split_once(": ")?;
    let reason = reason.lines().next()?.split("; row ").next()?;
    Some(Answer::Refused(
        field.to_string(),
        reason.trim().to_string(),
    ))
}

/// Through `POST /predict`.
fn by_http(addr: &str, record: &Value) -> Answer {
    let (status, body) = request(addr, "POST", "/predict", &record.to_string());
    let answer: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    match status {
        200 => Answer::Prediction(answer["prediction"]["value"].as_f64().expect("value")),
        422 => Answer::Refused(
            answer["errors"][0]["field"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            answer["errors"][0]["reason"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        ),
        other => panic!("status {other}: {body}"),
    }
}

/// Through a batch file of every record, one row each; a bad row's answer is its first problem.
fn by_batch(root: &std::path::Path, table: &[(Value, Option<(&str, &str)>)]) -> Vec<Answer> {
    let columns = ["week", "store", "price", "on_display"];
    let mut csv = columns.join(",") + "\n";
    for (record, _) in table {
        let cells: Vec<String> = columns.iter().map(|c| text_of(&record[*c])).collect();
        csv.push_str(&(cells.join(",") + "\n"));
    }
    std::fs::write(root.join("records.csv"), csv).expect("write records");
    let output_path = root.join("predicted.csv").display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "predict",
            "--model",
            "sales",
            "--input",
            "records.csv",
            "--output",
            &output_path,
        ];
        args.extend_from_slice(extra);
        shelfcast(root, &args)
    };
    let output = run(&[]);
    assert!(!output.status.success(), "bad rows must stop the batch");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let output = run(&["--skip-invalid"]);
    assert!(output.status.success(), "{}", describe(&output));
    let written = std::fs::read_to_string(root.join("predicted.csv")).expect("output");
    let header: Vec<&str> = written.lines().next().expect("header").split(',').collect();
    let at = header
        .iter()
        .position(|h| *h == "prediction")
        .expect("prediction column");
    let mut predictions = written.lines().skip(1).map(|l| {
        l.split(',')
            .nth(at)
            .expect("cell")
            .parse::<f64>()
            .expect("number")
    });
    table
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let row = format!("row {}, column ", i + 1);
            match stderr.lines().find(|l| l.contains(&row)) {
                Some(line) => refusal_in(line).expect("a refusal"),
                None => Answer::Prediction(predictions.next().expect("a prediction")),
            }
        })
        .collect()
}

/// Through the Predict tab: each field set to the record's text (as typing leaves it), then
/// Enter.
fn by_form(app: &mut shelfcast::tui::app::App, record: &Value) -> Answer {
    for field in &mut app.predict().fields {
        field.value = text_of(&record[field.input.name.as_str()]);
        field.recheck();
    }
    key(app, KeyCode::Enter);
    let pane: &PredictTab = app.pane().expect("the Predict tab");
    if let Some(field) = pane
        .fields
        .iter()
        .find(|f| matches!(f.check, FieldCheck::Error(_)))
    {
        let FieldCheck::Error(reason) = &field.check else {
            unreachable!("matched an error above");
        };
        return Answer::Refused(field.input.name.clone(), reason.clone());
    }
    let outcome = pane.outcome.as_ref().expect("a prediction");
    Answer::Prediction(outcome.prediction.value)
}

#[test]
fn one_table_of_records_gets_the_same_answers_from_all_four_faces() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/sales.csv"), display_csv()).expect("data");
    crate::common::train_sales(&root, 8, &["--param", "rounds=30"]);
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "sales", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let table = records();
    let server = start(&root, &[]);
    let mut app = crate::tui::app_for(&root);
    settle(&mut app);
    app.switch_to(Tab::Predict);
    settle(&mut app);
    assert!(
        app.predict().loaded.is_some(),
        "the model loads in the Predict tab"
    );
    let batch = by_batch(&root, &table);
    for (i, (record, expected)) in table.iter().enumerate() {
        let answers = [
            ("the Predict tab", by_form(&mut app, record)),
            ("predict --record", by_record(&root, record)),
            ("a batch file", batch[i].clone()),
            ("POST /predict", by_http(&server.addr, record)),
        ];
        println!("{record}: {answers:?}");
        let (first_face, first) = &answers[0];
        if let Some((field, reason)) = expected {
            assert_eq!(
                first,
                &Answer::Refused(field.to_string(), reason.to_string()),
                "{record}: {first_face}"
            );
        } else {
            assert!(
                matches!(first, Answer::Prediction(_)),
                "{record}: {first:?}"
            );
        }
        for (face, answer) in &answers[1..] {
            assert!(
                close(first, answer),
                "{record}: {first_face} said {first:?}, {face} said {answer:?}"
            );
        }
    }
}

/// A lag model's history fields: optional, numbers when given; text there is refused by the
/// record path and the batch path in the same words, and a lag beyond the bound is refused
/// before any run exists.
#[test]
fn lag_fields_are_numbers_in_every_face_and_lag_periods_are_bounded() {
    let (_tmp, root) = crate::common::sales_project(2, 2, 30);
    crate::common::train_sales(
        &root,
        5,
        &[
            "--lags",
            "1,2",
            "--group",
            "store,item",
            "--param",
            "rounds=10",
        ],
    );
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "sales", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let record = json!({"week": "2022-07-04", "store": "S1", "item": "I1", "category": "Dairy",
        "price": 2.5, "promo": 0, "constant": "same", "units__lag_1": "lots"});
    let output = shelfcast(
        &root,
        &[
            "predict",
            "--model",
            "sales",
            "--record",
            &record.to_string(),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("column units__lag_1: 'lots' is not a number"),
        "{stderr}"
    );
    // Over HTTP: the same refusal (422), and the lag fields listed as optional numbers.
    let server = start(&root, &[]);
    let (status, answer) = request(&server.addr, "POST", "/predict", &record.to_string());
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("'lots' is not a number"), "{answer}");
    let (status, spec) = request(&server.addr, "GET", "/openapi.json", "");
    assert_eq!(status, 200);
    let spec: Value = serde_json::from_str(&spec).expect("openapi");
    let record_schema = &spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["oneOf"][0];
    assert_eq!(
        record_schema["properties"]["units__lag_2"]["type"],
        "number"
    );
    let required = record_schema["required"].as_array().expect("required");
    assert!(
        !required.iter().any(|r| r == "units__lag_1"),
        "{required:?}"
    );
    let mut with_history = record.clone();
    with_history["units__lag_1"] = json!(14);
    let output = shelfcast(
        &root,
        &[
            "predict",
            "--model",
            "sales",
            "--record",
            &with_history.to_string(),
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));

    std::fs::write(
        root.join("history.csv"),
        "week,store,item,category,price,promo,constant,units__lag_1\n\
         2022-07-04,S1,I1,Dairy,2.5,0,same,lots\n\
         2022-07-04,S1,I2,Dairy,3.0,0,same,12\n",
    )
    .expect("write");
    let out = root.join("history_out.csv").display().to_string();
    let output = shelfcast(
        &root,
        &[
            "predict",
            "--model",
            "sales",
            "--input",
            "history.csv",
            "--output",
            &out,
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("row 1, column units__lag_1: 'lots' is not a number"),
        "{stderr}"
    );

    let output = shelfcast(
        &root,
        &[
            "train",
            "--data",
            "data/sales.csv",
            "--target",
            "units",
            "--split",
            "time:week:5",
            "--lags",
            "1,100000",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'100000' is not a whole number of periods from 1 to 10000"),
        "{stderr}"
    );
}
