//! Full-screen panes, one file (or a state/view pair) each.

pub mod compare;
mod compare_register;
mod compare_view;
pub mod datasets;
mod datasets_view;
pub mod drift;
mod drift_view;
pub mod models;
pub mod predict;
mod predict_form;
mod predict_keys;
mod predict_view;
mod run_detail;
mod run_view;
pub mod runs;
mod runs_keys;
mod runs_view;
pub mod train;
mod train_keys;
mod train_request;
mod train_view;

use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

pub use compare::CompareTab;
pub use datasets::DatasetsTab;
pub use drift::DriftTab;
pub use models::ModelsTab;
pub use predict::PredictTab;
pub use runs::RunsTab;
pub use train::TrainTab;

use crate::tui::theme::Theme;

/// A pane's bordered box with its title; a focused one has the accent border.
fn block<'a>(title: &str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(Span::styled(format!(" {title} "), theme.title))
}
