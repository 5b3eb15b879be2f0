//! The Forecast tab in-process: a registered lag model's series, its chart and table, the
//! number the forecast file gives, a promotion flipped from the keyboard, the CSV and SVG.

use crossterm::event::KeyCode;
use shelfcast::tui::panes::Tab;

use crate::common::{describe, project, shelfcast};
use crate::forecast::random_walks;
use crate::tui::{Panes, draw, key, screen_text, settle};

/// Random walks by store with a promotion flag, a lag model trained and registered.
pub(crate) fn walks_model(root: &std::path::Path) {
    std::fs::write(root.join("data/walks.csv"), random_walks(6, 90)).expect("data");
    crate::forecast::train_walks(
        root,
        &[
            "--split",
            "time:week:8",
            "--lags",
            "1,2",
            "--param",
            "rounds=40",
        ],
    );
    let output = shelfcast(
        root,
        &["register", "1", "--model", "walks", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
}

#[test]
fn the_forecast_tab_charts_a_series_flips_a_promotion_and_exports() {
    let (_tmp, root) = project();
    walks_model(&root);
    let out = root.join("forecast.csv").display().to_string();
    let output = shelfcast(
        &root,
        &[
            "forecast",
            "--model",
            "walks@champion",
            "--horizon",
            "8",
            "--carry-forward",
            "--output",
            &out,
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let file = std::fs::read_to_string(&out).expect("forecast");
    let file_step = |step: &str| -> f64 {
        file.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|c| c[0] == "S0" && c[2] == step)
            .and_then(|c| c[3].parse().ok())
            .expect("S0's row")
    };

    let mut app = crate::tui::app_for(&root);
    settle(&mut app);
    app.switch_to(Tab::Forecast);
    settle(&mut app);
    let tab = app.forecast();
    assert_eq!(tab.filter, "store=S0", "the first series to start with");
    assert_eq!(tab.horizon, 8, "the model's validation horizon");
    let view = tab.view.clone().expect("a forecast");
    assert_eq!(view.series, 1);
    assert_eq!(view.points.len(), 8);
    assert_eq!(
        view.history.len(),
        52,
        "a year of history before the forecast"
    );
    // The tab's number is the forecast file's, to the bit.
    assert_eq!(view.points[0].forecast, file_step("1"));
    assert_eq!(view.points[7].forecast, file_step("8"));
    insta::assert_snapshot!("forecast_pane", draw(&mut app, 120, 30).backend());

    // Flip the promotion of the second period: the plan's forecast differs there, and the
    // first period is untouched.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('p'));
    settle(&mut app);
    let view = app.forecast().view.clone().expect("a forecast");
    let (first, second) = (&view.points[0], &view.points[1]);
    assert_eq!(first.planned, Some(first.forecast), "{:?}", view.points);
    let uplift = second.planned.expect("planned") - second.forecast;
    println!("S0: flipping the promotion of week 2 changes it by {uplift:+.2} units");
    assert!(uplift.abs() > 1.0, "{uplift}");
    let screen = screen_text(&draw(&mut app, 120, 30));
    assert!(screen.contains("promotion plan h2"), "{screen}");
    assert!(screen.contains("uplift"), "{screen}");

    // A sum: every store at once.
    key(&mut app, KeyCode::Char('a'));
    settle(&mut app);
    let all = app.forecast().view.clone().expect("a forecast");
    assert_eq!(all.series, 6);
    let sum: f64 = file
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(2) == Some("1"))
        .filter_map(|l| l.split(',').nth(3).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    assert!((all.points[0].forecast - sum).abs() < 1e-6, "{sum}");

    // A key the model does not have is refused as typed.
    key(&mut app, KeyCode::Char('/'));
    for c in "shop=1".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let message = app.forecast().message.clone().expect("a message");
    assert!(
        message.1.contains("not a series key of this model"),
        "{message:?}"
    );
    key(&mut app, KeyCode::Esc);

    key(&mut app, KeyCode::Char('x'));
    settle(&mut app);
    let message = app.forecast().message.clone().expect("a message");
    assert!(!message.0, "{message:?}");
    let csv = root.join("reports/forecast-walks-champion-all-series.csv");
    let svg = root.join("reports/forecast-walks-champion-all-series.svg");
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.starts_with("date,kind,step,value,lower,upper,planned,uplift,promoted\n"));
    assert_eq!(text.lines().filter(|l| l.contains(",forecast,")).count(), 8);
    assert!(std::fs::read_to_string(&svg).expect("svg").contains("<svg"));
}
