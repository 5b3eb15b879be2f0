//! Shelfcast: train, watch, compare, register, serve and monitor sales-forecasting models from one
//! terminal, backed by one SQLite file.
//!
//! Architecture invariant: the core modules (`store`, `data`, `jobs`, `ml`, `compare`, `registry`,
//! `drift`) never import a face (`tui`, `cli`, `serve`) and never name ratatui or crossterm.
//! The faces are thin layers over the same core functions, so everything the TUI can do is
//! scriptable and testable without a terminal. `tests/it/architecture.rs` enforces this.

// Core code does not panic on input, files or the store: errors are values.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[macro_use]
pub mod console;

pub mod bench;
pub mod cli;
pub mod compare;
pub mod data;
pub mod drift;
pub mod files;
pub mod jobs;
pub mod ml;
pub mod mlflow;
pub mod monitor;
pub mod project;
pub mod registry;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod text;
pub mod tui;
pub mod tune;
