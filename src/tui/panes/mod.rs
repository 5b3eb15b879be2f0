//! The full-screen panes, one folder each (`mod.rs` for state and keys, `view.rs` for drawing,
//! more files as a pane needs). No pane imports another: what one asks of another goes on the
//! bus as an `Action`.
//!
//! The tab list below is the only place that names them all: adding a tab is a new folder with
//! a type that implements `Component` and has `new(&PaneContext)` and `KEY_SECTIONS`, and one
//! line here. The line declares the module, the `Tab` variant (the top bar's order and the digit
//! keys follow it), builds the pane and registers its key tables for keys.toml.

use super::component::{Component, PaneContext};
use super::keymap_file::KeySection;

macro_rules! tab_list {
    ($($tab:ident => $module:ident :: $pane:ident),+ $(,)?) => {
        $(pub mod $module;)+

        /// A tab, in the order of the top bar.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Tab {
            $($tab),+
        }

        impl Tab {
            pub const ALL: &'static [Tab] = &[$(Tab::$tab),+];

            /// The tab's place in the top bar, from 0.
            pub fn index(self) -> usize {
                Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
            }

            /// The tab in front.
            pub fn front(ctx: &PaneContext<'_>) -> Tab {
                Self::ALL.get(ctx.front).copied().unwrap_or(Self::ALL[0])
            }
        }

        /// Every pane, in tab order.
        pub fn build(ctx: &PaneContext<'_>) -> Vec<Box<dyn Component>> {
            vec![$(Box::new($module::$pane::new(ctx))),+]
        }

        /// Every pane's key tables, in tab order.
        pub fn key_sections() -> Vec<&'static dyn KeySection> {
            let mut sections: Vec<&'static dyn KeySection> = Vec::new();
            $(sections.extend_from_slice($module::KEY_SECTIONS);)+
            sections
        }
    };
}

tab_list! {
    Datasets => datasets::DatasetsTab,
    Train => train::TrainTab,
    Runs => runs::RunsTab,
    Compare => compare::CompareTab,
    Models => models::ModelsTab,
    Predict => predict::PredictTab,
    Drift => drift::DriftTab,
    Forecast => forecast::ForecastTab,
    Jobs => jobs::JobsTab,
    Monitor => monitor::MonitorTab,
}
