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

/// A frame read by Shelfcast's own loader from CSV text (kept in a temporary file).
pub fn frame_from_csv(csv: &str) -> (tempfile::TempDir, polars::prelude::DataFrame) {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("frame.csv");
    std::fs::write(&path, csv).expect("write");
    let df = shelfcast::data::load::read_csv(&path, None).expect("read");
    (tmp, df)
}
