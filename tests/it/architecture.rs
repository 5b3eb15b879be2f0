//! The module rules of ARCHITECTURE.md, checked on the sources:
//! - the core (`store`, `data`, `jobs`, `ml`, `compare`, `drift`, `registry`, `schedule`, `monitor`) imports no face and
//!   names no terminal crate;
//! - no face (`tui`, `cli`, `serve`, `bench`) imports another, but the command dispatcher
//!   (`cli/mod.rs`), which starts each;
//! - no pane imports another pane;
//! - no two files of `tui/` import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FACES: [&str; 4] = ["tui", "cli", "serve", "bench"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file of a module: `src/NAME.rs` and everything below `src/NAME/`.
fn module_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        files.push(file);
    }
    let mut pending = vec![src.join(module)];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The source without comments (a doc comment may name another face).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read source");
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn core_modules_import_no_face_and_no_terminal_crate() {
    let src = src();
    let mut offenders = Vec::new();
    let mut checked = 0;
    for core in [
        "store", "data", "jobs", "ml", "compare", "drift", "registry", "schedule", "monitor",
        "tune", "mlflow",
    ] {
        for path in module_files(&src, core) {
            let text = code_of(&path);
            checked += 1;
            for face in FACES {
                if text.contains(&format!("crate::{face}::")) {
                    offenders.push(format!("{} uses crate::{face}", path.display()));
                }
            }
            for terminal in ["ratatui", "crossterm"] {
                if text.contains(terminal) {
                    offenders.push(format!("{} names {terminal}", path.display()));
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

#[test]
fn no_face_imports_another_but_the_dispatcher() {
    let src = src();
    let dispatcher = src.join("cli").join("mod.rs");
    let mut offenders = Vec::new();
    for face in FACES {
        for path in module_files(&src, face) {
            if path == dispatcher {
                continue;
            }
            let text = code_of(&path);
            for other in FACES.iter().filter(|f| **f != face) {
                if text.contains(&format!("crate::{other}::"))
                    || text.contains(&format!("crate::{other};"))
                {
                    offenders.push(format!("{} imports the {other} face", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "faces import faces:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn no_pane_imports_another_pane() {
    let panes = src().join("tui").join("panes");
    let names: Vec<String> = std::fs::read_dir(&panes)
        .expect("panes")
        .filter_map(|e| {
            let path = e.expect("entry").path();
            path.is_dir().then(|| {
                path.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned()
            })
        })
        .collect();
    assert!(names.len() >= 7, "one folder per pane: {names:?}");
    let mut offenders = Vec::new();
    for pane in &names {
        for path in module_files(&panes, pane) {
            let text = code_of(&path);
            for other in names.iter().filter(|n| *n != pane) {
                let direct = format!("panes::{other}");
                let relative = format!("super::super::{other}");
                let sibling = format!("super::{other}::");
                let from_mod = path.ends_with("mod.rs") && text.contains(&sibling);
                if text.contains(&direct) || text.contains(&relative) || from_mod {
                    offenders.push(format!("{} imports the {other} pane", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "panes import panes:\n{}",
        offenders.join("\n")
    );
}

/// A file's module path below `src/` (`tui::panes::runs` for `tui/panes/runs/mod.rs`).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

/// The modules `text` (the code of the file at `here`) refers to, as module paths.
fn references(text: &str, here: &[String], is_mod_file: bool) -> BTreeSet<Vec<String>> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = BTreeSet::new();
    // `super` of a `mod.rs` is its module's parent; of `x.rs`, the module holding x.
    let parent: Vec<String> = here[..here.len().saturating_sub(1)].to_vec();
    let children: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")
                .and_then(|r| r.strip_suffix(';'))
                .map(str::to_string)
        })
        .collect();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if (i == 0 || !word(chars[i - 1])) && word(chars[i]) {
            let start = i;
            while i < chars.len()
                && (word(chars[i])
                    || (chars[i] == ':' && chars.get(i + 1) == Some(&':'))
                    || (chars[i] == ':' && i > 0 && chars[i - 1] == ':'))
            {
                i += 1;
            }
            let path: String = chars[start..i].iter().collect();
            let path = path.trim_end_matches(':');
            let segments: Vec<&str> = path.split("::").collect();
            if segments.len() >= 2 || chars.get(i) == Some(&'{') {
                let (base, rest): (Vec<String>, &[&str]) = match segments[0] {
                    "crate" => (Vec::new(), &segments[1..]),
                    "super" if is_mod_file => (parent.clone(), &segments[1..]),
                    "super" => (parent.clone(), &segments[1..]),
                    "self" => (here.to_vec(), &segments[1..]),
                    first if children.iter().any(|c| c == first) => (here.to_vec(), &segments[..]),
                    _ => {
                        continue;
                    }
                };
                let mut target = base;
                target.extend(rest.iter().filter(|s| !s.is_empty()).map(|s| s.to_string()));
                found.insert(target);
            }
        } else {
            i += 1;
        }
    }
    found
}

#[test]
fn no_two_files_of_the_tui_import_each_other() {
    let src = src();
    let files = module_files(&src, "tui");
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_path(&src, f), f.clone()))
        .collect();
    // Each file's imports, resolved to the longest module path that is a file.
    let mut imports: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, file) in &modules {
        let text = code_of(file);
        let is_mod_file = file.ends_with("mod.rs");
        let mut targets = BTreeSet::new();
        for reference in references(&text, module, is_mod_file) {
            let resolved = (1..=reference.len())
                .rev()
                .map(|n| reference[..n].to_vec())
                .find(|prefix| modules.contains_key(prefix));
            if let Some(target) = resolved.filter(|t| t != module) {
                targets.insert(target);
            }
        }
        imports.insert(module.clone(), targets);
    }
    let mut circles = Vec::new();
    for (a, targets) in &imports {
        for b in targets {
            if a < b && imports.get(b).is_some_and(|t| t.contains(a)) {
                circles.push(format!("{} <-> {}", a.join("::"), b.join("::")));
            }
        }
    }
    assert!(
        imports.values().map(BTreeSet::len).sum::<usize>() > 50,
        "the import scan found too little to be trusted: {imports:?}"
    );
    assert!(
        circles.is_empty(),
        "files of tui/ import each other:\n{}",
        circles.join("\n")
    );
}
