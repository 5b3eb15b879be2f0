//! A lag model keeps its series' history, so a record needs only the series and the date: the
//! forecast file's step h, `predict --record`, `POST /predict`, the Predict tab and a batch file
//! give the same number for the same series and date, and a series with no history is told so.

use crossterm::event::KeyCode;
use serde_json::{Value, json};
use shelfcast::tui::panes::Tab;

use crate::common::{describe, project, shelfcast};
use crate::forecast::random_walks;
use crate::serve::{request, start};
use crate::tui::{Panes, key, settle};

fn by_record(root: &std::path::Path, record: &Value) -> Value {
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
    assert!(output.status.success(), "{record}: {}", describe(&output));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("json");
    answer["prediction"].clone()
}

/// The Predict tab with the record's fields typed and the others left empty, then Enter.
fn by_form(app: &mut shelfcast::tui::app::App, record: &Value) -> f64 {
    for field in &mut app.predict().fields {
        field.value = match record.get(field.input.name.as_str()) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        field.recheck();
    }
    key(app, KeyCode::Enter);
    let outcome = app.predict().outcome.clone().expect("a prediction");
    outcome.prediction.value
}

#[test]
fn the_same_series_and_date_get_the_same_number_from_the_forecast_and_every_predicting_face() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(6, 90)).expect("data");
    crate::forecast::train_walks(
        &root,
        &[
            "--split",
            "time:week:8",
            "--lags",
            "1,2",
            "--rolling",
            "3",
            "--param",
            "rounds=40",
        ],
    );
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "sales", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    assert!(root.join("models/sales/1/history.parquet").exists());

    let out = root.join("forecast.csv").display().to_string();
    let output = shelfcast(
        &root,
        &[
            "forecast",
            "--model",
            "sales",
            "--horizon",
            "3",
            "--carry-forward",
            "--output",
            &out,
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let written = std::fs::read_to_string(&out).expect("forecast");
    let forecast_of = |store: &str, step: &str| -> f64 {
        written
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|c| c[0] == store && c[2] == step)
            .and_then(|c| c[3].parse().ok())
            .expect("a forecast row")
    };

    let server = start(&root, &[]);
    let mut app = crate::tui::app_for(&root);
    settle(&mut app);
    app.switch_to(Tab::Predict);
    settle(&mut app);
    assert!(app.predict().loaded.is_some(), "the model loads");
    // The form asks only for the series and the date; the rest is the series' own.
    let promo = app
        .predict()
        .fields
        .iter()
        .find(|f| f.input.name == "promo")
        .cloned()
        .expect("promo field");
    assert_eq!(promo.value, "");
    assert!(promo.from_history);

    // Step 1 is the week after the history; step 3 reaches through two forecasts.
    for (week, step) in [("2022-09-26", "1"), ("2022-10-10", "3")] {
        let record = json!({"store": "S2", "week": week});
        let expected = forecast_of("S2", step);
        let by_cli = by_record(&root, &record);
        let (status, body) = request(&server.addr, "POST", "/predict", &record.to_string());
        assert_eq!(status, 200, "{body}");
        let by_http: Value = serde_json::from_str(&body).expect("json");
        let answers = [
            ("predict --record", by_cli["value"].as_f64().expect("value")),
            (
                "POST /predict",
                by_http["prediction"]["value"].as_f64().expect("value"),
            ),
            ("the Predict tab", by_form(&mut app, &record)),
        ];
        println!("S2 {week} (step {step}): forecast {expected}, {answers:?}");
        for (face, value) in answers {
            assert_eq!(value, expected, "{face} at step {step}");
        }
        let warnings = by_cli["warnings"].to_string();
        assert!(
            warnings.contains("promo: not given; carried forward"),
            "{warnings}"
        );
        if step == "3" {
            assert!(
                warnings.contains("3 periods past store S2's history"),
                "{warnings}"
            );
        }
    }

    // S1's last week ran a promotion: its covariates carry from the week before, the last
    // without one, in the forecast and in a record alike (a promotion is not repeated forever).
    let record = json!({"store": "S1", "week": "2022-09-26"});
    let answer = by_record(&root, &record);
    let warnings = answer["warnings"].to_string();
    assert!(
        warnings.contains("row of 2022-09-12 (its last without an event"),
        "{warnings}"
    );
    assert_eq!(answer["value"].as_f64(), Some(forecast_of("S1", "1")));

    // A batch file of keys, dates and covariates gets its lags from the history too.
    let last_promo = random_walks(6, 90)
        .lines()
        .rfind(|l| l.contains(",S2,"))
        .and_then(|l| l.split(',').nth(2).map(str::to_string))
        .expect("promo");
    std::fs::write(
        root.join("batch.csv"),
        format!("week,store,promo\n2022-09-26,S2,{last_promo}\n"),
    )
    .expect("batch");
    let predicted = root.join("predicted.csv").display().to_string();
    let output = shelfcast(
        &root,
        &[
            "predict",
            "--model",
            "sales",
            "--input",
            "batch.csv",
            "--output",
            &predicted,
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("lags of 1 row(s) looked up"), "{stderr}");
    let batch = std::fs::read_to_string(&predicted).expect("predicted");
    let value: f64 = batch
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').nth(3))
        .and_then(|v| v.parse().ok())
        .expect("prediction");
    assert_eq!(value, forecast_of("S2", "1"), "the batch file");

    // A series the history does not hold answers with the lags missing, and says so.
    let record = json!({"store": "S9", "week": "2022-09-26", "promo": 0});
    let answer = by_record(&root, &record);
    assert!(
        answer["warnings"]
            .to_string()
            .contains("no history for store S9: lags missing"),
        "{answer}"
    );
    // A date off the series' calendar is refused, naming the calendar.
    let (status, body) = request(
        &server.addr,
        "POST",
        "/predict",
        &json!({"store": "S2", "week": "2022-09-28"}).to_string(),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("its dates are 7 day(s) apart"), "{body}");
    // /openapi.json asks only for the keys and the date.
    let (_, spec) = request(&server.addr, "GET", "/openapi.json", "");
    let spec: Value = serde_json::from_str(&spec).expect("openapi");
    let schema = &spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ["oneOf"][0];
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    required.sort();
    assert_eq!(required, ["store", "week"]);

    // Each answer for S2 on 2022-10-10 (POST /predict, the Predict tab) was logged by series and
    // date: once that week's actual is in, the newest is scored beside the forecast's step 3.
    crate::tui::settle(&mut app);
    let said = app.predict().message.clone().unwrap_or_default().1;
    assert!(said.contains("logged for S2 on 2022-10-10"), "{said}");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let mut store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    store
        .add_actuals(
            "sales",
            &[shelfcast::store::NewActual {
                series_key: "S2".into(),
                target_date: "2022-10-10".into(),
                actual: 10.0,
            }],
            "test",
            false,
        )
        .expect("actual");
    let pairs = store.scored_pairs("sales", None).expect("pairs");
    let logged: Vec<f64> = pairs
        .iter()
        .filter(|p| p.source == "prediction")
        .map(|p| p.predicted)
        .collect();
    assert_eq!(
        logged.len(),
        1,
        "one series and date predicted again counts once: {pairs:?}"
    );
    let expected = forecast_of("S2", "3");
    assert!(
        logged.iter().all(|v| *v == expected),
        "{logged:?} against {expected}"
    );
}
