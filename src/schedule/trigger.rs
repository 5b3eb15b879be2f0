//! When a schedule fires: a cron pattern in a time zone, a fixed interval, or a file appearing.
//!
//! Cron patterns are parsed and stepped by croner (POSIX/Vixie semantics, optional seconds,
//! time zones through chrono-tz). Its daylight-saving rule is the one stated to users: a fixed
//! time that falls in the spring-forward gap fires at the first valid time after the gap, the
//! same day; a fixed time that occurs twice at fall-back fires once, at its first occurrence.
//! Intervals (`--every 6h`) count from the schedule's creation, in real time.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use serde::{Deserialize, Serialize};

use super::ScheduleError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A cron pattern (5 fields, or 6 with seconds first) read in the IANA time zone `tz`.
    Cron { expr: String, tz: String },
    /// Every `seconds`, counted from the schedule's creation.
    Every { seconds: u64 },
    /// A file matching `glob` (relative to the project) appears or changes.
    File { glob: String },
}

/// The shortest interval a schedule may have.
pub const MIN_EVERY_SECONDS: u64 = 1;

impl Trigger {
    /// A cron trigger, checked: the pattern parses and the zone exists.
    pub fn cron(expr: &str, tz: &str) -> Result<Self, ScheduleError> {
        parse_cron(expr)?;
        parse_zone(tz)?;
        Ok(Trigger::Cron {
            expr: expr.trim().to_string(),
            tz: tz.trim().to_string(),
        })
    }

    /// An interval trigger from text: `90s`, `15m`, `6h`, `1d`, `1w`.
    pub fn every(text: &str) -> Result<Self, ScheduleError> {
        let seconds = duration_seconds("--every", text)?;
        if seconds < MIN_EVERY_SECONDS {
            return Err(ScheduleError::Input(format!(
                "--every '{}': an interval must be at least one second",
                text.trim()
            )));
        }
        Ok(Trigger::Every { seconds })
    }

    /// The first fire time strictly after `after_ms`; `anchor_ms` is where intervals count from.
    /// `None` for a file trigger (it fires on events, not on a clock).
    pub fn next_after(&self, after_ms: i64, anchor_ms: i64) -> Result<Option<i64>, ScheduleError> {
        match self {
            Trigger::Cron { expr, tz } => {
                let cron = parse_cron(expr)?;
                let zone = parse_zone(tz)?;
                let start = utc(after_ms)?.with_timezone(&zone);
                let next = cron
                    .find_next_occurrence(&start, false)
                    .map_err(|e| ScheduleError::Input(format!("cron '{expr}': {e}")))?;
                Ok(Some(next.with_timezone(&Utc).timestamp_millis()))
            }
            Trigger::Every { seconds } => {
                let every = (*seconds as i64).saturating_mul(1000).max(1);
                if after_ms < anchor_ms {
                    return Ok(Some(anchor_ms));
                }
                let passed = (after_ms - anchor_ms) / every + 1;
                Ok(Some(anchor_ms + passed * every))
            }
            Trigger::File { .. } => Ok(None),
        }
    }

    /// The fire times in (`after_ms`, `until_ms`], at most `limit` of them (the earliest), and
    /// how many there were in all.
    pub fn slots_between(
        &self,
        after_ms: i64,
        until_ms: i64,
        anchor_ms: i64,
        limit: usize,
    ) -> Result<(Vec<i64>, usize), ScheduleError> {
        let mut slots = Vec::new();
        let mut count = 0;
        let mut at = after_ms;
        while let Some(next) = self.next_after(at, anchor_ms)? {
            if next > until_ms {
                break;
            }
            if slots.len() < limit {
                slots.push(next);
            }
            count += 1;
            at = next;
            // A long downtime on a seconds-interval: count the rest without stepping each one.
            if let (Trigger::Every { seconds }, true) = (self, slots.len() == limit) {
                let every = (*seconds as i64 * 1000).max(1);
                count += ((until_ms - at) / every) as usize;
                break;
            }
        }
        Ok((slots, count))
    }

    /// The trigger in words, for tables.
    pub fn describe(&self) -> String {
        match self {
            Trigger::Cron { expr, tz } => format!("cron {expr} ({tz})"),
            Trigger::Every { seconds } => format!("every {}", duration_text(*seconds)),
            Trigger::File { glob } => format!("on file {glob}"),
        }
    }
}

/// `90s`, `15m`, `6h`, `1d` as the shortest exact text.
pub fn duration_text(seconds: u64) -> String {
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds >= size && seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

fn parse_cron(expr: &str) -> Result<Cron, ScheduleError> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expr.trim())
        .or_else(|_| Cron::from_str(expr.trim()))
        .map_err(|e| {
            ScheduleError::Input(format!(
                "cron '{expr}': {e}; expected five fields (minute hour day month weekday, e.g. \
                 '0 0 * * SUN') or six with seconds first"
            ))
        })
}

fn parse_zone(tz: &str) -> Result<chrono_tz::Tz, ScheduleError> {
    tz.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        ScheduleError::Input(format!(
            "--tz '{tz}' is not a time zone; expected an IANA name such as Europe/Amsterdam or UTC"
        ))
    })
}

fn utc(ms: i64) -> Result<DateTime<Utc>, ScheduleError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| ScheduleError::Input(format!("{ms} ms is not a time")))
}

/// A UTC instant in a zone, for tables: `2026-12-06 00:00 CET`.
pub fn local_text(ms: i64, tz: &str) -> String {
    let Ok(at) = utc(ms) else {
        return ms.to_string();
    };
    match tz.parse::<chrono_tz::Tz>() {
        Ok(zone) => at
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string(),
        Err(_) => at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    }
}

/// A duration from text (`90s`, `15m`, `6h`, `1d`, `1w`) in seconds; `option` names the flag in
/// the error (`--every`, `--timeout`).
pub fn duration_seconds(option: &str, text: &str) -> Result<u64, ScheduleError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let count: u64 = number.parse().map_err(|_| {
        ScheduleError::Input(format!(
            "{option} '{text}': expected a number and a unit, such as 90s, 15m, 6h, 1d or 1w"
        ))
    })?;
    let unit_seconds = match unit.trim() {
        "s" | "sec" | "second" | "seconds" => 1,
        "m" | "min" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        other => {
            return Err(ScheduleError::Input(format!(
                "{option} '{text}': '{other}' is not a unit; expected s, m, h, d or w"
            )));
        }
    };
    Ok(count.saturating_mul(unit_seconds))
}
