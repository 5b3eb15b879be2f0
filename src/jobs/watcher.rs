//! Watches a project's `data/` folder and reports "datasets changed" as one coalesced signal, so a
//! file copied in (many write events) costs one rescan.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// Events closer together than this are one change.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Keeps the watch alive; dropping it stops watching.
pub struct DataWatcher {
    _watcher: RecommendedWatcher,
}

/// Calls `on_change` (from a watcher thread) at most once per burst of file-system events below
/// `dir`. The folder is created if missing, so a project without data can still be watched.
pub fn watch_data_dir(
    dir: &Path,
    on_change: impl Fn() + Send + 'static,
) -> notify::Result<DataWatcher> {
    std::fs::create_dir_all(dir).map_err(notify::Error::io)?;
    let (tx, rx) = mpsc::channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(dir, RecursiveMode::Recursive)?;
    std::thread::Builder::new()
        .name("data-watcher".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                // Swallow the rest of the burst, then report once.
                while rx.recv_timeout(DEBOUNCE).is_ok() {}
                on_change();
            }
        })
        .map_err(notify::Error::io)?;
    Ok(DataWatcher { _watcher: watcher })
}
