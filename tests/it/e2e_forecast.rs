//! End to end, forecasting: the real binary in tmux, the Forecast tab on a registered lag
//! model from the keyboard: the series' chart and table, a promotion flipped, another series
//! typed, the view exported as CSV and SVG, and the terminal left cooked on quit.

use std::time::Duration;

use crate::common::project;
use crate::e2e::Tmux;

#[test]
fn the_forecast_tab_picks_a_series_flips_a_promotion_and_exports_from_the_keyboard() {
    if !Tmux::available("forecast_tab_end_to_end") {
        return;
    }
    let (_tmp, root) = project();
    crate::tui_forecast::walks_model(&root);
    let tmux = Tmux::start("forecast", &root);
    tmux.wait_for("the app", Duration::from_secs(60), |s| {
        s.contains("8 Forecast")
    });
    tmux.keys(&["8"]);
    tmux.wait_for("the first series' forecast", Duration::from_secs(30), |s| {
        s.contains("store=S0  (1 series)") && s.contains("h8") && s.contains("90% band")
    });
    tmux.keys(&["j", "p"]);
    tmux.wait_for("the plan and its uplift", Duration::from_secs(30), |s| {
        s.contains("promotion plan h2") && s.contains("uplift")
    });
    tmux.keys(&["/"]);
    tmux.keys(&["C-u"]);
    tmux.type_text("store=S3");
    tmux.keys(&["Enter"]);
    tmux.wait_for("another series", Duration::from_secs(30), |s| {
        s.contains("store=S3  (1 series)") && s.contains("promotion plan none")
    });
    tmux.keys(&["x"]);
    tmux.wait_for("the export", Duration::from_secs(30), |s| {
        s.contains("wrote") && s.contains(".svg")
    });
    for ext in ["csv", "svg"] {
        let path = root.join(format!("reports/forecast-walks-champion-store-S3.{ext}"));
        assert!(path.is_file(), "{} missing", path.display());
    }
    tmux.keys(&["q"]);
    let end = tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=")
    });
    assert!(end.contains("SHELFCAST_EXITED=0"), "{end}");
}
