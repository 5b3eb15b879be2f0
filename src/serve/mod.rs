//! The HTTP prediction endpoint: `POST /predict` (one record or a list, JSON), `GET /health`,
//! `GET /models`, `GET /openapi.json` (generated from the served model's signature). A thin face
//! over `ml::predict` and `registry`, on axum and tokio.
//!
//! - It binds loopback unless told otherwise: a model server is not exposed by accident. It sends
//!   no CORS headers and takes only `Content-Type: application/json` posts, so a web page open in
//!   a local browser can neither read its answers nor post it a "simple" cross-origin form.
//! - A body over the limit is refused (413) before it is parsed; bad records get 422 with one
//!   message per field (`row`, `field`, `reason`), as the CLI reports them.
//! - Parsing and prediction run on tokio's blocking pool, at most one request per core at a
//!   time, never on the executor: `/health` answers in milliseconds while big batches run.
//! - When the served alias moves (promotion, rollback), the server notices within a second
//!   (it polls the store's `data_version`) and swaps to the new version without a restart;
//!   requests in flight finish on the version they started with.
//! - Every prediction (the signature's fields of the input, the output, version, time) is logged
//!   to the store in batches through a bounded queue (`prediction_log`): a full queue drops and
//!   counts, never slows a request. Rows older than the retention are pruned at startup and
//!   hourly.
//!
//! SQL stays in `store`; this module only calls its typed functions.

mod openapi;
mod predict;
mod prediction_log;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::ml::artifact::LoadedModel;
use crate::project::Project;
use crate::registry::{ModelRef, load_version};
use crate::store::{ModelVersion, RunStore};

pub use crate::store::{Retention, RetentionError, parse_retention};

use prediction_log::PredictionLog;

pub struct ServeOptions {
    pub model: ModelRef,
    pub addr: SocketAddr,
    pub allow_remote: bool,
    pub body_limit: usize,
    /// How long logged predictions are kept (`Retention::Forever`: never pruned).
    pub log_retention: Retention,
}

/// The version being served.
struct Served {
    version: ModelVersion,
    loaded: Arc<LoadedModel>,
    /// The signature's field names, in order: all a logged record keeps of its input.
    log_fields: Vec<String>,
}

impl Served {
    fn new(version: ModelVersion, loaded: LoadedModel) -> Self {
        let signature = &loaded.signature;
        let log_fields = signature
            .inputs
            .iter()
            .map(|input| input.name.clone())
            .chain(
                signature
                    .derived
                    .as_ref()
                    .map(|lags| lags.output_names())
                    .unwrap_or_default(),
            )
            .collect();
        Self {
            version,
            loaded: Arc::new(loaded),
            log_fields,
        }
    }
}

#[derive(Clone)]
struct AppState {
    served: Arc<RwLock<Arc<Served>>>,
    reference: ModelRef,
    project: Project,
    log: PredictionLog,
    /// One permit per core: a flood of batches queues here instead of filling the blocking pool
    /// (hundreds of threads) with CPU-bound work that would starve the executor threads.
    predict_permits: Arc<Semaphore>,
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
    let (log, log_rx) = PredictionLog::channel();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let state = AppState {
        served: Arc::new(RwLock::new(Arc::new(Served::new(version, loaded)))),
        reference: options.model.clone(),
        project: project.clone(),
        log: log.clone(),
        predict_permits: Arc::new(Semaphore::new(cores)),
    };
    tokio::spawn(prediction_log::write_predictions(
        project.clone(),
        log_rx,
        log.dropped_counter(),
    ));
    tokio::spawn(prediction_log::prune_predictions(
        project.clone(),
        options.log_retention,
    ));
    tokio::spawn(follow_alias(state.clone()));
    let app = Router::new()
        .route("/predict", post(predict::predict))
        .route("/health", get(health))
        .route("/models", get(models))
        .route("/openapi.json", get(openapi::openapi))
        .with_state(state);
    listen(options.addr, app, options.body_limit, on_ready).await
}

/// The same stack as `serve` (router, body limit, listener, the JSON check) answering every
/// `POST /predict` with a fixed body and no model: the floor `bench serve` measures Shelfcast
/// against, so the cost of the model and its bookkeeping shows apart from axum's own.
pub async fn serve_floor(
    addr: SocketAddr,
    body_limit: usize,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    if !addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(addr));
    }
    let app = Router::new().route("/predict", post(predict::floor));
    listen(addr, app, body_limit, on_ready).await
}

/// `serve` on a runtime of its own, for a caller without one (the benchmarks): blocks until the
/// server ends.
pub fn serve_blocking(
    project: Project,
    options: ServeOptions,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(project, options, on_ready))
}

/// `serve_floor` on a runtime of its own.
pub fn serve_floor_blocking(
    addr: SocketAddr,
    body_limit: usize,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve_floor(addr, body_limit, on_ready))
}

/// Binds and serves `app` with the layers every server here shares.
async fn listen(
    addr: SocketAddr,
    app: Router,
    body_limit: usize,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    // No CORS layer, deliberately: without Access-Control-Allow-Origin a browser page on another
    // origin cannot read any answer, and its preflight for a JSON post gets 405.
    let app = app.layer(DefaultBodyLimit::max(body_limit));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
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
            let swapped = Arc::new(Served::new(version, loaded));
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

async fn health(State(state): State<AppState>) -> Json<Value> {
    let served = current(&state);
    Json(json!({
        "status": "ok",
        "reference": state.reference.to_string(),
        "model": served.version.model_name,
        "version": served.version.version,
        // Records the log queue had no room for since the server started (not in the store).
        "log_dropped": state.log.dropped(),
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
