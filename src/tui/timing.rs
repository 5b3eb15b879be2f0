//! What the benchmarks time of the TUI, drawn exactly as it draws: the Runs tab's first frame
//! (`bench store`), a study's view (`bench tune`), and for `bench charts` a run opened in the run
//! view on a 160×45 screen, its metrics grid redrawn as it fits the screen, as a 4 × 4 grid
//! with every mode on (log-Y on each chart, smoothing, the readout cursor), one chart big, and
//! live: the worker's new points read (only what is new) and drawn.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::compare::chart::XAxis;
use crate::project::Project;
use crate::store::RunId;
use crate::tui::app::App;
use crate::tui::panes::{Tab, runs::RunsTab};
use crate::tui::theme::Theme;

/// The open and first frame, the charts a 4 × 4 grid holds, and each mode's frame times.
pub type ChartFrames = (Duration, usize, Vec<(&'static str, Vec<Duration>)>);

/// Opens `run` and draws `redraws` frames of each mode; before each live frame `log_more`
/// writes the worker's next points (untimed). Returns the open and first frame, the charts a
/// 4 × 4 grid holds, and each mode's frame times, sorted.
pub fn run_view_frames(
    project: &Project,
    run: RunId,
    redraws: usize,
    log_more: &mut dyn FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<ChartFrames> {
    let store = project.open_store()?;
    let mut app = App::new(project, project.open_store()?, Theme::default());
    app.switch_to(Tab::Runs);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45))?;
    let started = Instant::now();
    runs_tab(&mut app)?.open_run(&store, run);
    terminal.draw(|frame| app.render(frame))?;
    let opened = started.elapsed();
    let mut time = |app: &mut App| redraw_times(&mut terminal, app, redraws);
    let mut modes = Vec::new();
    modes.push(("as the screen fits", time(&mut app)?));
    let panels = {
        let tab = runs_tab(&mut app)?;
        tab.grid.columns = Some(4);
        tab.grid.rows = Some(4);
        tab.grid.smoothed = true;
        tab.grid.axis = XAxis::Step;
        let names: Vec<String> = tab
            .panels(&Theme::monochrome())
            .iter()
            .map(|p| p.name.clone())
            .collect();
        tab.grid.log_y = names.iter().cloned().collect();
        tab.grid.cursor = Some(12_345.0);
        names.len()
    };
    modes.push(("4 × 4, log-Y, smoothed, readout", time(&mut app)?));
    runs_tab(&mut app)?.grid.big = true;
    modes.push(("one chart big", time(&mut app)?));
    runs_tab(&mut app)?.grid.big = false;
    // The live frame includes reading what was logged: time that with the draw.
    let mut read_and_draw = Vec::with_capacity(redraws);
    for _ in 0..redraws.max(1) {
        log_more()?;
        let started = Instant::now();
        runs_tab(&mut app)?.reload(&store);
        terminal.draw(|frame| app.render(frame))?;
        read_and_draw.push(started.elapsed());
    }
    read_and_draw.sort();
    modes.push(("live: read the new points and draw", read_and_draw));
    Ok((opened, panels.min(16), modes))
}

/// `redraws` frames of `app` as it stands, their times sorted.
fn redraw_times(
    terminal: &mut ratatui::Terminal<ratatui::backend::TestBackend>,
    app: &mut App,
    redraws: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(redraws);
    for _ in 0..redraws.max(1) {
        let started = Instant::now();
        terminal.draw(|frame| app.render(frame))?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

/// A study's run opened in the Runs tab and drawn on a 160×45 screen, as `bench tune` times it:
/// (the open — the study's trials, curves, importances and charts read from the store — and the
/// first frame, then the median frame of each chart redrawn `redraws` times, in chart order).
pub fn study_view_frames(
    project: &Project,
    run: crate::store::RunId,
    redraws: usize,
) -> anyhow::Result<(std::time::Duration, Vec<std::time::Duration>)> {
    let store = project.open_store()?;
    let mut app = App::new(project, store, Theme::default());
    app.switch_to(Tab::Runs);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45))?;
    let started = Instant::now();
    {
        let store = project.open_store()?;
        app.pane_mut::<RunsTab>()
            .context("the Runs tab is missing")?
            .open_run(&store, run);
    }
    terminal.draw(|frame| app.render(frame))?;
    let opened = started.elapsed();
    let charts = app
        .pane::<RunsTab>()
        .and_then(|runs| runs.detail.study.as_ref())
        .map(crate::tui::panes::runs::study_chart_count)
        .context("the run is not a study's")?;
    let mut medians = Vec::new();
    for chart in 0..charts {
        if let Some(runs) = app.pane_mut::<RunsTab>() {
            runs.study_chart = chart;
        }
        let times = redraw_times(&mut terminal, &mut app, redraws)?;
        medians.push(times[times.len() / 2]);
    }
    Ok((opened, medians))
}

/// The Runs tab's first frame of `project`, as the TUI draws it at start (opening the store with
/// its dead-run check, the runs query, the table on a 160×45 screen): `bench store` times it.
/// Returns how many runs the table lists.
pub fn runs_first_frame(project: &Project) -> anyhow::Result<usize> {
    let store = project.open_store()?;
    let mut app = App::new(project, store, Theme::default());
    app.switch_to(Tab::Runs);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45))?;
    terminal.draw(|frame| app.render(frame))?;
    app.pane::<RunsTab>()
        .map(|runs| runs.rows.len())
        .context("the Runs tab is missing")
}

fn runs_tab(app: &mut App) -> anyhow::Result<&mut RunsTab> {
    app.pane_mut::<RunsTab>().context("the Runs tab is missing")
}
