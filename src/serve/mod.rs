//! The HTTP prediction endpoint: `POST /predict` (one record or a list, JSON), `GET /health`,
//! `GET /models`, `GET /openapi.json` (generated from the served model's signature). A thin face
//! over `ml::predict` and `registry`, on axum and tokio.
//!
//! - It binds loopback unless told otherwise: a model server is not exposed by accident.
//! - A body over the limit is refused (413) before it is parsed; bad records get 422 with one
//!   message per field (`row`, `field`, `reason`), as the CLI reports them.
//! - When the served alias moves (promotion, rollback), the server notices within a second
//!   (it polls the store's `data_version`) and swaps to the new version without a restart;
//!   requests in flight finish on the version they started with.
//! - Every prediction (input, output, version, time) is logged to the store in batches, at most
//!   a few transactions a second, for drift monitoring.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::ml::artifact::LoadedModel;
use crate::ml::predict::{FieldIssue, PredictError, predict_record};
use crate::ml::signature::FieldKind;
use crate::project::Project;
use crate::registry::{ModelRef, load_version};
use crate::store::{ModelVersion, RunStore};

pub struct ServeOptions {
    pub model: ModelRef,
    pub addr: SocketAddr,
    pub allow_remote: bool,
    pub body_limit: usize,
}

/// The version being served.
struct Served {
    version: ModelVersion,
    loaded: Arc<LoadedModel>,
}

#[derive(Clone)]
struct AppState {
    served: Arc<RwLock<Arc<Served>>>,
    reference: ModelRef,
    project: Project,
    log: mpsc::UnboundedSender<(i64, String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "{0} is not a loopback address; a model server binds 127.0.0.1 unless --allow-remote \
         says to expose it"
    )]
    NotLoopback(SocketAddr),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn current(state: &AppState) -> Arc<Served> {
    match state.served.read() {
        Ok(guard) => Arc::clone(&guard),
        // A poisoned lock only means a swap panicked: the old value is still whole.
        Err(poisoned) => Arc::clone(&poisoned.into_inner()),
    }
}

/// Serves until the process is stopped. `on_ready` gets the bound address (port 0 picks one).
pub async fn serve(
    project: Project,
    options: ServeOptions,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    if !options.allow_remote && !options.addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(options.addr));
    }
    let store = project.open_store()?;
    let (version, loaded) = load_version(&project, &store, &options.model)?;
    drop(store);
    let (log_tx, log_rx) = mpsc::unbounded_channel();
    let state = AppState {
        served: Arc::new(RwLock::new(Arc::new(Served {
            version,
            loaded: Arc::new(loaded),
        }))),
        reference: options.model.clone(),
        project: project.clone(),
        log: log_tx,
    };
    tokio::spawn(log_predictions(project.clone(), log_rx));
    tokio::spawn(follow_alias(state.clone()));
    let app = Router::new()
        .route("/predict", post(predict))
        .route("/health", get(health))
        .route("/models", get(models))
        .route("/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(options.body_limit))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    on_ready(listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Checks the reference about once a second (one indexed query); when it names another
/// version, loads it (checksums checked) and swaps it in. A version that fails to load is not
/// swapped in: the server keeps answering with the one it has, and says why on stderr.
async fn follow_alias(state: AppState) {
    loop {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let state = state.clone();
        let result = tokio::task::spawn_blocking(move || -> Result<(), ServeError> {
            let store = state.project.open_store()?;
            let served = current(&state);
            let resolved = crate::registry::resolve(&store, &state.reference)?;
            if resolved.id == served.version.id {
                return Ok(());
            }
            let (version, loaded) = load_version(&state.project, &store, &state.reference)?;
            eprintln!(
                "serving {} version {} (was version {})",
                version.model_name, version.version, served.version.version
            );
            let swapped = Arc::new(Served {
                version,
                loaded: Arc::new(loaded),
            });
            match state.served.write() {
                Ok(mut guard) => *guard = swapped,
                Err(poisoned) => *poisoned.into_inner() = swapped,
            }
            Ok(())
        })
        .await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("following the served alias: {e}"),
            Err(e) => eprintln!("following the served alias: {e}"),
        }
    }
}

/// Writes logged predictions in batches: everything queued, every half second.
async fn log_predictions(project: Project, mut rx: mpsc::UnboundedReceiver<(i64, String, String)>) {
    let mut pending: Vec<(i64, String, String)> = Vec::new();
    loop {
        let Some(first) = rx.recv().await else {
            break;
        };
        pending.push(first);
        tokio::time::sleep(Duration::from_millis(500)).await;
        while let Ok(next) = rx.try_recv() {
            pending.push(next);
        }
        let batch = std::mem::take(&mut pending);
        let project = project.clone();
        let written = tokio::task::spawn_blocking(move || -> Result<(), ServeError> {
            let mut store = project.open_store()?;
            let mut by_version: Vec<(i64, Vec<(String, String)>)> = Vec::new();
            for (version, input, output) in batch {
                match by_version.iter_mut().find(|(v, _)| *v == version) {
                    Some((_, rows)) => rows.push((input, output)),
                    None => by_version.push((version, vec![(input, output)])),
                }
            }
            for (version, rows) in by_version {
                store.log_predictions(version, &rows)?;
            }
            Ok(())
        })
        .await;
        if let Ok(Err(e)) | Err(e) = written.map_err(|e| ServeError::Io(std::io::Error::other(e))) {
            eprintln!("logging predictions: {e}");
        }
    }
}

