//! Where the Train form's run or study trains: here, as detached workers, or on Slurm, each
//! worker a batch job. The typed job options go over `shelfcast.toml`'s `[slurm]` defaults, the
//! same rule as `--on slurm` and its flags.

use super::TrainTab;
use crate::jobs::slurm::{Dispatch, SlurmOptions};

impl TrainTab {
    /// Switches between here and Slurm; switching to Slurm reads the project's defaults to show
    /// beside the options row.
    pub(super) fn toggle_run_on(&mut self) {
        self.on_slurm = !self.on_slurm;
        if self.on_slurm {
            match self.project.config() {
                Ok(config) => self.slurm_defaults = config.slurm,
                Err(e) => self.message = Some((true, e.to_string())),
            }
        }
    }

    /// What the typed options row says is wrong, if anything (only when it is used).
    pub(super) fn slurm_error(&self) -> Option<String> {
        if !self.on_slurm {
            return None;
        }
        SlurmOptions::parse_text(self.slurm.value()).err()
    }

    /// Where the launch goes: read when it is asked for, so an edited `shelfcast.toml` counts.
    pub fn dispatch(&self) -> Result<Dispatch, String> {
        if !self.on_slurm {
            return Ok(Dispatch::Local);
        }
        let typed =
            SlurmOptions::parse_text(self.slurm.value()).map_err(|e| format!("Slurm job: {e}"))?;
        let defaults = self.project.config().map_err(|e| e.to_string())?.slurm;
        let options = typed.or(&defaults);
        options
            .check()
            .map_err(|e| format!("shelfcast.toml [slurm]: {e}"))?;
        Ok(Dispatch::Slurm(options))
    }

    /// The options row's text when nothing is typed (the About pane lists the defaults).
    pub(super) fn slurm_defaults_text(&self) -> String {
        match self.slurm_defaults.to_text() {
            text if text.is_empty() => "(the cluster's defaults)".into(),
            text => format!("(defaults: {text})"),
        }
    }
}
