//! Champion / challenger by policy: a challenger trained like the champion on new data, both
//! scored on the same hold-out, promoted only by the margin (and a Diebold-Mariano test when
//! asked); the decision recorded and carried by the alias it moves.

use serde_json::Value;

use crate::common::{describe, project, shelfcast};
use crate::forecast::{random_walks, train_walks};

fn challenge(root: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["challenge"];
    all.extend_from_slice(args);
    all.push("--json");
    let output = shelfcast(root, &all);
    assert!(output.status.success(), "{}", describe(&output));
    serde_json::from_slice(&output.stdout).expect("json")
}

#[test]
fn a_challenger_is_promoted_only_when_it_wins_on_the_same_hold_out_by_the_margin() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(4, 70)).expect("data");
    // A weak champion (3 rounds) so a full challenger beats it clearly.
    train_walks(
        &root,
        &[
            "--split",
            "time:week:8",
            "--lags",
            "1,2",
            "--param",
            "rounds=3",
        ],
    );
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "walks", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    std::fs::write(root.join("data/new.csv"), random_walks(4, 90)).expect("new data");

    // An impossible margin keeps the champion; the challenger is registered as challenger.
    let kept = challenge(
        &root,
        &["walks", "--data", "data/new.csv", "--margin", "100"],
    );
    assert_eq!(kept["promoted"], false, "{kept}");
    assert_eq!(kept["champion_version"], 1);
    assert_eq!(kept["challenger_version"], 2);
    let (champion, challenger) = (
        kept["champion_score"].as_f64().expect("champion"),
        kept["challenger_score"].as_f64().expect("challenger"),
    );
    println!("champion WAPE {champion:.2}%, challenger {challenger:.2}% on the same rows");
    assert!(
        kept["why"]
            .as_str()
            .is_some_and(|w| w.starts_with("kept the champion")),
        "{kept}"
    );

    // The default margin (2%) with the Diebold-Mariano test.
    let decided = challenge(&root, &["walks", "--data", "data/new.csv", "--dm"]);
    let gain = (decided["champion_score"].as_f64().expect("c")
        - decided["challenger_score"].as_f64().expect("ch"))
        / decided["champion_score"].as_f64().expect("c");
    let p = decided["p_value"].as_f64().expect("a p-value");
    println!(
        "gain {:.1}%, Diebold-Mariano p = {p:.4}: {}",
        100.0 * gain,
        decided["why"]
    );
    assert_eq!(decided["promoted"], gain >= 0.02 && p < 0.05, "{decided}");

    // The alias history carries each decision.
    let output = shelfcast(&root, &["models", "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("kept the champion: challenger WAPE"),
        "{text}"
    );

    // With no champion, the first model that beats seasonal naive is promoted.
    let output = shelfcast(&root, &["register", "1", "--model", "fresh"]);
    assert!(output.status.success(), "{}", describe(&output));
    let first = challenge(&root, &["fresh", "--data", "data/new.csv"]);
    assert!(first["champion_version"].is_null());
    assert!(
        first["why"]
            .as_str()
            .is_some_and(|w| w.starts_with("no champion yet")),
        "{first}"
    );
}
