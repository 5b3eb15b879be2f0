//! `POST /predict`: the JSON check, then parsing, prediction and logging on the blocking pool
//! (never on the executor, so `/health` and other connections stay quick), and the floor
//! handler `bench serve` measures the stack with.
//!
//! Every record goes through `ml::predict::predict_record`, whose field rule (`parse_field`) the
//! CLI's records and batch files (`ml::conform`) and the TUI form share: a boolean in a number
//! field or a number out of range is the same 422 here as there (a test holds the four equal). This module decides only what is HTTP: status codes and the body's shape.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::prediction_log::PredictionLog;
use super::{AppState, Served, current};
use crate::ml::predict::{FieldIssue, PredictError, predict_record};
use crate::ml::record_json::parse_record_json;

#[derive(Deserialize)]
pub(super) struct PredictQuery {
    #[serde(default)]
    uplift: bool,
}

pub(super) async fn predict(
    State(state): State<AppState>,
    Query(query): Query<PredictQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Some(refused) = refuse_unless_json(&headers) {
        return refused;
    }
    // A body over the limit (413) or cut off is answered in JSON like every other refusal.
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "the body is larger than the server's --body-limit; send fewer records a request"
                    .to_string()
            } else {
                format!("the body could not be read: {}", rejection.body_text())
            };
            return (status, Json(json!({ "detail": detail }))).into_response();
        }
    };
    // One record without a what-if is answered in tens of microseconds (no frame is built):
    // cheaper here than the hand-off to the blocking pool, and too short to hold up /health.
    if !query.uplift && is_small_single_record(&body) {
        let served = current(&state);
        if served.loaded.signature.lookups.is_empty() {
            return answer(&served, &body, false, &state.log);
        }
    }
    // The permit is taken before the version, and moved into the task: it is held exactly while
    // the work runs, even when the client hangs up and this future is dropped.
    let permit = match Arc::clone(&state.predict_permits).acquire_owned().await {
        Ok(permit) => permit,
        Err(e) => return internal(format!("the prediction pool is closed: {e}")),
    };
    let served = current(&state);
    let log = state.log.clone();
    let answered = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        answer(&served, &body, query.uplift, &log)
    })
    .await;
    answered.unwrap_or_else(|e| internal(format!("the prediction failed: {e}")))
}

/// Bodies up to this size holding one JSON object are answered on the executor.
const INLINE_BODY: usize = 4096;

fn is_small_single_record(body: &[u8]) -> bool {
    body.len() <= INLINE_BODY
        && body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{')
}

/// The floor: what the stack costs with no model, no parsing and no log.
pub(super) async fn floor(headers: HeaderMap, _body: Bytes) -> Response {
    if let Some(refused) = refuse_unless_json(&headers) {
        return refused;
    }
    (
        [(CONTENT_TYPE, "application/json")],
        r#"{"model":"floor","version":0,"prediction":{"value":0.0}}"#,
    )
        .into_response()
}

/// A 415 unless the request says `Content-Type: application/json` (parameters allowed, a
/// charset only if UTF-8). Browsers post text/plain, form and multipart bodies cross-origin
/// without asking first; JSON needs a preflight, which this server never grants.
fn refuse_unless_json(headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if given.as_deref().is_some_and(is_json) {
        return None;
    }
    let issue = FieldIssue {
        row: 1,
        field: "Content-Type".into(),
        reason: match &given {
            Some(text) => format!("'{text}' is not application/json"),
            None => "missing; expected application/json".to_string(),
        },
    };
    Some(
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(json!({
                "detail": "POST /predict takes JSON: send Content-Type: application/json",
                "errors": [issue],
            })),
        )
            .into_response(),
    )
}

fn is_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            let charset = value.trim().trim_matches('"');
            charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8")
        }
        _ => true,
    })
}

fn unprocessable(issues: Vec<FieldIssue>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"detail": "invalid input", "errors": issues})),
    )
        .into_response()
}

fn internal(detail: String) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "detail": detail })),
    )
        .into_response()
}

#[derive(serde::Serialize)]
struct Answer<'a> {
    model: &'a str,
    version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    prediction: Option<&'a crate::ml::predict::Prediction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    predictions: Option<&'a [crate::ml::predict::Prediction]>,
}

/// The whole answer to one body, on a blocking thread: parse, predict every record, log.
fn answer(served: &Served, body: &[u8], uplift: bool, log: &PredictionLog) -> Response {
    let value = match parse_record_json(body) {
        Ok(value) => value,
        Err(reason) => {
            return unprocessable(vec![FieldIssue {
                row: 1,
                field: "body".into(),
                reason,
            }]);
        }
    };
    let (records, single): (Vec<Map<String, Value>>, bool) = match value {
        Value::Object(map) => (vec![map], true),
        Value::Array(items) => {
            let mut records = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                match item {
                    Value::Object(map) => records.push(map),
                    _ => {
                        return unprocessable(vec![FieldIssue {
                            row: index + 1,
                            field: "record".into(),
                            reason: "expected a JSON object of field: value".into(),
                        }]);
                    }
                }
            }
            (records, false)
        }
        _ => {
            return unprocessable(vec![FieldIssue {
                row: 1,
                field: "body".into(),
                reason: "expected a JSON object, or a list of them".into(),
            }]);
        }
    };
    let mut predictions = Vec::with_capacity(records.len());
    let mut issues = Vec::new();
    for (index, record) in records.iter().enumerate() {
        match predict_record(&served.loaded, record, uplift) {
            Ok(prediction) => predictions.push(prediction),
            Err(PredictError::Invalid(found)) => {
                issues.extend(found.into_iter().map(|mut issue| {
                    issue.row = index + 1;
                    issue
                }));
            }
            Err(PredictError::Ml(e)) => return internal(e.to_string()),
        }
    }
    if !issues.is_empty() {
        return unprocessable(issues);
    }
    for (record, prediction) in records.iter().zip(&predictions) {
        log.record(
            served.version.id,
            &served.log_fields,
            &served.loaded.signature,
            record,
            prediction,
        );
    }
    // Serialized straight from the answers (a `json!` tree would copy each one first).
    let answer = Answer {
        model: &served.version.model_name,
        version: served.version.version,
        prediction: if single { predictions.first() } else { None },
        predictions: if single { None } else { Some(&predictions) },
    };
    Json(answer).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_told_apart() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/json;charset=\"UTF-8\""));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/json; charset=latin1"));
        assert!(!is_json("application/jsonp"));
    }
}
