//! The core never knows the screen: `store`, `data`, `jobs` (and later `ml`, `drift`,
//! `registry`) import no face and name no terminal crate.

use std::path::Path;

#[test]
fn core_modules_import_no_face_and_no_terminal_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut checked = 0;
    for core in ["store", "data", "jobs", "ml", "drift", "registry"] {
        let dir = src.join(core);
        if !dir.exists() {
            continue;
        }
        let mut pending = vec![dir];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("read src dir") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("read source");
                checked += 1;
                for forbidden in [
                    "crate::tui",
                    "crate::cli",
                    "crate::serve",
                    "ratatui",
                    "crossterm",
                ] {
                    if text.contains(forbidden) {
                        offenders.push(format!("{} uses {forbidden}", path.display()));
                    }
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
