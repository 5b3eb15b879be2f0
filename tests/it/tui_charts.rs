//! The metrics grid in-process: a run's losses and system series in small charts, a pinned
//! reference run drawn in them and listed first, log-Y changing the axis labels, the readout
//! stepping through points, the filter, the big chart, the split, and Compare's Δ against the
//! pinned baseline. Snapshots of the grid, log-Y and the readout.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shelfcast::store::{MetricPoint, RunStore};
use shelfcast::tui::app::App;
use shelfcast::tui::panes::Tab;

use crate::tui::{Panes, key, typed};
use crate::tui_train::{app_for, sales_fixture, seed_runs};

fn draw(app: &mut App) -> Terminal<TestBackend> {
    crate::tui::draw(app, 120, 36)
}

fn text(app: &mut App) -> String {
    crate::tui::screen_text(&draw(app))
}

/// What the finished run's worker sampled: CPU and memory every second, and its peak.
fn seed_system_series(root: &std::path::Path) {
    let mut store = RunStore::open(&root.join("runs.db")).expect("store");
    let mut points = Vec::new();
    for (step, (cpu, rss)) in [
        (180.0, 120.0),
        (195.0, 180.0),
        (150.0, 240.0),
        (190.0, 260.0),
        (60.0, 250.0),
    ]
    .iter()
    .enumerate()
    {
        let t = 1_700_000_000_000 + step as i64 * 1_000;
        points.push(MetricPoint {
            key: "sys.cpu_percent".into(),
            step: step as i64,
            value: *cpu,
            timestamp_ms: t,
        });
        points.push(MetricPoint {
            key: "sys.rss_mb".into(),
            step: step as i64,
            value: *rss,
            timestamp_ms: t,
        });
    }
    points.push(MetricPoint {
        key: "sys.peak_rss_mb".into(),
        step: 0,
        value: 268.0,
        timestamp_ms: 1_700_000_004_500,
    });
    store.log_metrics(1, &points).expect("system points");
}

/// The y axis labels of the screen's first chart: the numbers left of its axis line.
fn first_chart_labels(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip(4)
        .take(12)
        .filter_map(|line| {
            let inner = line.split('│').nth(1)?.trim();
            (!inner.is_empty()).then(|| inner.to_string())
        })
        .collect()
}

#[test]
fn the_run_view_grid_shows_every_series_a_pinned_run_log_y_and_a_readout() {
    let (_tmp, root) = sales_fixture();
    seed_runs(&root);
    seed_system_series(&root);
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('3'));
    // Runs newest first: 3, 2, 1. Pin the failed run 2: it leads the table, marked.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.runs().pinned, Some(2));
    assert_eq!(app.runs().rows[0].run.id, 2, "the pinned run first");
    let list = text(&mut app);
    assert!(
        list.contains("◆ run 2 pinned") && list.contains("◆ 2"),
        "{list}"
    );

    // Open the finished run 1: the losses (with the pinned run's validation loss) and the
    // system series, each a chart.
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.runs().open, Some(1));
    let names: Vec<String> = {
        let theme = shelfcast::tui::theme::Theme::monochrome();
        let runs = app.runs();
        let panels = runs.panels(&theme);
        let loss = &panels[0];
        assert!(
            loss.lines.iter().any(|l| l.reference && l.runs.run == 2),
            "the pinned run is drawn in the loss chart"
        );
        panels.iter().map(|p| p.name.clone()).collect()
    };
    assert_eq!(
        names,
        [
            "loss train_loss valid_loss",
            "sys.cpu_percent",
            "sys.rss_mb"
        ]
    );
    let grid = text(&mut app);
    assert!(grid.contains("3 of 3 charts"), "{grid}");
    assert!(
        grid.contains("peak 268 MB"),
        "the peak in the metrics: {grid}"
    );
    insta::assert_snapshot!("run_view_grid", draw(&mut app).backend());

    // Log-Y on the loss chart: its title says so and its labels are the values at log steps.
    let linear = first_chart_labels(&grid);
    key(&mut app, KeyCode::Char('y'));
    let logged = text(&mut app);
    assert!(logged.contains("┌ log · RMSE per step"), "{logged}");
    let log_labels = first_chart_labels(&logged);
    assert_ne!(linear, log_labels, "log-Y changes the labels:\n{logged}");
    insta::assert_snapshot!("run_view_log_y", draw(&mut app).backend());

    // The readout: ← starts at the last point, then steps back; each line's value and best.
    key(&mut app, KeyCode::Left);
    assert_eq!(app.runs().grid.cursor, Some(40.0));
    key(&mut app, KeyCode::Left);
    assert_eq!(app.runs().grid.cursor, Some(39.0));
    let readout = text(&mut app);
    assert!(
        readout.contains("step 39") && readout.contains("◆ run 2 validation"),
        "{readout}"
    );
    insta::assert_snapshot!("run_view_readout", draw(&mut app).backend());
    // Esc drops the cursor first, and only then leaves the run.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.runs().grid.cursor, None);
    assert_eq!(app.runs().open, Some(1));

    // The filter keeps the charts whose name holds the text; Enter makes the focused one big.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "rss");
    key(&mut app, KeyCode::Enter);
    let filtered = text(&mut app);
    assert!(
        filtered.contains("1 of 3 charts") && filtered.contains("sys.rss_mb"),
        "{filtered}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(app.runs().grid.big);
    key(&mut app, KeyCode::Esc);
    assert!(!app.runs().grid.big);
    // c and r set the grid's shape; > widens the charts' side of the split.
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.runs().grid.columns, Some(1));
    let before = app.runs().split.percent;
    key(&mut app, KeyCode::Char('>'));
    assert_eq!(app.runs().split.percent, before + 5);

    // Compare two runs: the pinned run comes first as the baseline, with Δ and % against it.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('C'));
    assert_eq!(app.active, Tab::Compare);
    assert_eq!(app.compare().ids.first(), Some(&2), "the baseline first");
    key(&mut app, KeyCode::Tab);
    let metrics = text(&mut app);
    assert!(
        metrics.contains("◆ baseline 2") && metrics.contains("against the pinned baseline"),
        "{metrics}"
    );
    assert!(
        metrics.contains("(Δ "),
        "a difference against the baseline: {metrics}"
    );
    key(&mut app, KeyCode::Tab);
    let curves = text(&mut app);
    assert!(
        curves.contains("sys.rss_mb") && curves.contains("valid_loss"),
        "{curves}"
    );
}
