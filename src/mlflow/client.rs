//! MLflow's REST API, as its own Python client calls it: JSON over HTTP(S) to
//! `/api/2.0/mlflow/…`, authenticated as that client reads it from the environment
//! (`MLFLOW_TRACKING_TOKEN`, else `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`), a custom
//! CA from `MLFLOW_TRACKING_SERVER_CERT_PATH`, `MLFLOW_TRACKING_INSECURE_TLS=true` to skip
//! verification. Connection errors and 5xx answers are retried with doubling backoff; any failure
//! names the call.

use std::time::Duration;

use serde_json::Value;
use ureq::tls::{RootCerts, TlsConfig};

use super::MlflowError;

/// Attempts per call: the first and up to four retries (0.5, 1, 2, 4 s apart).
const ATTEMPTS: u32 = 5;

pub struct MlflowClient {
    base: String,
    agent: ureq::Agent,
    auth: Option<String>,
}

/// An answer MLflow gave that was not a success: its HTTP status and `error_code`.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub code: String,
    pub message: String,
}

fn failed(call: &str, what: String) -> MlflowError {
    MlflowError::Source {
        path: call.to_string(),
        what,
    }
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl MlflowClient {
    /// A client of the tracking server at `uri` (http:// or https://).
    pub fn new(uri: &str) -> Result<Self, MlflowError> {
        let base = uri.trim_end_matches('/').to_string();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            return Err(failed(
                uri,
                "a tracking URI starts with http:// or https:// (a server, not a file store)"
                    .into(),
            ));
        }
        let env = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
        let mut tls = TlsConfig::builder();
        if let Some(path) = env("MLFLOW_TRACKING_SERVER_CERT_PATH") {
            let pem = std::fs::read(&path).map_err(|source| MlflowError::Io {
                path: path.clone(),
                source,
            })?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(failed(&path, "no certificate in this PEM file".into()));
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
        if env("MLFLOW_TRACKING_INSECURE_TLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            tls = tls.disable_verification(true);
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .tls_config(tls.build())
            .build()
            .into();
        let auth = match (
            env("MLFLOW_TRACKING_TOKEN"),
            env("MLFLOW_TRACKING_USERNAME"),
            env("MLFLOW_TRACKING_PASSWORD"),
        ) {
            (Some(token), _, _) => Some(format!("Bearer {token}")),
            (None, Some(user), password) => Some(format!(
                "Basic {}",
                base64(format!("{user}:{}", password.unwrap_or_default()).as_bytes())
            )),
            _ => None,
        };
        Ok(Self { base, agent, auth })
    }

    /// One call: `method` (GET or POST) on `/api/2.0/mlflow/{path}` with `body` (POST) or
    /// `query` (GET). `Ok(Err(refusal))` for an answer MLflow refused (4xx), after retrying
    /// 5xx answers and connection errors.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Result<Result<Value, Refusal>, MlflowError> {
        let url = format!("{}/api/2.0/mlflow/{path}", self.base);
        let name = format!("{method} {url}");
        let mut delay = Duration::from_millis(500);
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let answer = match method {
                "GET" => {
                    let mut request = self.agent.get(&url);
                    if let Some(map) = body.as_object() {
                        for (k, v) in map {
                            let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                            request = request.query(k, &text);
                        }
                    }
                    if let Some(auth) = &self.auth {
                        request = request.header("Authorization", auth);
                    }
                    request.call()
                }
                _ => {
                    let mut request = self.agent.post(&url);
                    if let Some(auth) = &self.auth {
                        request = request.header("Authorization", auth);
                    }
                    request.send_json(body)
                }
            };
            match answer {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = response
                        .into_body()
                        .with_config()
                        .limit(256 * 1024 * 1024)
                        .read_to_string()
                        .map_err(|e| failed(&name, format!("reading the answer: {e}")))?;
                    if status < 300 {
                        let value = if text.trim().is_empty() {
                            Value::Null
                        } else {
                            serde_json::from_str(&text).map_err(|e| {
                                failed(&name, format!("the answer is not JSON ({e}): {text}"))
                            })?
                        };
                        return Ok(Ok(value));
                    }
                    if status >= 500 && attempt < ATTEMPTS {
                        last = format!("HTTP {status}: {text}");
                    } else {
                        let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        return Ok(Err(Refusal {
                            status,
                            code: parsed["error_code"].as_str().unwrap_or("").to_string(),
                            message: parsed["message"]
                                .as_str()
                                .map_or_else(|| text.clone(), str::to_string),
                        }));
                    }
                }
                Err(e) => {
                    last = e.to_string();
                    // A certificate the client does not trust will not become trusted.
                    if last.contains("certificate") {
                        return Err(failed(
                            &name,
                            format!(
                                "{last} (a server signed by your own CA: \
                                 MLFLOW_TRACKING_SERVER_CERT_PATH=CA.pem)"
                            ),
                        ));
                    }
                }
            }
            if attempt < ATTEMPTS {
                std::thread::sleep(delay);
                delay *= 2;
            }
        }
        Err(failed(
            &name,
            format!("no answer after {ATTEMPTS} attempts: {last}"),
        ))
    }

    /// `call`, with a refusal as an error naming the call.
    pub fn ok(&self, method: &str, path: &str, body: &Value) -> Result<Value, MlflowError> {
        self.call(method, path, body)?.map_err(|r| {
            failed(
                &format!("{method} {}/api/2.0/mlflow/{path}", self.base),
                format!("HTTP {} {}: {}", r.status, r.code, r.message),
            )
        })
    }

    /// Uploads `bytes` as artifact `path` of a run whose artifact URI is
    /// `mlflow-artifacts:/LOCATION` (a server that serves its artifacts).
    pub fn upload_artifact(&self, location: &str, bytes: &[u8]) -> Result<(), MlflowError> {
        let url = format!(
            "{}/api/2.0/mlflow-artifacts/artifacts/{location}",
            self.base
        );
        let name = format!("PUT {url}");
        let mut delay = Duration::from_millis(500);
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let mut request = self.agent.put(&url);
            if let Some(auth) = &self.auth {
                request = request.header("Authorization", auth);
            }
            match request.send(bytes) {
                Ok(response) if response.status().as_u16() < 300 => return Ok(()),
                Ok(response) => {
                    let status = response.status().as_u16();
                    last = format!("HTTP {status}");
                    if status < 500 {
                        break;
                    }
                }
                Err(e) => last = e.to_string(),
            }
            if attempt < ATTEMPTS {
                std::thread::sleep(delay);
                delay *= 2;
            }
        }
        Err(failed(&name, format!("the upload failed: {last}")))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// A server on loopback that answers 503 twice, then 200, recording each request's head.
    fn flaky_server() -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let handle = std::thread::spawn(move || {
            let mut heads = Vec::new();
            for (i, stream) in listener.incoming().take(3).enumerate() {
                let mut stream = stream.expect("connection");
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).expect("line");
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; length];
                std::io::Read::read_exact(&mut reader, &mut body).expect("body");
                heads.push(head);
                let (status, body) = if i < 2 {
                    ("503 Service Unavailable", "busy")
                } else {
                    ("200 OK", "{\"experiment_id\": \"7\"}")
                };
                write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .expect("answer");
            }
            heads
        });
        (format!("http://{addr}"), handle)
    }

    /// 5xx answers are retried with backoff until one succeeds; the credentials go on every
    /// attempt.
    #[test]
    fn a_busy_server_is_retried_and_each_attempt_carries_the_credentials() {
        let (uri, server) = flaky_server();
        let mut client = super::MlflowClient::new(&uri).expect("client");
        client.auth = Some(format!("Basic {}", super::base64(b"ana:secret")));
        let answer = client
            .ok(
                "POST",
                "experiments/create",
                &serde_json::json!({"name": "sales"}),
            )
            .expect("the third attempt succeeds");
        assert_eq!(answer["experiment_id"], "7");
        let heads = server.join().expect("server");
        assert_eq!(heads.len(), 3);
        for head in &heads {
            assert!(
                head.starts_with("POST /api/2.0/mlflow/experiments/create"),
                "{head}"
            );
            assert!(
                head.contains("authorization: Basic YW5hOnNlY3JldA==")
                    || head.contains("Authorization: Basic YW5hOnNlY3JldA=="),
                "{head}"
            );
        }
    }

    #[test]
    fn basic_auth_is_standard_base64() {
        assert_eq!(super::base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"a"), "YQ==");
    }
}
