//! The prediction log of the HTTP endpoint: what a served prediction leaves in the store for
//! drift monitoring and, for a lag model, its series and target date with the value, to be
//! scored when the actuals arrive; and how long it stays there.
//!
//! A request never waits on it: records go through a bounded queue with `try_send`, and when the
//! queue is full (the store slower than the traffic) the record is dropped and counted; the count
//! shows in `/health` and on stderr. A logged record keeps only the signature's fields of the
//! input (a client's extra fields, ids or personal data, are not stored) and is at most
//! `MAX_RECORD_BYTES` of JSON, cut and marked `"_truncated": true` past that, so neither a burst
//! nor one odd client can grow the server's memory or the store without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::{Retention, ServeError};
use crate::ml::predict::Prediction;
use crate::project::Project;

/// Records waiting to be written. About half a second of the benchmark's ~30,000 requests/s, so
/// a healthy store never drops; at most this many records (each capped) are held in memory.
const QUEUE: usize = 32_768;
/// Records written in one transaction at most; a busy server writes sooner than every interval.
const MAX_BATCH: usize = 8_192;
/// How long the writer gathers records before a write: a few transactions a second at most.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// The JSON of one logged input (or output) at most.
const MAX_RECORD_BYTES: usize = 4096;
/// The longest text value kept whole: a category or a date is far shorter.
const MAX_TEXT_BYTES: usize = 256;
const TRUNCATED: &str = "\"_truncated\":true";
/// How often the server says again that records were dropped (when more were).
const REPORT_DROPS_EVERY: Duration = Duration::from_secs(10);
/// How often rows past the retention are pruned (the first time at startup).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// One served prediction, ready for the store.
pub(super) struct Logged {
    version_id: i64,
    row: crate::store::LoggedPrediction,
}

/// The requests' end of the queue.
#[derive(Clone)]
pub(super) struct PredictionLog {
    queue: mpsc::Sender<Logged>,
    dropped: Arc<AtomicU64>,
}

impl PredictionLog {
    pub(super) fn channel() -> (Self, mpsc::Receiver<Logged>) {
        let (queue, rx) = mpsc::channel(QUEUE);
        let log = Self {
            queue,
            dropped: Arc::new(AtomicU64::new(0)),
        };
        (log, rx)
    }

    /// Queues one prediction without waiting: a full queue drops it and counts it.
    pub(super) fn record(
        &self,
        version_id: i64,
        fields: &[String],
        signature: &crate::ml::signature::Signature,
        input: &Map<String, Value>,
        prediction: &Prediction,
    ) {
        // Under overload, skip building the JSON of a record that cannot be queued anyway.
        if self.queue.capacity() == 0 {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let series = crate::monitor::series_of_record(signature, input);
        let logged = Logged {
            version_id,
            row: crate::store::LoggedPrediction {
                input: logged_input(fields, input),
                output: logged_output(prediction),
                prediction: series.is_some().then_some(prediction.value),
                series_key: series.as_ref().map(|s| s.0.clone()),
                target_date: series.map(|s| s.1),
            },
        };
        if self.queue.try_send(logged).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records dropped since the server started.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub(super) fn dropped_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.dropped)
    }
}

/// The JSON kept of an input: the `fields` it has, in the signature's order, long texts cut, at
/// most `MAX_RECORD_BYTES`; `"_truncated": true` says something was cut. Always valid JSON,
/// because drift monitoring parses it back.
fn logged_input(fields: &[String], input: &Map<String, Value>) -> String {
    let mut out = String::from("{");
    let mut truncated = false;
    for name in fields {
        let Some(value) = input.get(name) else {
            continue;
        };
        let value_json = match value {
            Value::String(text) if text.len() > MAX_TEXT_BYTES => {
                truncated = true;
                Value::String(format!("{}…", prefix(text, MAX_TEXT_BYTES))).to_string()
            }
            other => other.to_string(),
        };
        let key_json = serde_json::to_string(name.as_str()).unwrap_or_default();
        // Room is kept for the marker and the closing brace, so the cap holds with them.
        let needed = out.len() + 1 + key_json.len() + 1 + value_json.len() + 1 + TRUNCATED.len();
        if needed + 1 > MAX_RECORD_BYTES {
            truncated = true;
            continue;
        }
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&key_json);
        out.push(':');
        out.push_str(&value_json);
    }
    if truncated {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(TRUNCATED);
    }
    out.push('}');
    out
}

