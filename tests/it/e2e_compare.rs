//! End to end, comparing: three runs trained with different parameters (and one with another
//! model), filtered and marked in the real TUI in tmux, compared, "only differences" toggled, and
//! the comparison exported as an SVG that exists and parses.

use std::process::Command;
use std::time::Duration;

use crate::common::{describe, sales_project, train_sales};
use crate::e2e::Tmux;

#[test]
fn three_runs_are_filtered_marked_compared_and_exported_from_the_tui() {
    if !Tmux::available("tui_compare_end_to_end") {
        return;
    }
    let (_tmp, root) = sales_project(2, 3, 40);
    for (model, rounds, name) in [
        ("gbdt", "20", "depth-20"),
        ("gbdt", "40", "depth-40"),
        ("gbdt", "60", "depth-60"),
        ("ridge", "", "baseline"),
    ] {
        let param = format!("rounds={rounds}");
        let mut extra = vec!["--model", model, "--name", name];
        if !rounds.is_empty() {
            extra.extend(["--param", param.as_str()]);
        }
        train_sales(&root, 6, &extra);
    }
    let tmux = Tmux::start("compare", &root);
    tmux.wait_for("the datasets tab", Duration::from_secs(60), |s| {
        s.contains("sales.csv")
    });
    tmux.keys(&["3"]);
    tmux.wait_for("four runs", Duration::from_secs(20), |s| {
        s.contains("Runs (4)")
    });
    tmux.keys(&["/"]);
    tmux.type_text("params.model = \"gbdt\" and metrics.rmse > 0");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the three gbdt runs", Duration::from_secs(20), |s| {
        s.contains("Runs (3)") && !s.contains("baseline")
    });
    tmux.keys(&["Space", "Space", "Space"]);
    tmux.wait_for("three marked", Duration::from_secs(20), |s| {
        s.contains("3 marked")
    });
    tmux.keys(&["C"]);
    tmux.wait_for("the compare tab", Duration::from_secs(20), |s| {
        s.contains("Params —") && s.contains("depth-20") && s.contains("depth-60")
    });
    tmux.keys(&["d"]);
    let differences = tmux.wait_for("only the differences", Duration::from_secs(20), |s| {
        s.contains("(only differences")
    });
    assert!(differences.contains("model.rounds"), "{differences}");
    assert!(
        !differences.contains("model.max_depth"),
        "equal params hidden:\n{differences}"
    );
    tmux.keys(&["Tab", "Tab"]);
    tmux.wait_for("the curves", Duration::from_secs(20), |s| {
        s.contains("valid_loss") && s.contains("charts") && s.contains("x: step")
    });
    tmux.keys(&["e"]);
    let screen = tmux.wait_for("the export", Duration::from_secs(20), |s| {
        s.contains("wrote reports/compare-")
    });
    let svg = std::fs::read_dir(root.join("reports"))
        .expect("reports/")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "svg"))
        .unwrap_or_else(|| panic!("no SVG written:\n{screen}"));
    let text = std::fs::read_to_string(&svg).expect("read svg");
    assert!(text.contains("depth-40"), "the legend names the runs");
    // The SVG parses as XML (with Python's parser when there is one, else by its frame).
    match Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom as m; m.parse(sys.argv[1]); print('ok')",
        ])
        .arg(&svg)
        .output()
    {
        Ok(output) if output.status.success() => {
            assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok");
        }
        Ok(output) => panic!("the SVG does not parse: {}", describe(&output)),
        Err(_) => assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>")),
    }
    tmux.keys(&["q"]);
    tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=0")
    });
}
