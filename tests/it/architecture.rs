//! The core never knows the screen: `store`, `data`, `jobs`, `ml`, `compare` (and later `drift`,
//! `registry`) import no face and name no terminal crate.

use std::path::{Path, PathBuf};

const FORBIDDEN: [&str; 5] = [
    "crate::tui",
    "crate::cli",
    "crate::serve",
    "ratatui",
    "crossterm",
];

/// Every source file of a core module: `src/NAME.rs` and everything below `src/NAME/`.
fn core_files(src: &Path, core: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{core}.rs"));
    if file.exists() {
        files.push(file);
    }
    let mut pending = vec![src.join(core)];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn core_modules_import_no_face_and_no_terminal_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut checked = 0;
    for core in [
        "store", "data", "jobs", "ml", "compare", "drift", "registry",
    ] {
        for path in core_files(&src, core) {
            let text = std::fs::read_to_string(&path).expect("read source");
            checked += 1;
            for forbidden in FORBIDDEN {
                if text.contains(forbidden) {
                    offenders.push(format!("{} uses {forbidden}", path.display()));
                }
            }
        }
    }
    assert!(
        checked >= 10,
        "expected to check the core's files, checked {checked}"
    );
    assert!(
        offenders.is_empty(),
        "core modules touch a face:\n{}",
        offenders.join("\n")
    );
}
