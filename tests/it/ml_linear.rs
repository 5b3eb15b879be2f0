//! Linear models on data with a known answer: y = 3 + 2 x1 - 0.5 x2 (+ small noise), x3 idle.

use shelfcast::data::sample::SampleRng;
use shelfcast::ml::features::Matrix;
use shelfcast::ml::linear::{LinearKind, LinearModel, LinearParams, train_linear};

fn data(rows: usize) -> (Matrix, Vec<f64>) {
    let mut rng = SampleRng::new(11);
    let mut values = Vec::with_capacity(rows * 3);
    let mut y = Vec::with_capacity(rows);
    for _ in 0..rows {
        let (x1, x2, x3) = (
            rng.range(0.0, 10.0),
            rng.range(-5.0, 5.0),
            rng.range(0.0, 1.0),
        );
        values.extend([x1, x2, x3]);
        y.push(3.0 + 2.0 * x1 - 0.5 * x2 + 0.01 * rng.normal());
    }
    let names = ["x1", "x2", "x3"].map(String::from).to_vec();
    (
        Matrix {
            rows,
            names,
            values,
        },
        y,
    )
}

fn raw_coefficients(model: &LinearModel) -> Vec<f64> {
    model
        .coefficients
        .iter()
        .zip(&model.standardizer.std)
        .map(|(c, s)| c / s)
        .collect()
}

#[test]
fn ordinary_least_squares_recovers_the_coefficients() {
    let (x, y) = data(500);
    let model = train_linear(&LinearParams::defaults(LinearKind::Linear), &x, &y).expect("fit");
    let raw = raw_coefficients(&model);
    assert!(
        (raw[0] - 2.0).abs() < 0.01 && (raw[1] + 0.5).abs() < 0.01,
        "{raw:?}"
    );
    assert!(raw[2].abs() < 0.01, "{raw:?}");
    let predicted = model.predict(&x).expect("predict");
    let worst = predicted
        .iter()
        .zip(&y)
        .map(|(p, t)| (p - t).abs())
        .fold(0.0, f64::max);
    assert!(worst < 0.1, "worst error {worst}");
    let importance = model.importance();
    assert_eq!(importance[0].0, "x1");
    // Saved as plain JSON, it predicts the same to the last bit.
    let loaded: LinearModel =
        serde_json::from_str(&serde_json::to_string(&model).expect("save")).expect("load");
    assert_eq!(loaded.predict(&x).expect("a"), predicted);
}

#[test]
fn penalties_shrink_and_the_lasso_drops_the_idle_feature() {
    let (x, y) = data(500);
    let plain = train_linear(&LinearParams::defaults(LinearKind::Linear), &x, &y).expect("ols");
    let mut ridge = LinearParams::defaults(LinearKind::Ridge);
    ridge.set("alpha", "500").expect("alpha");
    let ridge = train_linear(&ridge, &x, &y).expect("ridge");
    let norm = |m: &LinearModel| m.coefficients.iter().map(|c| c * c).sum::<f64>();
    assert!(norm(&ridge) < 0.9 * norm(&plain), "ridge did not shrink");
    let mut lasso = LinearParams::defaults(LinearKind::Lasso);
    lasso.set("alpha", "0.1").expect("alpha");
    let lasso = train_linear(&lasso, &x, &y).expect("lasso");
    assert!(
        // smartcore's lasso is an interior-point solver: "dropped" is within 1e-4 of zero.
        lasso.coefficients[2].abs() < 1e-4 * lasso.coefficients[0].abs(),
        "{:?}",
        lasso.coefficients
    );
    assert!(lasso.coefficients[0] > 1.0, "{:?}", lasso.coefficients);
    let mut enet = LinearParams::defaults(LinearKind::ElasticNet);
    enet.set("l1_ratio", "0.9").expect("ratio");
    enet.set("alpha", "0.1").expect("alpha");
    assert!(train_linear(&enet, &x, &y).is_ok());
}

#[test]
fn bad_linear_inputs_are_refused_clearly() {
    let mut params = LinearParams::defaults(LinearKind::Ridge);
    let error = params.set("alpha", "-1").expect_err("negative").to_string();
    assert!(
        error.contains("alpha") && error.contains("above 0"),
        "{error}"
    );
    let error = params
        .set("l1_ratio", "0.5")
        .expect_err("not ridge's")
        .to_string();
    assert!(
        error.contains("a parameter of this model: alpha"),
        "{error}"
    );
    let mut enet = LinearParams::defaults(LinearKind::ElasticNet);
    let error = enet.set("l1_ratio", "2").expect_err("ratio").to_string();
    assert!(error.contains("0 to 1"), "{error}");
    let (x, y) = data(3);
    let error = train_linear(&LinearParams::defaults(LinearKind::Linear), &x, &y)
        .expect_err("3 rows, 3 features")
        .to_string();
    assert!(error.contains("more rows than features"), "{error}");
}
