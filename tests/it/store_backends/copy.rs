//! `store copy` is lossless both ways: a SQLite store filled by the backend tests above (every
//! table: runs, points, the registry, predictions, forecasts, schedules, studies…) goes to
//! PostgreSQL and back into a new SQLite file, and every row of every table comes back equal,
//! ids and floats included; the copied PostgreSQL store keeps numbering where the copy ended;
//! the command line refuses a store that is not empty and leaves it untouched.

use std::path::Path;

use rusqlite::types::Value;
use shelfcast::store::{COPY_ORDER, StoreLocation};

use super::*;
use crate::common::{describe, project, shelfcast};

/// Every row of every table, each table's rows sorted by all their columns.
fn dump(path: &Path) -> Vec<(String, Vec<Vec<Value>>)> {
    let conn = rusqlite::Connection::open(path).expect("open the copy");
    COPY_ORDER
        .iter()
        .map(|table| {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table}"))
                .expect("select");
            let columns = stmt.column_count();
            let mut rows: Vec<Vec<Value>> = stmt
                .query_map([], |row| {
                    (0..columns).map(|i| row.get::<_, Value>(i)).collect()
                })
                .expect("rows")
                .collect::<Result<_, _>>()
                .expect("read");
            rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            (table.to_string(), rows)
        })
        .collect()
}

#[test]
fn a_history_copied_to_postgresql_and_back_comes_back_row_for_row() {
    let Some(cluster) = crate::pg_cluster::PgCluster::shared("store_copy_round_trip") else {
        return;
    };
    let source = TestStore::sqlite();
    super::runs::a_run_goes_from_queued_to_finished_and_lists_by_every_filter(&source);
    super::runs::metric_batches_keep_the_last_value_of_a_repeated_point_and_read_back_by_step(
        &source,
    );
    super::registry::the_registry_numbers_versions_moves_aliases_and_never_hands_a_number_out_twice(
        &source,
    );
    super::registry::predictions_are_counted_read_back_and_pruned_by_age(&source);
    super::registry::datasets_are_recorded_by_path_and_bytes_and_profiles_are_cached_by_content(
        &source,
    );
    super::registry::drift_reports_are_listed_newest_first_with_their_json(&source);
    super::operations::forecasts_are_scored_against_actuals_added_later(&source);
    super::operations::schedules_account_their_slots_and_job_runs_move_through_their_states(
        &source,
    );
    super::operations::studies_keep_their_trials_by_number_with_state_and_value(&source);
    super::operations::promotion_decisions_are_listed_newest_first_per_model(&source);
    let mut record = serde_json::Map::new();
    record.insert("price".into(), serde_json::json!(2.79));
    record.insert(
        "store_id".into(),
        serde_json::json!("S01 ‘quoted’ \"x\"\nline"),
    );
    source
        .open()
        .save_form("sales", "promo week", &record)
        .expect("a saved form");
    let StoreLocation::Sqlite(source_path) = &source.location else {
        unreachable!("a SQLite test store");
    };
    // A table a later migration adds must join the copy.
    let conn = rusqlite::Connection::open(source_path).expect("open");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    drop(conn);
    tables.retain(|t| !t.starts_with("sqlite_"));
    let mut copied: Vec<String> = COPY_ORDER.iter().map(|t| t.to_string()).collect();
    copied.sort();
    assert_eq!(tables, copied, "store::COPY_ORDER names every table");
    let before = dump(source_path);
    let empty: Vec<&str> = before
        .iter()
        .filter(|(_, rows)| rows.is_empty())
        .map(|(table, _)| table.as_str())
        .collect();
    assert!(
        empty.is_empty(),
        "the seed leaves no table empty: {empty:?}"
    );

    let postgres = StoreLocation::Postgres(cluster.fresh_database("store_copy_round_trip"));
    let mut there = postgres.open().expect("postgres");
    let mut ticks = 0;
    let report = source
        .open()
        .copy_into(&mut there, &mut |_| ticks += 1)
        .expect("copy to PostgreSQL");
    let rows: usize = before.iter().map(|(_, rows)| rows.len()).sum();
    assert_eq!(report.rows as usize, rows);
    assert!(ticks >= COPY_ORDER.len(), "progress per table at least");

    let back_dir = tempfile::tempdir().expect("temp");
    let back_path = back_dir.path().join("back.db");
    let mut back = StoreLocation::Sqlite(back_path.clone())
        .open()
        .expect("back");
    there
        .copy_into(&mut back, &mut |_| {})
        .expect("copy back to SQLite");
    drop(back);
    let after = dump(&back_path);
    for ((table, rows), (_, copied)) in before.iter().zip(&after) {
        assert_eq!(rows, copied, "{table} came back changed");
    }

    // The copy keeps numbering after the copied ids: a new run gets the next one.
    let highest = before
        .iter()
        .find(|(table, _)| table == "runs")
        .and_then(|(_, rows)| {
            rows.iter()
                .filter_map(|r| match r.first() {
                    Some(Value::Integer(id)) => Some(*id),
                    _ => None,
                })
                .max()
        })
        .expect("runs");
    let next = there
        .create_run(&new_run("after-copy", "next", None))
        .expect("a run after the copy");
    assert_eq!(next, highest + 1);
}

#[test]
fn the_store_copy_command_fills_an_empty_store_and_refuses_one_that_is_not() {
    let Some(cluster) = crate::pg_cluster::PgCluster::shared("store_copy_command") else {
        return;
    };
    let (_tmp, root) = project();
    let source = TestStore::sqlite();
    super::runs::a_run_goes_from_queued_to_finished_and_lists_by_every_filter(&source);
    let url = cluster.fresh_database("store_copy_command");
    let from = source.location.url();
    let output = shelfcast(
        &root,
        &["store", "copy", "--from", &from, "--to", &url, "--json"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the copy's JSON");
    let runs = source
        .open()
        .list_runs(&RunFilter {
            include_deleted: true,
            ..Default::default()
        })
        .expect("runs")
        .len();
    let copied_runs = report["tables"]
        .as_array()
        .and_then(|tables| tables.iter().find(|t| t[0] == "runs"))
        .and_then(|t| t[1].as_u64());
    assert_eq!(copied_runs, Some(runs as u64), "{report}");
    // The folder's own commands read the copy through --store.
    let listed = shelfcast(&root, &["--store", &url, "runs", "--json"]);
    assert!(listed.status.success(), "{}", describe(&listed));

    let again = shelfcast(&root, &["store", "copy", "--from", &from, "--to", &url]);
    assert!(!again.status.success(), "a second copy must be refused");
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        said.contains("store copy fills an empty store only (nothing was copied)"),
        "{said}"
    );
    let after = StoreLocation::Postgres(url)
        .open()
        .expect("open")
        .list_runs(&RunFilter {
            include_deleted: true,
            ..Default::default()
        })
        .expect("runs")
        .len();
    assert_eq!(after, runs, "the refused copy changed nothing");
    let bad = shelfcast(&root, &["store", "copy", "--to", "mysql://db/x"]);
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("unknown kind of store"), "{said}");
}