/// The JSON kept of an answer: whole when under the cap (it almost always is); otherwise the
/// value and interval without the warnings, which can quote a long input back.
fn logged_output(prediction: &Prediction) -> String {
    let whole = serde_json::to_string(prediction).unwrap_or_default();
    if whole.len() <= MAX_RECORD_BYTES {
        return whole;
    }
    json!({
        "value": prediction.value,
        "interval": prediction.interval,
        "interval_level": prediction.interval_level,
        "_truncated": true,
    })
    .to_string()
}

/// The longest prefix of `text` of at most `bytes` bytes that ends on a character boundary.
fn prefix(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Writes queued predictions in batches: whatever arrives within `FLUSH_EVERY` of the first
/// record, up to `MAX_BATCH`, one transaction per model version. Says on stderr when records
/// were dropped, at most every `REPORT_DROPS_EVERY`.
pub(super) async fn write_predictions(
    project: Project,
    mut rx: mpsc::Receiver<Logged>,
    dropped: Arc<AtomicU64>,
) {
    let mut reported = 0u64;
    let mut last_report: Option<Instant> = None;
    let mut store: Option<crate::store::RunStore> = None;
    loop {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            // Every sender is gone: the server is shutting down.
            break;
        }
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        while batch.len() < MAX_BATCH {
            let room = MAX_BATCH - batch.len();
            // recv_many is cancel safe: a timeout loses no record.
            match tokio::time::timeout_at(deadline, rx.recv_many(&mut batch, room)).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        // One connection for the server's life (opening one runs the store's checks each
        // time); after a failure the next batch opens a fresh one.
        let project = project.clone();
        let open = store.take();
        let written = tokio::task::spawn_blocking(move || {
            let mut store = match open {
                Some(store) => store,
                None => project.open_store()?,
            };
            write_batch(&mut store, batch).map(|()| store)
        })
        .await;
        match written {
            Ok(Ok(kept)) => store = Some(kept),
            Ok(Err(e)) => eprintln!("logging predictions: {e}"),
            Err(e) => eprintln!("logging predictions: {e}"),
        }
        let now_dropped = dropped.load(Ordering::Relaxed);
        let due = last_report.is_none_or(|at| at.elapsed() >= REPORT_DROPS_EVERY);
        if now_dropped > reported && due {
            eprintln!(
                "prediction log: {now_dropped} record(s) dropped since the start: the queue of \
                 {QUEUE} was full (the store is slower than the traffic); /health counts them"
            );
            reported = now_dropped;
            last_report = Some(Instant::now());
        }
    }
}

fn write_batch(store: &mut crate::store::RunStore, batch: Vec<Logged>) -> Result<(), ServeError> {
    let mut by_version: Vec<(i64, Vec<crate::store::LoggedPrediction>)> = Vec::new();
    for logged in batch {
        let row = logged.row;
        match by_version.iter_mut().find(|(v, _)| *v == logged.version_id) {
            Some((_, rows)) => rows.push(row),
            None => by_version.push((logged.version_id, vec![row])),
        }
    }
    for (version, rows) in by_version {
        store.log_predictions(version, &rows)?;
    }
    Ok(())
}

/// Deletes logged predictions past the retention, at startup and then every `PRUNE_EVERY`.
/// A failed prune is said on stderr and tried again at the next round; serving goes on.
pub(super) async fn prune_predictions(project: Project, retention: Retention) {
    if retention == Retention::Forever {
        return;
    }
    loop {
        let project = project.clone();
        let pruned = tokio::task::spawn_blocking(move || -> Result<usize, ServeError> {
            let Some(before) = retention.cutoff(chrono::Utc::now()) else {
                return Ok(0);
            };
            Ok(project.open_store()?.prune_predictions(before)?)
        })
        .await;
        match pruned {
            Ok(Ok(0)) => {}
            Ok(Ok(deleted)) => eprintln!(
                "prediction log: pruned {deleted} record(s) older than {retention} \
                 (--log-retention)"
            ),
            Ok(Err(e)) => eprintln!("pruning the prediction log: {e}"),
            Err(e) => eprintln!("pruning the prediction log: {e}"),
        }
        tokio::time::sleep(PRUNE_EVERY).await;
    }
}
