//! Full-screen panes, one file (or a state/view pair) each.

pub mod datasets;
mod datasets_view;

pub use datasets::DatasetsTab;
