//! `shelfcast bench serve`: single-record `POST /predict` over loopback with keep-alive
//! connections for a fixed time, against Shelfcast's endpoint serving a gradient-boosting model
//! trained on the sample, and against `benches/fastapi_predict.py` (FastAPI, pydantic, uvicorn,
//! scikit-learn on the same data) when it is installed. The load client is the same for both:
//! N tokio tasks, one connection each, one request in flight per connection.
//!
//! In the same run, the same client drives the floor (`Faces::serve_floor`): the same router,
//! body limit and listener answering the same request with a fixed body and no model. The gap
//! between Shelfcast and the floor is what the model and its bookkeeping cost (parsing, the
//! blocking pool, the log), apart from what axum and loopback cost anyway.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::{benches_dir, tempfile_dir};
use crate::data::sample::write_sample;
use crate::jobs::LaunchRequest;
use crate::jobs::launch::queue_run;
use crate::jobs::worker::run_worker;
use crate::ml::models::ModelKind;
use crate::ml::train::TrainSpec;
use crate::project::Project;
use crate::registry::register_run;

const RECORD: &str = r#"{"week_start":"2023-06-05","store_id":"S01","region":"North","item_id":"I003","category":"Dairy","regular_price":3.2,"price":3.2,"promo":0,"promo_depth_pct":0,"display":0,"holiday":0}"#;

struct Load {
    requests: usize,
    errors: usize,
    seconds: f64,
    latencies_us: Vec<u64>,
}

impl Load {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn percentile(&mut self, p: f64) -> f64 {
        self.latencies_us.sort_unstable();
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[index] as f64 / 1000.0
    }
}

/// One connection's loop: request, read the whole response, repeat until `until`.
async fn connection(addr: SocketAddr, until: Instant) -> anyhow::Result<(usize, usize, Vec<u64>)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let request = format!(
        "POST /predict HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{RECORD}",
        RECORD.len()
    );
    let (mut ok, mut errors, mut latencies) = (0usize, 0usize, Vec::new());
    let mut line = String::new();
    while Instant::now() < until {
        let started = Instant::now();
        write.write_all(request.as_bytes()).await?;
        line.clear();
        reader.read_line(&mut line).await?;
        let success = line.split_whitespace().nth(1) == Some("200");
        let mut length = 0usize;
        loop {
            line.clear();
            reader.read_line(&mut line).await?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await?;
        latencies.push(started.elapsed().as_micros() as u64);
        if success {
            ok += 1;
        } else {
            errors += 1;
        }
    }
    Ok((ok, errors, latencies))
}

fn drive(addr: SocketAddr, connections: usize, seconds: u64) -> anyhow::Result<Load> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let started = Instant::now();
        let until = started + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(connection(addr, until)))
            .collect();
        let mut load = Load {
            requests: 0,
            errors: 0,
            seconds: 0.0,
            latencies_us: Vec::new(),
        };
        for task in tasks {
            let (ok, errors, latencies) = task.await??;
            load.requests += ok;
            load.errors += errors;
            load.latencies_us.extend(latencies);
        }
        load.seconds = started.elapsed().as_secs_f64();
        Ok(load)
    })
}

fn report(label: &str, load: &mut Load) {
    println!(
        "{label:<28} {:>10.0} req/s   p50 {:>7.3} ms   p99 {:>7.3} ms   ({} ok, {} errors)",
        load.requests as f64 / load.seconds,
        load.percentile(0.5),
        load.percentile(0.99),
        load.requests,
        load.errors
    );
}

/// What a bench server answers with.
enum Stack {
    /// The sample model, registered as `sales@champion` in this project.
    Shelfcast(Project),
    /// `serve::serve_floor`: the same router, body limit and listener, a fixed body, no model.
    Floor,
}

const BODY_LIMIT: usize = 1 << 20;

