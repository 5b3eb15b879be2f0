//! Shelfcast's integration tests, in one binary so the crate is linked once.

mod architecture;
mod cli_runs;
mod common;
mod compare;
mod data;
mod e2e;
mod e2e_compare;
mod e2e_train;
mod ml_features;
mod ml_gbdt;
mod ml_lags;
mod ml_linear;
mod ml_metrics;
mod ml_split;
mod predict;
mod registry;
mod sample;
mod shared_data;
mod shared_train;
mod store;
mod store_query;
mod train;
mod tui;
mod tui_compare;
mod tui_runs;
mod tui_train;
