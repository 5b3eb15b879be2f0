//! Writing files that other processes may read or write at the same time: every output of
//! Shelfcast (batch predictions, reports, exports, the sample data) goes through here.
//!
//! A file is written under a temporary name unique to this process and this write (pid and a
//! random part) in the target's own folder, flushed and synced, then renamed over the target.
//! Readers see the old file or the new one, never a mix, and two writers of one target leave
//! one complete file. A failed write (a full disk) removes its temporary file. Leftover
//! temporaries of dead writers are cleaned the next time the folder is written to.

use std::collections::hash_map::RandomState;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The marker in every temporary name, so leftovers can be found and removed.
const PARTIAL: &str = ".partial-";

/// A temporary without a readable pid older than this is a leftover of a crash.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// A name beside `path` that no other writer uses: `.NAME.partial-PID-RANDOM`.
pub fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let random = hasher.finish();
    path.with_file_name(format!(
        ".{name}{PARTIAL}{}-{random:016x}",
        std::process::id()
    ))
}

/// Writes `path` atomically with `write`, creating its folder if needed.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&folder)?;
    clean_stale_partials(&folder);
    let temporary = temporary_beside(path);
    let result = (|| {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        let mut writer = BufWriter::new(file);
        write(&mut writer)?;
        writer.flush()?;
        writer.get_ref().sync_all()?;
        drop(writer);
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// `bytes` to `path`, atomically.
pub fn write_bytes_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically(path, |w| w.write_all(bytes))
}

/// A crash test's hook: when `SHELFCAST_FAILPOINT` names `point`, the process dies on the spot
/// as under `kill -9` (no unwinding, no cleanup), so tests can stop a write at each step.
pub fn failpoint(point: &str) {
    if std::env::var_os("SHELFCAST_FAILPOINT").is_some_and(|p| p == point) {
        std::process::abort();
    }
}

/// Removes temporaries in `folder` left by writers that died: those of a process that no
/// longer exists, or older than an hour. Best effort: a file it cannot remove stays.
pub fn clean_stale_partials(folder: &Path) -> usize {
    let Ok(entries) = fs::read_dir(folder) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((_, rest)) = name.split_once(PARTIAL) else {
            continue;
        };
        let pid: Option<u32> = rest.split('-').next().and_then(|p| p.parse().ok());
        let alive = pid.is_some_and(|pid| {
            pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
        });
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if pid.is_some_and(|p| p == std::process::id()) {
            continue;
        }
        // A live writer's file is never touched, however old; one without a readable pid goes
        // once it is old.
        if alive || (pid.is_none() && !old) {
            continue;
        }
        let path = entry.path();
        let gone = if path.is_dir() {
            fs::remove_dir_all(&path).is_ok()
        } else {
            fs::remove_file(&path).is_ok()
        };
        if gone {
            removed += 1;
        }
    }
    removed
}

/// `name` as a safe part of a file name: letters, digits, `-`, `_` and `.` kept, anything else
/// (a slash, a space) written `_`.
pub fn safe_file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Every file under `dir` (not the folders), as (path relative to `dir`, full path), sorted.
pub fn files_under(dir: &Path) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push((rel.to_path_buf(), path.clone()));
            }
        }
    }
    out.sort();
    Ok(out)
}