/// Starts `stack` on a thread of its own, where it runs until the bench exits; its address.
fn start_server(stack: Stack, faces: &super::Faces) -> anyhow::Result<SocketAddr> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<SocketAddr>();
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let (start, project) = match stack {
        Stack::Shelfcast(project) => (faces.serve_model, project),
        Stack::Floor => (faces.serve_floor, Project::new(Path::new("."))),
    };
    std::thread::spawn(move || {
        let on_ready = Box::new(move |bound: SocketAddr| {
            let _ = ready_tx.send(bound);
        });
        if let Err(e) = start(project, addr, BODY_LIMIT, on_ready) {
            say_err!("bench server: {e}");
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .context("the server did not start")
}

pub fn bench_serve(connections: usize, seconds: u64, faces: &super::Faces) -> anyhow::Result<()> {
    let scratch = tempfile_dir()?;
    let project = Project::new(&scratch);
    write_sample(&project.data_dir(), crate::data::sample::DEFAULT_SEED)?;
    let mut store = project.open_store()?;
    let (run, _) = queue_run(
        &project,
        &mut store,
        &LaunchRequest {
            spec: TrainSpec {
                data: "data/sales_weekly.csv".into(),
                lookups: Vec::new(),
                read: Default::default(),
                target: "units_sold".into(),
                task: None,
                features: Vec::new(),
                lags: None,
                log1p: false,
                model: ModelKind::Gbdt,
                params: vec![
                    ("rounds".into(), "100".into()),
                    ("objective".into(), "poisson".into()),
                ],
                split: "time:week_start:26".into(),
                seed: 42,
                until: None,
                backtest: None,
            },
            experiment: "bench".into(),
            name: Some("bench-serve".into()),
            tags: Vec::new(),
            parent_run_id: None,
        },
    )?;
    drop(store);
    run_worker(&project, run)?;
    let mut store = project.open_store()?;
    register_run(&project, &mut store, run, "sales", Some("champion"), None)?;
    drop(store);
    println!(
        "bench serve: {connections} connections, {seconds} s, one record per request, keep-alive"
    );

    // Shelfcast's endpoint, then the floor (the same stack with no model), same client.
    let addr = start_server(Stack::Shelfcast(project.clone()), faces)?;
    let mut ours = drive(addr, connections, seconds)?;
    report("Shelfcast (axum)", &mut ours);
    // The Shelfcast server stays up, idle: its log writer's last batch should not land inside
    // the floor's measurement.
    std::thread::sleep(Duration::from_secs(1));
    let floor_addr = start_server(Stack::Floor, faces)?;
    let mut floor = drive(floor_addr, connections, seconds)?;
    report("floor (axum, no model)", &mut floor);
    let share = 100.0 * ours.rate() / floor.rate();
    let (our_p99, floor_p99) = (ours.percentile(0.99), floor.percentile(0.99));
    println!(
        "Shelfcast serves {share:.0}% of the floor's requests/s; p99 {our_p99:.3} ms against \
         the floor's {floor_p99:.3} ms"
    );

    // FastAPI on the same data, same client.
    let port = 18_000 + (std::process::id() % 2000) as u16;
    let mut child = Command::new("python3")
        .arg(benches_dir().join("fastapi_predict.py"))
        .arg("--data")
        .arg(project.data_dir().join("sales_weekly.csv"))
        .arg("--port")
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("python3 could not run")?;
    let mut first = String::new();
    if let Some(stdout) = child.stdout.take() {
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first)?;
    }
    if let Some(reason) = first.trim().strip_prefix("SKIP") {
        println!("SKIP FastAPI: {}", reason.trim());
        let _ = child.kill();
        return Ok(());
    }
    if !first.starts_with("listening") {
        let _ = child.kill();
        bail!("the FastAPI script did not start: {first}");
    }
    let fastapi_addr = SocketAddr::from(([127, 0, 0, 1], port));
    // uvicorn runs the startup hook before it binds: wait until the port answers.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(fastapi_addr).is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("FastAPI never opened port {port}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let theirs = drive(fastapi_addr, connections, seconds);
    let _ = child.kill();
    let _ = child.wait();
    let mut theirs = theirs?;
    report("FastAPI + uvicorn (1 worker)", &mut theirs);
    let ratio = (ours.requests as f64 / ours.seconds) / (theirs.requests as f64 / theirs.seconds);
    println!("Shelfcast serves {ratio:.0}x FastAPI's requests/s (target >= 100x, p99 < 2 ms)");
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
