//! End to end, monitoring: the real binary in tmux, the Monitor tab on a model whose forecast
//! has its actuals: the alerts, the stores worst first, a store opened with Enter, the HTML
//! report written with `h`, and the terminal left cooked on quit.

use std::time::Duration;

use crate::common::project;
use crate::e2e::Tmux;

#[test]
fn the_monitor_tab_shows_the_alerts_opens_a_store_and_writes_the_report() {
    if !Tmux::available("monitor_tab_end_to_end") {
        return;
    }
    let (_tmp, root) = project();
    crate::tui_monitor::monitored_walks(&root);
    let tmux = Tmux::start("monitor", &root);
    tmux.wait_for("the app", Duration::from_secs(60), |s| {
        s.contains("0 Monitor")
    });
    tmux.keys(&["0"]);
    tmux.wait_for("the scored weeks", Duration::from_secs(30), |s| {
        s.contains("wape by week")
            && s.contains("24 predictions")
            && s.contains("Segments by wape, worst first")
            && s.contains("in a row above the reference band")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("one store", Duration::from_secs(30), |s| {
        s.contains(": forecast against the actuals")
    });
    tmux.keys(&["h"]);
    tmux.wait_for("the report", Duration::from_secs(30), |s| {
        s.contains("wrote reports/monitor-walks-")
    });
    let written: Vec<_> = std::fs::read_dir(root.join("reports"))
        .expect("reports")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("monitor-walks-")
        })
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    tmux.keys(&["Escape", "q"]);
    let end = tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=")
    });
    assert!(end.contains("SHELFCAST_EXITED=0"), "{end}");
}
