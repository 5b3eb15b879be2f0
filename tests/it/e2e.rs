//! End to end: the real binary in tmux, driven with send-keys and read with capture-pane,
//! polling until a condition holds (never a fixed sleep for correctness).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{bin, project, shared_data};

/// A detached tmux session with a fixed size on its own server (socket), so tests never touch
/// the user's tmux and can kill their server; killed on drop.
pub(crate) struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    pub(crate) fn available(test: &str) -> bool {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            println!("SKIP {test}: tmux is not installed");
        }
        ok
    }

    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket]);
        command
    }

    /// The app on `root`; after it exits, a marker and the terminal's mode are printed, so a
    /// test can see that raw mode was left, and the pane stays open for capture.
    pub(crate) fn start(name: &str, root: &Path) -> Self {
        Self::start_with(name, root, "")
    }

    /// `start` with `env` (`NAME=value` words) set for the app, e.g. the Slurm cluster's config.
    pub(crate) fn start_with(name: &str, root: &Path, env: &str) -> Self {
        let command = format!(
            "{env} NO_COLOR=1 {} --root {}; echo SHELFCAST_EXITED=$?; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 600",
            bin(),
            root.display()
        );
        Self::run(name, &command)
    }

    /// Any shell command in a new session.
    pub(crate) fn run(name: &str, command: &str) -> Self {
        let tmux = Self {
            socket: format!("shelfcast-test-{name}-{}", std::process::id()),
            session: format!("shelfcast-{name}"),
        };
        let status = tmux
            .tmux()
            .args([
                "new-session",
                "-d",
                "-s",
                &tmux.session,
                "-x",
                "120",
                "-y",
                "36",
                command,
            ])
            .status()
            .expect("start tmux");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let status = self
            .tmux()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Types `text` literally (quotes, `=` and spaces included).
    pub(crate) fn type_text(&self, text: &str) {
        let status = self
            .tmux()
            .args(["send-keys", "-l", "-t", &self.session, text])
            .status()
            .expect("send-keys -l");
        assert!(status.success());
    }

    pub(crate) fn screen(&self) -> String {
        let output = self
            .tmux()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Polls the screen until `condition` holds; panics with the last screen after `timeout`.
    pub(crate) fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        condition: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if condition(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the whole tmux server, as closing the terminal window of a remote session does:
    /// every process attached to its terminals gets SIGHUP.
    pub(crate) fn kill_server(&self) {
        let status = self
            .tmux()
            .arg("kill-server")
            .status()
            .expect("kill-server");
        assert!(status.success(), "tmux kill-server failed");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // The server may be gone already (a test killed it on purpose).
        let _ = self
            .tmux()
            .arg("kill-server")
            .stderr(std::process::Stdio::null())
            .status();
    }
}

fn ready_count(screen: &str) -> usize {
    screen.lines().filter(|l| l.starts_with("│✓ ")).count()
}

#[test]
fn tui_lists_the_sample_follows_the_folder_and_restores_the_terminal() {
    if !Tmux::available("tui_end_to_end") {
        return;
    }
    let (_tmp, root) = project();
    let tmux = Tmux::start("main", &root);
    // First run on an empty data/: the sample is generated and all four files get profiled.
    let screen = tmux.wait_for(
        "the four sample datasets, profiled",
        Duration::from_secs(180),
        |s| ready_count(s) == 4,
    );
    assert!(screen.contains("coupon_redemption.csv"), "{screen}");
    assert!(screen.contains("wrote the sample data"), "{screen}");
    assert!(
        screen.contains("4,000 rows × 9 columns"),
        "the first file is selected:\n{screen}"
    );

    tmux.keys(&["j"]);
    tmux.wait_for("sales_weekly.csv selected", Duration::from_secs(10), |s| {
        s.contains("156,000 rows × 12 columns · csv")
    });
    tmux.keys(&["j"]);
    tmux.wait_for("the Parquet copy selected", Duration::from_secs(10), |s| {
        s.contains("156,000 rows × 12 columns · parquet")
    });

    // A file copied into data/ appears (and gets profiled) without any key.
    std::fs::write(root.join("data/.partial.tmp"), "ignored").expect("hidden file");
    std::fs::write(
        root.join("data/extra_sales.csv"),
        "week,units\n2024-01-01,5\n2024-01-08,7\n",
    )
    .expect("new file");
    tmux.wait_for("extra_sales.csv listed", Duration::from_secs(10), |s| {
        s.contains("extra_sales.csv") && ready_count(s) == 5
    });
    std::fs::remove_file(root.join("data/extra_sales.csv")).expect("remove");
    tmux.wait_for("extra_sales.csv gone", Duration::from_secs(10), |s| {
        !s.contains("extra_sales.csv")
    });

    tmux.keys(&["?"]);
    tmux.wait_for("the help overlay", Duration::from_secs(10), |s| {
        s.contains("Keys — ? or Esc")
    });
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for(
        "the app to exit and stty to report",
        Duration::from_secs(10),
        |s| s.contains("SHELFCAST_EXITED=") && s.lines().any(|l| l.trim_end().ends_with("icanon")),
    );
    assert!(screen.contains("SHELFCAST_EXITED=0"), "{screen}");
    assert!(
        !screen.contains("Files in data/"),
        "the alternate screen was not left:\n{screen}"
    );
    let mode = screen
        .lines()
        .find(|l| l.trim_end().ends_with("icanon"))
        .unwrap_or("");
    assert_eq!(mode.trim(), "icanon", "raw mode was left on:\n{screen}");
    assert!(root.join("runs.db").exists());
}

#[test]
fn the_pane_answers_keys_while_a_million_row_file_is_profiled() {
    if !Tmux::available("tui_responsive_while_profiling") {
        return;
    }
    let Some(shared) = shared_data("tui_responsive_while_profiling") else {
        return;
    };
    let (_tmp, root) = project();
    std::fs::copy(fixtures_small(), root.join("data/a_small.csv")).expect("small");
    std::fs::copy(
        shared.join("rossmann_train.csv"),
        root.join("data/rossmann_train.csv"),
    )
    .expect("copy the 1M-row file");
    let tmux = Tmux::start("busy", &root);
    tmux.wait_for("a_small.csv profiled", Duration::from_secs(60), |s| {
        ready_count(s) == 1
    });
    // Select the big file: its profile starts (or is under way) in the background.
    tmux.keys(&["j"]);
    tmux.wait_for(
        "the big file being profiled",
        Duration::from_secs(30),
        |s| s.contains("rossmann_train.csv — profiling"),
    );
    // Move the selection back and forth while it is still profiling: every key is answered.
    for round in 0..3 {
        tmux.keys(&["k"]);
        tmux.wait_for("a_small.csv selected", Duration::from_secs(2), |s| {
            s.contains("12 rows × 6 columns")
        });
        tmux.keys(&["j"]);
        let screen = tmux.wait_for("rossmann selected again", Duration::from_secs(2), |s| {
            s.contains("rossmann_train.csv")
                && (s.contains("— profiling") || s.contains("1,017,209 rows"))
        });
        if round == 0 {
            assert!(
                screen.contains("— profiling"),
                "the profile finished too soon to test:\n{screen}"
            );
        }
    }
    tmux.keys(&["q"]);
    tmux.wait_for("the app to exit", Duration::from_secs(10), |s| {
        s.contains("SHELFCAST_EXITED=0")
    });
}

fn fixtures_small() -> std::path::PathBuf {
    crate::common::fixtures().join("small/weekly_sales.csv")
}
