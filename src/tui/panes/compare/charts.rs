//! The curves section's charts: one per metric any compared run logged more than once (system
//! series last), a line per run in its colour; the pinned baseline's line drawn dim.

use super::CompareTab;
use super::view::run_style;
use crate::tui::theme::Theme;
use crate::tui::widgets::chart_grid::{ChartGrid, ChartLine, ChartPanel};

impl CompareTab {
    /// `act` on the grid with the charts it shows: the grid is taken out while the panels borrow
    /// the series (a key needs which series a chart holds, not its colours: a plain theme).
    pub(super) fn with_grid<R>(
        &mut self,
        act: impl FnOnce(&mut ChartGrid, &[ChartPanel<'_>]) -> R,
    ) -> R {
        let mut grid = std::mem::take(&mut self.grid);
        let result = act(&mut grid, &self.panels(&Theme::monochrome()));
        self.grid = grid;
        result
    }

    pub(super) fn panels<'a>(&'a self, theme: &Theme) -> Vec<ChartPanel<'a>> {
        let mut keys: Vec<&str> = self.series.iter().flat_map(|s| s.chart_keys()).collect();
        keys.sort_by_key(|k| crate::compare::chart::chart_rank(k));
        keys.dedup();
        let baseline = self.has_baseline();
        keys.into_iter()
            .map(|key| ChartPanel {
                name: key.to_string(),
                title: key.to_string(),
                lines: self
                    .series
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.series.contains_key(key))
                    .map(|(index, runs)| {
                        let reference = baseline && index == 0;
                        ChartLine {
                            runs,
                            key,
                            label: format!("{}run {}", if reference { "◆ " } else { "" }, runs.run),
                            style: if reference {
                                theme.reference
                            } else {
                                run_style(index)
                            },
                            reference,
                        }
                    })
                    .collect(),
            })
            .collect()
    }
}
