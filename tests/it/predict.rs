//! Prediction with a registered model: one record (interval, uplift, field-level errors and
//! warnings) and batch files (every bad row reported and nothing written, or skipped; output
//! with predictions, interval and uplift; the interval's coverage on held-out rows).

use serde_json::{Value, json};

use crate::common::{describe, sales_project, shelfcast, train_sales};

/// A project with a trained run registered as `sales@champion`.
fn registered() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, root) = sales_project(3, 4, 60);
    train_sales(
        &root,
        8,
        &["--param", "rounds=80", "--param", "objective=poisson"],
    );
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "sales", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    (tmp, root)
}

#[test]
fn one_record_gets_a_prediction_an_interval_and_the_promotion_what_if() {
    let (_tmp, root) = registered();
    let record = json!({"week": "2023-02-06", "store": "S1", "item": "I2", "category": "Dairy",
                        "price": 3.5, "promo": 0, "constant": "same"});
    let output = shelfcast(
        &root,
        &[
            "predict",
            "--model",
            "sales@champion",
            "--uplift",
            "--record",
            &record.to_string(),
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("json");
    let prediction = &answer["prediction"];
    let value = prediction["value"].as_f64().expect("value");
    let (low, high) = (
        prediction["interval"][0].as_f64().expect("low"),
        prediction["interval"][1].as_f64().expect("high"),
    );
    assert!(low < value && value < high, "{prediction}");
    assert_eq!(prediction["interval_level"], 0.9);
    // The sample's promotions lift sales by 60%: the what-if says the promotion helps.
    let uplift = prediction["uplift"].as_array().expect("uplift");
    assert_eq!(uplift[0]["promotion"], false);
    assert_eq!(uplift[1]["promotion"], true);
    assert!(
        uplift
            .iter()
            .skip(1)
            .all(|p| p["uplift"].as_f64().expect("u") > 0.0),
        "{prediction}"
    );

    // A wrong type, a bad date and a missing input: each named; an unseen store only warns.
    let bad = json!({"week": "soon", "store": "S9", "item": "I2", "category": "Dairy",
                     "price": "cheap", "constant": "same"});
    let output = shelfcast(
        &root,
        &["predict", "--model", "sales", "--record", &bad.to_string()],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "column week: 'soon' is not a date; expected YYYY-MM-DD",
        "column price: 'cheap' is not a number",
        "column promo: missing; expected a number",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let unseen = json!({"week": "2023-02-06", "store": "S9", "item": "I2", "category": "Dairy",
                        "price": 99.0, "promo": 1, "constant": "same"});
    let output = shelfcast(
        &root,
        &[
            "predict",
            "--model",
            "sales",
            "--record",
            &unseen.to_string(),
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let warnings = String::from_utf8_lossy(&output.stdout);
    assert!(
        warnings.contains("store: 'S9' was never seen in training"),
        "{warnings}"
    );
    assert!(
        warnings.contains("price: 99 is outside the training range"),
        "{warnings}"
    );
}

/// A form saved from the command line is recalled by name (the TUI's Predict tab lists the
/// same forms), with --record overriding a field; an unknown form is refused by name.
#[test]
fn forms_are_saved_and_recalled_by_name_from_the_command_line() {
    let (_tmp, root) = registered();
    let record = json!({"week": "2023-02-06", "store": "S1", "item": "I2", "category": "Dairy",
                        "price": 3.5, "promo": 0, "constant": "same"});
    let predict = |extra: &[&str]| {
        let mut args = vec!["predict", "--model", "sales@champion"];
        args.extend_from_slice(extra);
        let output = shelfcast(&root, &args);
        assert!(output.status.success(), "{extra:?}: {}", describe(&output));
        let answer: Value = serde_json::from_slice(&output.stdout).expect("json");
        answer["prediction"]["value"].as_f64().expect("value")
    };
    let saved = predict(&["--record", &record.to_string(), "--save-form", "dairy s1"]);
    assert_eq!(predict(&["--form", "dairy s1"]), saved);
    let promoted = predict(&["--form", "dairy s1", "--record", r#"{"promo": 1}"#]);
    assert!(
        promoted > saved,
        "the promotion lifts: {promoted} vs {saved}"
    );
    let store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    let forms = store.saved_forms("sales").expect("forms");
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].record["price"], json!(3.5));
    let output = shelfcast(&root, &["predict", "--model", "sales", "--form", "nope"]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("model sales has no saved form 'nope'"),
        "{}",
        describe(&output)
    );
}

#[test]
fn batch_files_report_every_bad_row_and_write_nothing_unless_told_to_skip() {
    let (_tmp, root) = registered();
    let good = root.join("data/sales.csv");
    let out = root.join("predicted.csv");
    let output = predict_file(&root, "sales@champion", &good, &out, &["--uplift"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("720 rows predicted"));
    let written = std::fs::read_to_string(&out).expect("output");
    let header = written.lines().next().expect("header");
    for column in [
        "prediction",
        "prediction_low_90",
        "prediction_high_90",
        "prediction_promo_off",
        "uplift_pct_promo_on",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "{column} in {header}"
        );
    }
    assert_eq!(written.lines().count(), 721);

    // The interval covers about 90% of the held-out weeks (the last 8 of 60).
    let (held_out, coverage) = interval_coverage(&written, |week| week >= "2023-01-02");
    println!("interval coverage on {held_out} held-out rows: {coverage:.3}");
    assert!(held_out >= 90, "{held_out}");
    let low = header
        .split(',')
        .position(|c| c == "prediction_low_90")
        .expect("low");
    assert!(
        written.lines().skip(1).all(|r| r
            .split(',')
            .nth(low)
            .and_then(|l| l.parse::<f64>().ok())
            .is_some_and(|l| l >= 0.0)),
        "units were never negative in training: neither is an interval's low end"
    );
    assert!((0.8..=1.0).contains(&coverage), "coverage {coverage}");

    // Those weeks calibrated the interval. Weeks the model never saw at all — the same
    // generator, continued 16 weeks past the file — are the honest check.
    let future = root.join("future.csv");
    let continued = crate::common::weekly_sales_csv(3, 4, 76);
    let mut text: Vec<&str> = continued.lines().take(1).collect();
    text.extend(continued.lines().skip(1 + 60 * 12));
    std::fs::write(&future, text.join("\n") + "\n").expect("future file");
    let future_out = root.join("future_out.csv");
    let output = predict_file(&root, "sales@champion", &future, &future_out, &[]);
    assert!(output.status.success(), "{}", describe(&output));
    let written = std::fs::read_to_string(&future_out).expect("output");
    let (unseen, coverage) = interval_coverage(&written, |_| true);
    println!("interval coverage on {unseen} unseen rows: {coverage:.3}");
    assert_eq!(unseen, 16 * 12);
    assert!((0.8..=1.0).contains(&coverage), "coverage {coverage}");

    // Bad rows: each reported with its row, column and reason; nothing written.
    let text = std::fs::read_to_string(&good).expect("read");
    let mut lines: Vec<String> = text.lines().take(6).map(String::from).collect();
    lines[2] = lines[2].replacen("2022-01-03", "Jan 3", 1);
    lines[4] = lines[4].replace(",0,same,", ",maybe,same,");
    let bad = root.join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").expect("bad file");
    let bad_out = root.join("bad_out.parquet");
    let output = predict_file(&root, "sales", &bad, &bad_out, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("row 2, column week: 'Jan 3' is not a date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("row 4, column promo: 'maybe' is not a number"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 bad row(s)") && stderr.contains("nothing written"),
        "{stderr}"
    );
    assert!(!bad_out.exists());
    let output = predict_file(&root, "sales", &bad, &bad_out, &["--skip-invalid"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("3 rows predicted"));
    assert!(bad_out.exists());
}

/// Of the rows of a predicted CSV whose week passes `keep`: how many, and the share whose units
/// fall inside the 90% interval.
fn interval_coverage(csv: &str, keep: impl Fn(&str) -> bool) -> (usize, f64) {
    let header = csv.lines().next().expect("header");
    let col = |name: &str| header.split(',').position(|c| c == name).expect(name);
    let (week, units, low, high) = (
        col("week"),
        col("units"),
        col("prediction_low_90"),
        col("prediction_high_90"),
    );
    let number = |t: &str| t.parse::<f64>().unwrap_or(f64::NAN);
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| keep(r[week]))
        .collect();
    let covered = rows
        .iter()
        .filter(|r| number(r[units]) >= number(r[low]) && number(r[units]) <= number(r[high]))
        .count();
    (rows.len(), covered as f64 / rows.len() as f64)
}

#[test]
fn batch_output_repeats_the_input_cells_as_written() {
    let (_tmp, root) = registered();
    let sales = std::fs::read_to_string(root.join("data/sales.csv")).expect("sales");
    let mut input = String::new();
    for (i, line) in sales.lines().enumerate().take(21) {
        let extra = match i {
            0 => ",flag,code,memo".to_string(),
            i if i % 2 == 0 => ",FALSE,007,NA".to_string(),
            _ => ",TRUE,010,".to_string(),
        };
        input.push_str(&format!("{line}{extra}\n"));
    }
    let path = root.join("data/as_written.csv");
    std::fs::write(&path, &input).expect("input");
    let out = root.join("as_written_out.csv");
    let output = predict_file(&root, "sales@champion", &path, &out, &[]);
    assert!(output.status.success(), "{}", describe(&output));
    let written = std::fs::read_to_string(&out).expect("output");
    for (given, got) in input.lines().zip(written.lines()) {
        assert!(got.starts_with(given), "{given}\n{got}");
    }
    assert!(
        written.contains(",2.50,") || written.contains(",3.00,"),
        "{written}"
    );
}

/// `shelfcast predict --model MODEL --input INPUT --output OUTPUT EXTRA...`.
fn predict_file(
    root: &std::path::Path,
    model: &str,
    input: &std::path::Path,
    output: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let (input, output) = (
        input.to_str().expect("path"),
        output.to_str().expect("path"),
    );
    let mut args = vec![
        "predict", "--model", model, "--input", input, "--output", output,
    ];
    args.extend_from_slice(extra);
    shelfcast(root, &args)
}

/// Every record of `csv` answered by the direct path (no frame) and by the frame path: the
/// same prediction to the bit, the same interval, the same warnings.
fn direct_equals_frame(
    root: &std::path::Path,
    model: &str,
    csv: &str,
    blank_every: usize,
    at_least: usize,
) {
    use shelfcast::ml::predict::{predict_frame, predict_record, record_frame};
    let project = shelfcast::project::Project::new(root);
    let store = project.open_store().expect("store");
    let reference = shelfcast::registry::ModelRef::parse(model).expect("ref");
    let (_, loaded) =
        shelfcast::registry::load_version(&project, &store, &reference).expect("load");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let mut compared = 0;
    for (i, line) in lines.enumerate().take(300) {
        let mut record = serde_json::Map::new();
        for (j, (name, cell)) in header.iter().zip(line.split(',')).enumerate() {
            // Some cells left out, where the model saw missing values in training.
            let value = if blank_every > 0 && (i + j) % blank_every == 0 {
                Value::Null
            } else {
                match cell.parse::<f64>() {
                    Ok(n) => json!(n),
                    Err(_) => json!(cell),
                }
            };
            record.insert((*name).to_string(), value);
        }
        let direct = predict_record(&loaded, &record, false);
        let Ok((frame, warnings)) = record_frame(&loaded.signature, &record, 1) else {
            assert!(
                direct.is_err(),
                "row {i}: the direct path accepted what the frame refused"
            );
            continue;
        };
        let direct = direct.unwrap_or_else(|e| panic!("row {i}: {e}"));
        let (value, interval) = predict_frame(&loaded, &frame).expect("frame")[0];
        assert_eq!(direct.value.to_bits(), value.to_bits(), "row {i}: {line}");
        assert_eq!(direct.interval, interval, "row {i}");
        assert_eq!(direct.warnings, warnings, "row {i}");
        compared += 1;
    }
    assert!(compared >= at_least, "{compared} rows compared");
}

#[test]
fn one_record_is_answered_without_a_frame_exactly_as_with_one() {
    let (_tmp, root) = registered();
    let csv = std::fs::read_to_string(root.join("data/sales.csv")).expect("sales");
    direct_equals_frame(&root, "sales@champion", &csv, 0, 300);

    // Missing values (imputed, with indicators) and text levels never seen.
    crate::common::train_na_fixture(&root);
    let na = std::fs::read_to_string(root.join("data/na.csv")).expect("na");
    let output = shelfcast(&root, &["register", "2", "--model", "na"]);
    assert!(output.status.success(), "{}", describe(&output));
    let unseen = na.replace(",S1,", ",S9,");
    // Blanks in fields training never saw missing are refused by both paths alike.
    direct_equals_frame(&root, "na:1", &unseen, 4, 30);
}
