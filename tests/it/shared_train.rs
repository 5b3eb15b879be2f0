//! Training on the real public datasets of ../shared/data (skipped, saying why, when absent):
//! Telco churn as binary classification, and Rossmann with its store table joined as a lookup.

use shelfcast::ml::models::ModelKind;
use shelfcast::ml::train::{Evaluation, TrainSpec, prepare, train};
use shelfcast::store::{RunStatus, RunStore};

use crate::common::{describe, project, sha256_of, shared_data, shelfcast};

#[test]
fn telco_churn_gradient_boosting_and_logistic_regression_rank_churners() {
    let Some(dir) = shared_data("telco_churn_training") else {
        return;
    };
    let (_tmp, root) = project();
    std::fs::copy(
        dir.join("telco_customer_churn.csv"),
        root.join("data/telco.csv"),
    )
    .expect("copy");
    for (model, params) in [
        (
            ModelKind::Gbdt,
            vec![
                ("rounds", "150"),
                ("max_depth", "3"),
                ("learning_rate", "0.05"),
            ],
        ),
        (ModelKind::Logistic, vec![]),
    ] {
        let spec = TrainSpec {
            data: "data/telco.csv".into(),
            lookups: Vec::new(),
            read: Default::default(),
            target: "Churn".into(),
            task: None,
            // Every column but the customer id.
            features: Vec::new(),
            lags: None,
            log1p: false,
            model,
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            split: "random:0.2".into(),
            seed: 42,
            until: None,
            backtest: None,
        };
        let mut spec = spec;
        spec.features = prepare(&root, &spec)
            .expect("prepare")
            .features
            .into_iter()
            .filter(|f| f != "customerID")
            .collect();
        let prepared = prepare(&root, &spec).expect("prepare");
        assert_eq!(prepared.target.positive.as_deref(), Some("Yes"));
        let trained = train(&prepared, &mut |_| true, &mut |_| {}).expect("train");
        assert!(
            trained
                .pipeline
                .feature_names
                .iter()
                .any(|n| n == "TotalCharges__missing"),
            "the 11 blank TotalCharges get a missing flag"
        );
        let Evaluation::BinaryClassification(m) = &trained.valid_metrics else {
            panic!("classification expected");
        };
        let auc = m.roc_auc.expect("auc");
        println!(
            "telco {model}: ROC AUC {auc:.4}, PR AUC {:.4}, log loss {:.4}",
            m.pr_auc.unwrap_or(f64::NAN),
            m.log_loss
        );
        assert!(auc > 0.80, "{model}: {auc}");
        assert!(m.pr_auc.is_some_and(|p| p > 0.55), "{model}: {m:?}");
        assert!(m.log_loss < 0.48, "{model}: {}", m.log_loss);
    }
}

#[test]
fn rossmann_trains_with_its_store_table_joined_and_recorded() {
    let Some(dir) = shared_data("rossmann_lookup_training") else {
        return;
    };
    let (_tmp, root) = project();
    // The first 30,000 rows (about a month of every store): the full file is a benchmark's job.
    let text = std::fs::read_to_string(dir.join("rossmann_train.csv")).expect("read");
    let head: String = text
        .lines()
        .take(30_001)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(root.join("data/rossmann_head.csv"), head).expect("head");
    std::fs::copy(
        dir.join("rossmann_store.csv"),
        root.join("data/rossmann_store.csv"),
    )
    .expect("store table");
    let output = shelfcast(
        &root,
        &[
            "train",
            "--data",
            "data/rossmann_head.csv",
            "--target",
            "Sales",
            "--features",
            "Store,DayOfWeek,Date,Open,Promo,StateHoliday,SchoolHoliday,StoreType,Assortment,\
             CompetitionDistance,Promo2",
            "--lookup",
            "data/rossmann_store.csv:Store",
            "--split",
            "time:Date:7",
            "--param",
            "rounds=60",
            "--wait",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let store = RunStore::open(&root.join("runs.db")).expect("open");
    let run = store.get_run(1).expect("run");
    assert_eq!(run.status, RunStatus::Finished, "{:?}", run.error);
    let tags = store.tags(1).expect("tags");
    let lookup_sha = sha256_of(&root.join("data/rossmann_store.csv"));
    assert!(
        tags.contains(&("lookup.sha256".to_string(), lookup_sha)),
        "{tags:?}"
    );
    let params = store.params(1).expect("params");
    assert!(
        params
            .iter()
            .any(|(k, v)| k == "lookup" && v.contains("rossmann_store.csv on Store")),
        "{params:?}"
    );
    let r2 = store
        .metric_history(1, "r2")
        .expect("r2")
        .pop()
        .expect("r2")
        .value;
    println!("rossmann head, 7 days held out: R2 {r2:.3}");
    assert!(r2 > 0.6, "R2 {r2}");
}
