//! What each key of the Compare tab does: sections, metrics and params, the chart's modes, and
//! the export.

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
                } else if let Some(k) = Self::cycle(&self.curve_keys, &self.curve_key, forward) {
                    self.curve_key = k;
                    self.zoom = None;
                }
                reload = true;
            }
            CompareCommand::NextParam => {
                if let Some(p) = Self::cycle(&self.scatter_params, &self.scatter.param, true) {
                    self.scatter.param = p;
                    reload = true;
                }
            }
            CompareCommand::TimeAxis => self.time_axis = !self.time_axis,
            CompareCommand::Smooth => self.smoothed = !self.smoothed,
            CompareCommand::ZoomIn => {
                let (low, high) = self.zoom.unwrap_or_else(|| {
                    let last = self
                        .curves
                        .iter()
                        .filter_map(|c| c.steps.last())
                        .fold(0.0f64, |a, b| a.max(*b)) as i64;
                    (0, last)
                });
                let quarter = (high - low) / 4;
                if quarter >= 1 {
                    self.zoom = Some((low + quarter, high - quarter));
                    reload = true;
                }
            }
            CompareCommand::ZoomReset => {
                self.zoom = None;
                reload = true;
            }
            CompareCommand::Export => self.export_now(),
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
    pub(super) fn export_now(&mut self) {
        self.message = Some(match self.export() {
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

    pub(super) fn export(&self) -> Result<crate::compare::ExportFiles, crate::compare::ExportError> {
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
        export_comparison(
            &self.project.reports_dir(),
            &stem,
            comparison,
            &self.curves,
            &self.curve_key,
            self.smoothed,
        )
    }
}
