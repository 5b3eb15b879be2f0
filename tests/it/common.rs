//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `../shared/data` beside the clone, or `None` (after saying why) when it is absent, as on a
/// user's fresh clone.
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "SKIP {test}: {} is absent (fresh clone); nothing to check",
            dir.display()
        );
        None
    }
}

/// A project folder named `shop` inside a fresh temporary directory (a fixed name keeps
/// snapshots free of random paths).
pub fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("shop");
    std::fs::create_dir_all(root.join("data")).expect("data dir");
    (tmp, root)
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_shelfcast")
}

/// Runs the real binary; on failure of the caller's expectation, `describe` gives everything
/// needed to see why.
pub fn shelfcast(root: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run shelfcast")
}

/// `shelfcast` run from inside the project folder, as an analyst types it: file arguments are
/// relative to the project.
pub fn shelfcast_in(root: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(root)
        .args(args)
        .output()
        .expect("run shelfcast")
}

/// `shelfcast ARGS`, which must succeed; what it printed on stdout.
pub fn stdout_of(root: &Path, args: &[&str]) -> String {
    let output = shelfcast(root, args);
    assert!(output.status.success(), "{args:?}: {}", describe(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether any process on this machine has `marker` in its command line (a job's command that
/// should have been ended with its process group).
pub fn a_process_runs_with(marker: &str) -> bool {
    std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .any(|cmd| String::from_utf8_lossy(&cmd).contains(marker))
}

pub fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    shelfcast::data::hex(&sha2::Sha256::digest(&bytes))
}

/// A run queued in the store as `shelfcast train` queues one, with no worker started for it.
pub fn queue_bare_run(root: &Path, name: &str) -> i64 {
    use shelfcast::store::{NewRun, QueuedRun, RunStore};
    RunStore::open(&root.join("runs.db"))
        .expect("store")
        .create_queued_run(&QueuedRun {
            run: &NewRun {
                experiment: "default".into(),
                name: name.into(),
                model_kind: "gbdt".into(),
                task: "regression".into(),
                dataset_id: None,
                parent_run_id: None,
            },
            params: &[],
            tags: &[],
            spec_json: Some("{}"),
        })
        .expect("queue")
}

/// Copies the NA-written fixture to `data/na.csv` and trains on it (target `units`, the last 8
/// weeks held out), waiting for the run.
pub fn train_na_fixture(root: &Path) {
    std::fs::copy(
        fixtures().join("real/na_tokens.csv"),
        root.join("data/na.csv"),
    )
    .expect("copy");
    let output = Command::new(bin())
        .current_dir(root)
        .args([
            "train",
            "--data",
            "data/na.csv",
            "--target",
            "units",
            "--split",
            "time:week:8",
            "--wait",
        ])
        .output()
        .expect("train");
    assert!(output.status.success(), "{}", describe(&output));
}

/// A frame read by Shelfcast's own loader from CSV text (kept in a temporary file).
pub fn frame_from_csv(csv: &str) -> (tempfile::TempDir, polars::prelude::DataFrame) {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("frame.csv");
    std::fs::write(&path, csv).expect("write");
    let df =
        shelfcast::data::load::read_csv(&path, None, &Default::default(), false).expect("read");
    (tmp, df)
}

/// Small weekly sales, deterministic: `stores` x `items` x `weeks` rows of
/// week,store,item,category,price,promo,units with a promotion lift and a seasonal swing.
pub fn weekly_sales_csv(stores: usize, items: usize, weeks: usize) -> String {
    let mut csv = String::from("week,store,item,category,price,promo,constant,units\n");
    let start = chrono::NaiveDate::from_ymd_opt(2022, 1, 3).expect("date");
    let mut state = 7u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5
    };
    for week in 0..weeks {
        let date = start + chrono::Duration::weeks(week as i64);
        for store in 0..stores {
            for item in 0..items {
                let promo = (week + item * 3 + store) % 5 == 0;
                let base = 10.0 + 4.0 * store as f64 + 3.0 * item as f64;
                let season = 1.0 + 0.3 * ((week as f64) * std::f64::consts::TAU / 52.0).sin();
                let lift = if promo { 1.6 } else { 1.0 };
                let units = (base * season * lift + 2.0 * noise()).round().max(0.0);
                let price = if promo { 2.0 } else { 2.5 } + item as f64 * 0.5;
                csv.push_str(&format!(
                    "{date},S{store},I{item},{},{price:.2},{},same,{units}\n",
                    if item % 2 == 0 { "Dairy" } else { "Snacks" },
                    u8::from(promo)
                ));
            }
        }
    }
    csv
}

/// A project with `data/sales.csv` from `weekly_sales_csv`.
pub fn sales_project(stores: usize, items: usize, weeks: usize) -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = project();
    std::fs::write(
        root.join("data/sales.csv"),
        weekly_sales_csv(stores, items, weeks),
    )
    .expect("write sales");
    (tmp, root)
}

/// Trains a run on `data/sales.csv` (target `units`, the last `holdout` weeks held out) through
/// the real CLI and waits for it; `extra` adds flags. Panics with the output when it fails.
pub fn train_sales(root: &Path, holdout: usize, extra: &[&str]) {
    let split = format!("time:week:{holdout}");
    let mut args = vec![
        "train",
        "--data",
        "data/sales.csv",
        "--target",
        "units",
        "--split",
        &split,
        "--wait",
    ];
    args.extend_from_slice(extra);
    let output = shelfcast(root, &args);
    assert!(output.status.success(), "{args:?}: {}", describe(&output));
}

/// Trains gradient boosting (Poisson, `rounds` rounds) on the sample's `sales_weekly.csv` with
/// its last 26 weeks held out, through the real CLI, and waits for it.
pub fn train_sample(root: &Path, rounds: usize) {
    let rounds = format!("rounds={rounds}");
    let args = [
        "train",
        "--data",
        "data/sales_weekly.csv",
        "--target",
        "units_sold",
        "--split",
        "time:week_start:26",
        "--param",
        "objective=poisson",
        "--param",
        &rounds,
        "--wait",
    ];
    let output = shelfcast(root, &args);
    assert!(output.status.success(), "{}", describe(&output));
}

/// A screenshot of `html` by headless Chromium, its size in bytes; `None` (said) where Chromium is
/// not installed. A blank page compresses to a few KB; tables and charts do not.
pub fn chromium_screenshot(html: &Path, height: u32) -> Option<u64> {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        println!("SKIP html in a browser: /usr/bin/chromium is absent (apt-get install chromium)");
        return None;
    }
    let shot = html.with_extension("png");
    let status = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            &format!("--screenshot={}", shot.display()),
            &format!("--window-size=1280,{height}"),
        ])
        .arg(format!("file://{}", html.display()))
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium");
    assert!(status.success());
    let bytes = std::fs::metadata(&shot).expect("screenshot").len();
    println!("screenshot {bytes} bytes of {}", html.display());
    Some(bytes)
}

/// `train` on the sample's weekly sales with its last 26 weeks held out, named `name`, then
/// `extra`: the arguments the shared-store and Slurm end-to-end tests launch with.
pub fn sample_train_args(name: &str, extra: &[&str]) -> Vec<String> {
    [
        "train",
        "--data",
        "data/sales_weekly.csv",
        "--target",
        "units_sold",
        "--split",
        "time:week_start:26",
        "--name",
        name,
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect()
}
