//! Evaluation metrics against scikit-learn 1.x on the same numbers (figures computed once with
//! sklearn.metrics and numpy; the inputs include zero targets and tied scores on purpose).

use shelfcast::ml::MlError;
use shelfcast::ml::metrics::{classification_metrics, regression_metrics, roc_auc};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn regression_metrics_match_scikit_learn() {
    let actual = [10.0, 0.0, 5.0, 8.0, 12.0, 0.0, 7.0];
    let predicted = [11.0, 1.0, 4.0, 8.5, 10.0, 0.5, 9.0];
    let m = regression_metrics(&actual, &predicted).expect("metrics");
    assert_eq!(m.rows, 7);
    assert!(close(m.rmse, 1.2817398889233114), "rmse {}", m.rmse);
    assert!(close(m.mae, 1.1428571428571428), "mae {}", m.mae);
    assert!(
        close(m.mape.expect("mape"), 16.297619047619047),
        "mape {:?}",
        m.mape
    );
    assert_eq!(m.mape_zero_targets_skipped, 2);
    assert!(close(m.wape.expect("wape"), 19.047619047619047));
    assert!(close(m.r2.expect("r2"), 0.9115384615384615));
    assert!(close(m.bias, 0.2857142857142857));
}

#[test]
fn regression_metrics_say_what_they_cannot_compute() {
    let m = regression_metrics(&[0.0, 0.0], &[1.0, 0.0]).expect("metrics");
    assert_eq!((m.mape, m.wape, m.r2), (None, None, None));
    assert_eq!(m.mape_zero_targets_skipped, 2);
    assert!(matches!(
        regression_metrics(&[1.0], &[1.0, 2.0]),
        Err(MlError::LengthMismatch {
            actual: 1,
            predicted: 2,
            ..
        })
    ));
    assert!(matches!(
        regression_metrics(&[], &[]),
        Err(MlError::Empty(_))
    ));
    let error = regression_metrics(&[1.0, 2.0], &[1.0, f64::NAN]).expect_err("NaN");
    assert!(error.to_string().contains("row 1"), "{error}");
}

#[test]
fn classification_metrics_match_scikit_learn() {
    let labels = [
        true, false, true, true, false, false, true, false, true, false,
    ];
    let scores = [0.9, 0.3, 0.6, 0.6, 0.6, 0.1, 0.45, 0.7, 0.8, 0.2];
    let m = classification_metrics(&labels, &scores).expect("metrics");
    assert_eq!((m.rows, m.positives), (10, 5));
    assert!(close(m.roc_auc.expect("auc"), 0.8), "auc {:?}", m.roc_auc);
    assert!(
        close(m.pr_auc.expect("ap"), 0.8095238095238095),
        "ap {:?}",
        m.pr_auc
    );
    assert!(
        close(m.log_loss, 0.49541055578326487),
        "log loss {}",
        m.log_loss
    );
    assert!(close(m.accuracy, 0.7));
    assert!(close(m.precision, 0.6666666666666666));
    assert!(close(m.recall, 0.8));
    assert!(close(m.f1, 0.7272727272727273));
    let c = m.confusion;
    assert_eq!(
        (
            c.true_negative,
            c.false_positive,
            c.false_negative,
            c.true_positive
        ),
        (3, 2, 1, 4)
    );
}

#[test]
fn roc_auc_agrees_with_counting_every_pair() {
    // An independent definition: over all (positive, negative) pairs, 1 for a win, 1/2 a tie.
    let mut rng = shelfcast::data::sample::SampleRng::new(3);
    let labels: Vec<bool> = (0..400).map(|_| rng.chance(0.3)).collect();
    let scores: Vec<f64> = (0..400)
        .map(|_| (rng.uniform() * 20.0).floor() / 20.0)
        .collect();
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (i, &li) in labels.iter().enumerate() {
        for (j, &lj) in labels.iter().enumerate() {
            if li && !lj {
                pairs += 1.0;
                wins += match scores[i].total_cmp(&scores[j]) {
                    std::cmp::Ordering::Greater => 1.0,
                    std::cmp::Ordering::Equal => 0.5,
                    std::cmp::Ordering::Less => 0.0,
                };
            }
        }
    }
    assert!(close(roc_auc(&labels, &scores).expect("auc"), wins / pairs));
    assert_eq!(
        roc_auc(&[true, true], &[0.2, 0.9]),
        None,
        "one class has no AUC"
    );
}

#[test]
fn probabilities_outside_zero_to_one_are_refused_with_their_row() {
    let error = classification_metrics(&[true, false], &[0.4, 1.2]).expect_err("1.2");
    assert!(
        matches!(error, MlError::NotAProbability { row: 1, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("row 1"));
}
