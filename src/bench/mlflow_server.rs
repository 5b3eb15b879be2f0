//! A real `mlflow server` on a free loopback port (SQLite backend, served artifacts, one worker),
//! optionally with its basic-auth app or over https, stopped with its process group when dropped:
//! what `bench mlflow` and the MLflow tests run against. Its interpreter is
//! SHELFCAST_MLFLOW_PYTHON, else python3.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn python() -> String {
    std::env::var("SHELFCAST_MLFLOW_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Why the server cannot be started here (mlflow, or its auth extra, is not importable).
pub fn missing(auth: bool) -> Option<String> {
    let module = if auth {
        "import mlflow, flask_wtf"
    } else {
        "import mlflow"
    };
    let ok = Command::new(python())
        .args(["-c", module])
        .output()
        .is_ok_and(|o| o.status.success());
    (!ok).then(|| {
        format!(
            "{} cannot {module}; pip install {}",
            python(),
            if auth { "'mlflow[auth]'" } else { "mlflow" }
        )
    })
}

pub struct MlflowServer {
    child: Child,
    pub uri: String,
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        // SAFETY: kill() on the server's own process group (started as its leader).
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

impl MlflowServer {
    /// Starts it with its store under `dir`; `admin_password` runs the basic-auth app, `tls`
    /// (key, certificate) serves https.
    pub fn start(
        dir: &Path,
        admin_password: Option<&str>,
        tls: Option<(&Path, &Path)>,
    ) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt;
        std::fs::create_dir_all(dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut command = Command::new(python());
        command.args(["-m", "mlflow", "server"]);
        if let Some(password) = admin_password {
            command
                .args(["--app-name", "basic-auth"])
                .env("MLFLOW_AUTH_ADMIN_PASSWORD", password)
                .env("MLFLOW_FLASK_SERVER_SECRET_KEY", "shelfcast-local");
        }
        if let Some((key, cert)) = tls {
            command.arg("--uvicorn-opts").arg(format!(
                "--ssl-keyfile {} --ssl-certfile {}",
                key.display(),
                cert.display()
            ));
        }
        let child = command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}", dir.join("mlflow.db").display()))
            .args([
                "--serve-artifacts",
                "--workers",
                "1",
                "--artifacts-destination",
            ])
            .arg(dir.join("artifacts"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(dir.join("server.log"))?))
            .process_group(0)
            .spawn()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = Self {
            child,
            uri: format!("{scheme}://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                std::thread::sleep(Duration::from_millis(500));
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        anyhow::bail!(
            "mlflow server did not listen within 120 s: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        )
    }
}
