//! The run view's metrics grid: which charts it has (the losses together, train and validation,
//! then every other series of the run, the system series last), the pinned reference run's line
//! in each, and the grid's keys, looked up before the Runs table's while a run is open.

use super::*;
use crate::jobs::worker::{TRAIN_LOSS, VALID_LOSS};
use crate::tui::theme::Theme;
use crate::tui::widgets::chart_grid::{ChartLine, ChartPanel, GridOutcome};

impl RunsTab {
    /// The open run's charts, with the pinned run's line in each where it has the series.
    pub fn panels<'a>(&'a self, theme: &Theme) -> Vec<ChartPanel<'a>> {
        let Some(series) = self.series.as_ref() else {
            return Vec::new();
        };
        run_panels(&self.detail.loss_name, series, self.pinned_series.as_ref(), theme)
    }

    /// A key of the run view's grid, when it is one.
    pub(super) fn grid_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> Option<EventState> {
        if self.open.is_none() || self.detail.study.is_some() {
            return None;
        }
        // A key needs which series a chart holds, not its colours: a plain theme.
        let theme = Theme::monochrome();
        let mut grid = std::mem::take(&mut self.grid);
        let outcome = grid.handle_key(key, ctx.keys, &self.panels(&theme));
        self.grid = grid;
        (outcome == GridOutcome::Consumed).then_some(EventState::Consumed)
    }
}

/// The charts of one run: the losses (train and validation in one chart, named by the loss),
/// then each other series with more than one point.
pub fn run_panels<'a>(
    loss_name: &str,
    series: &'a RunSeries,
    pinned: Option<&'a RunSeries>,
    theme: &Theme,
) -> Vec<ChartPanel<'a>> {
    let keys = series.chart_keys();
    let reference = |key: &'a str, lines: &mut Vec<ChartLine<'a>>| {
        if let Some(pinned) = pinned.filter(|p| p.series.contains_key(key)) {
            lines.push(ChartLine {
                runs: pinned,
                key,
                label: format!("◆ run {} {}", pinned.run, short_name(key)),
                style: theme.reference,
                reference: true,
            });
        }
    };
    let mut panels = Vec::new();
    let losses: Vec<(&str, &str, ratatui::style::Style)> = [
        (TRAIN_LOSS, "train", theme.bar),
        (VALID_LOSS, "validation", theme.warning),
    ]
    .into_iter()
    .filter(|(key, _, _)| keys.contains(key))
    .collect();
    if !losses.is_empty() {
        let mut lines = Vec::new();
        for (key, label, style) in &losses {
            lines.push(ChartLine {
                runs: series,
                key,
                label: label.to_string(),
                style: *style,
                reference: false,
            });
        }
        reference(VALID_LOSS, &mut lines);
        let name = if loss_name.is_empty() { "loss" } else { loss_name };
        panels.push(ChartPanel {
            name: format!("loss {TRAIN_LOSS} {VALID_LOSS}"),
            title: format!("{name} per step — train ▪ validation"),
            lines,
        });
    }
    for key in keys {
        if key == TRAIN_LOSS || key == VALID_LOSS {
            continue;
        }
        let mut lines = vec![ChartLine {
            runs: series,
            key,
            label: format!("run {}", series.run),
            style: theme.bar,
            reference: false,
        }];
        reference(key, &mut lines);
        panels.push(ChartPanel {
            name: key.to_string(),
            title: key.to_string(),
            lines,
        });
    }
    panels
}

/// `valid_loss` as "validation", `train_loss` as "train", other keys as they are.
fn short_name(key: &str) -> &str {
    match key {
        VALID_LOSS => "validation",
        TRAIN_LOSS => "train",
        other => other,
    }
}
