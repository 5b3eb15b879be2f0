//! Drift reports in the store: each check's verdict, its two sides and the whole report (JSON),
//! with the HTML file written for it, so the TUI lists past reports and reopens them.

use rusqlite::params;
use serde::Serialize;

use super::db::Row;
use super::{RunStore, StoreError, now_text};

#[derive(Clone, Debug)]
pub struct NewDriftReport<'a> {
    pub reference_label: &'a str,
    pub current_label: &'a str,
    pub model_version_id: Option<i64>,
    pub dataset_drift: bool,
    pub drifted_columns: usize,
    pub tested_columns: usize,
    pub report_json: &'a str,
    pub html_path: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriftReportRow {
    pub id: i64,
    pub created_at: String,
    pub reference_label: String,
    pub current_label: String,
    pub model_version_id: Option<i64>,
    pub dataset_drift: bool,
    pub drifted_columns: i64,
    pub tested_columns: i64,
    pub html_path: Option<String>,
}

const COLUMNS: &str = "id, created_at, reference_label, current_label, model_version_id, \
     dataset_drift, drifted_columns, tested_columns, html_path";

fn row_of(row: &Row<'_>) -> rusqlite::Result<DriftReportRow> {
    Ok(DriftReportRow {
        id: row.get(0)?,
        created_at: row.get(1)?,
        reference_label: row.get(2)?,
        current_label: row.get(3)?,
        model_version_id: row.get(4)?,
        dataset_drift: row.get::<_, i64>(5)? != 0,
        drifted_columns: row.get(6)?,
        tested_columns: row.get(7)?,
        html_path: row.get(8)?,
    })
}

impl RunStore {
    pub fn add_drift_report(&mut self, report: &NewDriftReport<'_>) -> Result<i64, StoreError> {
        self.write(|tx| {
            tx.insert(
                "INSERT INTO drift_reports (created_at, reference_label, current_label, \
                 model_version_id, dataset_drift, drifted_columns, tested_columns, report_json, \
                 html_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    now_text(),
                    report.reference_label,
                    report.current_label,
                    report.model_version_id,
                    i64::from(report.dataset_drift),
                    report.drifted_columns as i64,
                    report.tested_columns as i64,
                    report.report_json,
                    report.html_path
                ],
            )
        })
    }

    /// The newest `limit` reports, newest first.
    pub fn drift_reports(&self, limit: usize) -> Result<Vec<DriftReportRow>, StoreError> {
        self.db.query_map(
            &format!("SELECT {COLUMNS} FROM drift_reports ORDER BY id DESC LIMIT ?1"),
            params![limit as i64],
            row_of,
        )
    }

    /// A report's JSON.
    pub fn drift_report_json(&self, id: i64) -> Result<Option<String>, StoreError> {
        self.db.query_opt(
            "SELECT report_json FROM drift_reports WHERE id = ?1",
            params![id],
            |row| row.get(0),
        )
    }
}
