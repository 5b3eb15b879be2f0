//! What a schedule does with the slots it missed while the daemon was down: `skip` runs none,
//! `once` (the default) runs the latest, `backfill:N` runs the latest N. Every other missed slot
//! is recorded as skipped with why: never a silent loss, never a flood.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ScheduleError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CatchUp {
    Skip,
    Once,
    Backfill(usize),
}

/// The most missed slots a backfill runs.
pub const MAX_BACKFILL: usize = 1_000;

impl CatchUp {
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let text = text.trim();
        match text {
            "skip" => Ok(CatchUp::Skip),
            "once" => Ok(CatchUp::Once),
            _ => text
                .strip_prefix("backfill:")
                .and_then(|n| n.trim().parse::<usize>().ok())
                .filter(|n| (1..=MAX_BACKFILL).contains(n))
                .map(CatchUp::Backfill)
                .ok_or_else(|| {
                    ScheduleError::Input(format!(
                        "--catch-up '{text}': expected skip, once or backfill:N (N from 1 to \
                         {MAX_BACKFILL})"
                    ))
                }),
        }
    }

    /// How many of the most recent missed slots run.
    pub fn runs(self) -> usize {
        match self {
            CatchUp::Skip => 0,
            CatchUp::Once => 1,
            CatchUp::Backfill(n) => n,
        }
    }
}

impl fmt::Display for CatchUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatchUp::Skip => f.write_str("skip"),
            CatchUp::Once => f.write_str("once"),
            CatchUp::Backfill(n) => write!(f, "backfill:{n}"),
        }
    }
}

/// A slot's fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotFate {
    Run,
    Skipped(String),
}

/// The fate of each slot of `slots` (in time order, the last of them due now): on time, a slot
/// runs; missed (due before `late_after_ms`, while nothing was watching), it follows `rule`.
pub fn plan(slots: &[i64], late_after_ms: i64, rule: CatchUp) -> Vec<(i64, SlotFate)> {
    let missed: Vec<i64> = slots
        .iter()
        .copied()
        .filter(|s| *s < late_after_ms)
        .collect();
    let keep_from = missed.len().saturating_sub(rule.runs());
    slots
        .iter()
        .map(|&slot| {
            let position = missed.iter().position(|m| *m == slot);
            let fate = match position {
                None => SlotFate::Run,
                Some(i) if i >= keep_from => SlotFate::Run,
                Some(_) => SlotFate::Skipped(format!(
                    "missed while the daemon was not running; catch-up {rule} runs {}",
                    match rule {
                        CatchUp::Skip => "none of the missed slots".to_string(),
                        CatchUp::Once => "only the latest missed slot".to_string(),
                        CatchUp::Backfill(n) => format!("the latest {n} missed slots"),
                    }
                )),
            };
            (slot, fate)
        })
        .collect()
}