#[derive(Deserialize)]
struct PredictQuery {
    #[serde(default)]
    uplift: bool,
}

fn unprocessable(issues: Vec<FieldIssue>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"detail": "invalid input", "errors": issues})),
    )
        .into_response()
}

async fn predict(
    State(state): State<AppState>,
    Query(query): Query<PredictQuery>,
    body: axum::body::Bytes,
) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return unprocessable(vec![FieldIssue {
                row: 1,
                field: "body".into(),
                reason: format!("not JSON: {e}"),
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
    let served = current(&state);
    let mut predictions = Vec::with_capacity(records.len());
    let mut issues = Vec::new();
    for (index, record) in records.iter().enumerate() {
        match predict_record(&served.loaded, record, query.uplift) {
            Ok(prediction) => predictions.push(prediction),
            Err(PredictError::Invalid(found)) => {
                issues.extend(found.into_iter().map(|mut issue| {
                    issue.row = index + 1;
                    issue
                }));
            }
            Err(PredictError::Ml(e)) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"detail": e.to_string()})),
                )
                    .into_response();
            }
        }
    }
    if !issues.is_empty() {
        return unprocessable(issues);
    }
    for (record, prediction) in records.iter().zip(&predictions) {
        let _ = state.log.send((
            served.version.id,
            Value::Object(record.clone()).to_string(),
            serde_json::to_string(prediction).unwrap_or_default(),
        ));
    }
    let body = if single {
        json!({"model": served.version.model_name, "version": served.version.version,
               "prediction": predictions.first()})
    } else {
        json!({"model": served.version.model_name, "version": served.version.version,
               "predictions": predictions})
    };
    Json(body).into_response()
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    let served = current(&state);
    Json(json!({
        "status": "ok",
        "reference": state.reference.to_string(),
        "model": served.version.model_name,
        "version": served.version.version,
    }))
}

async fn models(State(state): State<AppState>) -> Response {
    let project = state.project.clone();
    let listed = tokio::task::spawn_blocking(move || -> Result<Vec<ModelVersion>, ServeError> {
        Ok(RunStore::open(&project.store_path())?.model_versions(None)?)
    })
    .await;
    match listed {
        Ok(Ok(versions)) => {
            Json(json!(versions
            .iter()
            .map(|v| json!({"model": v.model_name, "version": v.version, "aliases": v.aliases,
                            "status": v.status, "run_id": v.run_id}))
            .collect::<Vec<_>>()))
            .into_response()
        }
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// An OpenAPI 3.0 document of `/predict` for the served model's inputs.
async fn openapi(State(state): State<AppState>) -> Json<Value> {
    let served = current(&state);
    let mut properties = Map::new();
    let mut required = Vec::new();
    for input in &served.loaded.signature.inputs {
        let schema = match input.kind {
            FieldKind::Number => {
                let mut s = json!({"type": "number"});
                if let (Some(min), Some(max)) = (&input.min, &input.max) {
                    s["description"] = json!(format!("training range {min} to {max}"));
                }
                s
            }
            FieldKind::Boolean => json!({"type": "boolean"}),
            FieldKind::Category => json!({"type": "string", "enum": input.categories}),
            FieldKind::Date => json!({"type": "string", "format": "date"}),
        };
        properties.insert(input.name.clone(), schema);
        if !input.missing_seen {
            required.push(input.name.clone());
        }
    }
    let record = json!({"type": "object", "properties": properties, "required": required});
    Json(json!({
        "openapi": "3.0.3",
        "info": {"title": format!("Shelfcast: {}", served.version.model_name),
                 "version": served.version.version.to_string()},
        "paths": {
            "/predict": {"post": {
                "parameters": [{"name": "uplift", "in": "query", "schema": {"type": "boolean"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema":
                    {"oneOf": [record, {"type": "array", "items": record}]}}}},
                "responses": {"200": {"description": "predictions"},
                              "413": {"description": "body over the size limit"},
                              "422": {"description": "invalid fields: row, field, reason"}}
            }},
            "/health": {"get": {"responses": {"200": {"description": "the served version"}}}},
            "/models": {"get": {"responses": {"200": {"description": "registered versions"}}}}
        }
    }))
}
