//! What each key of the Compare tab does: sections, metrics and params, and the export (the
//! curves' modes are the grid's keys).

use super::*;

impl CompareTab {
    pub(super) fn run_command(&mut self, command: CompareCommand, store: &RunStore) -> Option<Action> {
        let mut reload = false;
        let position = Section::ALL
            .iter()
            .position(|s| *s == self.section)
            .unwrap_or(0);
        match command {
            CompareCommand::NextSection => {
                self.section = Section::ALL[(position + 1) % Section::ALL.len()];
                self.scroll = 0;
            }
            CompareCommand::PreviousSection => {
                self.section =
                    Section::ALL[(position + Section::ALL.len() - 1) % Section::ALL.len()];
                self.scroll = 0;
            }
            CompareCommand::Down => self.scroll += 1,
            CompareCommand::Up => self.scroll = self.scroll.saturating_sub(1),
            CompareCommand::OnlyDifferences => {
                self.only_differences = !self.only_differences;
                self.scroll = 0;
            }
            CompareCommand::NextMetric | CompareCommand::PreviousMetric => {
                let forward = command == CompareCommand::NextMetric;
                if self.section == Section::Scatter {
                    if let Some(m) =
                        Self::cycle(&self.scatter_metrics, &self.scatter.metric, forward)
                    {
                        self.scatter.metric = m;
                    }
                    reload = true;
                } else if self.section == Section::Curves {
                    use crate::tui::widgets::chart_grid::GridCommand;
                    let command = if forward {
                        GridCommand::NextChart
                    } else {
                        GridCommand::PreviousChart
                    };
                    self.with_grid(|grid, panels| grid.command(command, panels));
                }
            }
            CompareCommand::NextParam => {
                if let Some(p) = Self::cycle(&self.scatter_params, &self.scatter.param, true) {
                    self.scatter.param = p;
                    reload = true;
                }
            }
            CompareCommand::Export => self.export_now(store),
            CompareCommand::Register => {
                self.register = self.comparison.as_ref().map(open_prompt);
            }
            CompareCommand::Back => return Some(Action::ShowTab(Tab::Runs)),
        }
        if reload {
            self.reload(store);
        }
        None
    }

    pub(super) fn cycle(list: &[String], current: &str, forward: bool) -> Option<String> {
        if list.is_empty() {
            return None;
        }
        let index = list.iter().position(|k| k == current).unwrap_or(0);
        let next = if forward {
            (index + 1) % list.len()
        } else {
            (index + list.len() - 1) % list.len()
        };
        Some(list[next].clone())
    }

    /// Writes the curves and tables under `reports/`; the message says where.
    pub(super) fn export_now(&mut self, store: &RunStore) {
        self.message = Some(match self.export(store) {
            Ok(files) => {
                let short = |p: &std::path::Path| {
                    p.strip_prefix(&self.project.root)
                        .unwrap_or(p)
                        .display()
                        .to_string()
                };
                format!(
                    "wrote {}, {} and {}",
                    short(&files.svg),
                    short(&files.markdown),
                    short(&files.csv)
                )
            }
            Err(e) => format!("export failed: {e}"),
        });
    }

    /// The focused chart's metric (valid_loss before a chart is focused), in the grid's zoom.
    pub(super) fn export(
        &self,
        store: &RunStore,
    ) -> Result<crate::compare::ExportFiles, crate::compare::ExportError> {
        let Some(comparison) = &self.comparison else {
            return Err(crate::compare::ExportError::Chart(
                "nothing to export".into(),
            ));
        };
        let ids: Vec<String> = self.ids.iter().map(|id| id.to_string()).collect();
        let stem = format!(
            "compare-{}-{}",
            ids.join("-"),
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let panels = self.panels(&crate::tui::theme::Theme::monochrome());
        let key = self
            .grid
            .focused(&panels)
            .and_then(|i| panels.get(i))
            .map_or(crate::compare::DEFAULT_CURVE.to_string(), |p| p.name.clone());
        // The SVG counts steps from 0, as the store does; the grid from 1.
        let zoom = self.grid.zoom.filter(|_| self.grid.axis == crate::compare::chart::XAxis::Step);
        let steps = zoom.map_or((None, None), |(a, b)| {
            (Some(a.ceil() as i64 - 1), Some(b.floor() as i64 - 1))
        });
        let curves = compare_curves(store, &self.ids, &key, steps, CURVE_POINTS)?;
        export_comparison(
            &self.project.reports_dir(),
            &stem,
            comparison,
            &curves,
            &key,
            self.grid.smoothed,
        )
    }
}
