//! Background machinery shared by the faces: launching detached training workers, the worker
//! itself, and the data-folder watcher. Core module: no screen code.

pub mod backtest;
pub mod daemon;
pub mod file_trigger;
pub mod job_process;
pub mod launch;
mod outcome;
pub mod slurm;
pub mod study;
pub mod sysmetrics;
mod warm;
pub mod watcher;
pub mod worker;

pub use launch::{JobError, LaunchRequest, Launched, launch_run};
