//! End to end on one PostgreSQL store shared by a team: two analysts' project folders name the
//! same database in `shelfcast.toml`, each watches the Runs tab in the real TUI (in tmux), and
//! each sees the other's run appear and finish live, through PostgreSQL's change notices; and
//! eight real training workers, half of them on a second host (a UTS namespace with its own
//! host name), log at once into the store with no lost point.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use shelfcast::store::{RunStatus, RunStore, StoreLocation};

use crate::common::{bin, describe, project, shelfcast};
use crate::e2e::Tmux;
use crate::pg_cluster::PgCluster;

fn share(root: &Path, url: &str) {
    std::fs::write(
        root.join("shelfcast.toml"),
        format!("[store]\nurl = \"{url}\"\n"),
    )
    .expect("config");
    let output = shelfcast(root, &["sample-data"]);
    assert!(output.status.success(), "{}", describe(&output));
}

/// The sample's `train`, named `name`, `rounds` rounds, followed to its end.
fn train_args(name: &str, rounds: usize, extra: &[&str]) -> Vec<String> {
    let rounds = format!("rounds={rounds}");
    let mut with = vec!["--wait", "--param", rounds.as_str()];
    with.extend_from_slice(extra);
    crate::common::sample_train_args(name, &with)
}

fn train_named(root: &Path, name: &str, rounds: usize) {
    let args = train_args(name, rounds, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = shelfcast(root, &args);
    assert!(output.status.success(), "{}", describe(&output));
}

#[test]
fn two_analysts_on_one_postgresql_store_see_each_others_runs_live() {
    if !Tmux::available("two_analysts_live") {
        return;
    }
    let Some(cluster) = PgCluster::shared("two_analysts_live") else {
        return;
    };
    let url = cluster.fresh_database("two_analysts");
    let (_ana_tmp, ana) = project();
    let (_ben_tmp, ben) = project();
    share(&ana, &url);
    share(&ben, &url);
    let ana_tui = Tmux::start("analyst-ana", &ana);
    let ben_tui = Tmux::start("analyst-ben", &ben);
    for tui in [&ana_tui, &ben_tui] {
        tui.wait_for("the app", Duration::from_secs(30), |s| s.contains("Runs"));
        tui.keys(&["3"]);
        tui.wait_for("the empty Runs tab", Duration::from_secs(10), |s| {
            s.contains("No run yet")
        });
    }
    train_named(&ben, "ben-promo", 8);
    let seen = ana_tui.wait_for("Ben's run in Ana's TUI", Duration::from_secs(30), |s| {
        s.contains("ben-promo") && s.contains("finished")
    });
    assert!(seen.contains("Runs (1)"), "{seen}");
    train_named(&ana, "ana-lags", 8);
    let seen = ben_tui.wait_for("Ana's run in Ben's TUI", Duration::from_secs(30), |s| {
        s.contains("ana-lags") && s.contains("ben-promo")
    });
    assert!(seen.contains("Runs (2)"), "{seen}");
    for tui in [&ana_tui, &ben_tui] {
        tui.keys(&["q"]);
        tui.wait_for("the app to exit", Duration::from_secs(10), |s| {
            s.contains("SHELFCAST_EXITED=0")
        });
    }
    // One history: both folders list the same two runs; neither wrote a runs.db of its own.
    for root in [&ana, &ben] {
        assert!(!root.join("runs.db").exists(), "{}", root.display());
        let listed = shelfcast(root, &["runs", "--json"]);
        let text = String::from_utf8_lossy(&listed.stdout);
        assert!(
            text.contains("ben-promo") && text.contains("ana-lags"),
            "{text}"
        );
    }
}

/// `shelfcast ARGS` as if on host `host`: in a new UTS namespace with that host name (root's
/// `unshare --uts`, else a user namespace's); `None` when this machine allows neither.
fn on_host(host: &str, root: &Path, args: &[&str]) -> Option<Command> {
    let probe = |extra: &[&str]| {
        Command::new("unshare")
            .args(extra)
            .args(["--uts", "sh", "-c", "hostname probe-host"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let flags: &[&str] = if probe(&[]) {
        &[]
    } else if probe(&["-r"]) {
        &["-r"]
    } else {
        return None;
    };
    let mut line = format!(
        "hostname {host} && exec '{}' --root '{}'",
        bin(),
        root.display()
    );
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let mut command = Command::new("unshare");
    command.args(flags).args(["--uts", "sh", "-c", &line]);
    Some(command)
}

#[test]
fn eight_workers_on_two_hosts_log_into_one_postgresql_store_with_no_lost_point() {
    let Some(cluster) = PgCluster::shared("eight_workers_two_hosts") else {
        return;
    };
    let url = cluster.fresh_database("eight_workers");
    let (_tmp, root) = project();
    share(&root, &url);
    const ROUNDS: usize = 20;
    let args = |name: &str| train_args(name, ROUNDS, &["--param", "threads=1"]);
    let mut children = Vec::new();
    let mut second_host = true;
    for i in 0..8 {
        let name = format!("worker-{i}");
        let argv = args(&name);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let command = if i % 2 == 1 {
            on_host("shelfcast-node-b", &root, &argv)
        } else {
            None
        };
        let mut command = match command {
            Some(command) => command,
            None => {
                if i % 2 == 1 {
                    second_host = false;
                }
                let mut command = Command::new(bin());
                command.arg("--root").arg(&root).args(&argv);
                command
            }
        };
        children.push(std::thread::spawn(move || {
            command.output().expect("run shelfcast")
        }));
    }
    if !second_host {
        println!(
            "NOTE eight_workers_two_hosts: no UTS namespace here (unshare refused); all eight \
             workers ran on this host"
        );
    }
    for child in children {
        let output = child.join().expect("a runner thread");
        assert!(output.status.success(), "{}", describe(&output));
    }
    let store = StoreLocation::Postgres(url).open().expect("open");
    let runs = store
        .list_runs(&Default::default())
        .expect("runs")
        .into_iter()
        .filter(|r| r.name.starts_with("worker-"))
        .collect::<Vec<_>>();
    assert_eq!(runs.len(), 8);
    let mut hosts = std::collections::BTreeSet::new();
    for run in &runs {
        assert_eq!(run.status, RunStatus::Finished, "{run:?}");
        hosts.insert(run.launched_on.clone().unwrap_or_default());
        assert_every_round_logged(&store, run.id, ROUNDS);
    }
    if second_host {
        assert!(hosts.contains("shelfcast-node-b"), "{hosts:?}");
        assert_eq!(hosts.len(), 2, "{hosts:?}");
    }
}

fn assert_every_round_logged(store: &RunStore, run: i64, rounds: usize) {
    let summaries = store.metric_summaries(run).expect("summaries");
    let train_loss = summaries
        .iter()
        .find(|s| s.key == "train_loss")
        .unwrap_or_else(|| panic!("run {run} logged no train_loss: {summaries:?}"));
    assert_eq!(train_loss.points as usize, rounds, "run {run}");
    let history = store.metric_history(run, "train_loss").expect("history");
    let steps: Vec<i64> = history.iter().map(|p| p.step).collect();
    let expected: Vec<i64> = (0..rounds as i64).collect();
    assert_eq!(steps, expected, "run {run}: every round once, in order");
}
