//! Tuning studies and their trials. A trial is numbered in its study and is a child run of the
//! study's run; its state moves running → complete, pruned or failed, with the value of the
//! study's metric (a pruned trial keeps its last intermediate value).

use rusqlite::params;
use serde::Serialize;

use super::db::Row;
use super::{RunStore, StoreError, now_text};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StudyRow {
    pub id: i64,
    pub name: String,
    pub run_id: i64,
    pub created_at: String,
    pub config_json: String,
    pub direction: String,
    pub metric: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialState {
    Running,
    Complete,
    Pruned,
    Failed,
}

impl TrialState {
    pub fn as_str(self) -> &'static str {
        match self {
            TrialState::Running => "running",
            TrialState::Complete => "complete",
            TrialState::Pruned => "pruned",
            TrialState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> TrialState {
        match text {
            "complete" => TrialState::Complete,
            "pruned" => TrialState::Pruned,
            "failed" => TrialState::Failed,
            _ => TrialState::Running,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrialRow {
    pub number: i64,
    pub run_id: Option<i64>,
    pub params_json: String,
    pub state: TrialState,
    pub value: Option<f64>,
    pub reason: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
}

const STUDY_COLUMNS: &str = "id, name, run_id, created_at, config_json, direction, metric";

fn study_row(row: &Row<'_>) -> rusqlite::Result<StudyRow> {
    Ok(StudyRow {
        id: row.get(0)?,
        name: row.get(1)?,
        run_id: row.get(2)?,
        created_at: row.get(3)?,
        config_json: row.get(4)?,
        direction: row.get(5)?,
        metric: row.get(6)?,
    })
}

impl RunStore {
    /// Records a study whose trials will be children of `run_id`; its id. A taken name is
    /// refused.
    pub fn create_study(
        &mut self,
        name: &str,
        run_id: i64,
        config_json: &str,
        direction: &str,
        metric: &str,
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            let taken: Option<i64> = tx.query_opt(
                "SELECT id FROM studies WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )?;
            if taken.is_some() {
                return Err(StoreError::Refused(format!(
                    "a study named '{name}' exists: --resume {name} goes on with it"
                )));
            }
            tx.insert(
                "INSERT INTO studies (name, run_id, created_at, config_json, direction, metric) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, run_id, now_text(), config_json, direction, metric],
            )
        })
    }

    pub fn study(&self, name: &str) -> Result<StudyRow, StoreError> {
        self.db
            .query_opt(
                &format!("SELECT {STUDY_COLUMNS} FROM studies WHERE name = ?1"),
                params![name],
                study_row,
            )?
            .ok_or_else(|| StoreError::NotFound(format!("no study named '{name}'")))
    }

    /// The study whose run is `run_id`, if it is one.
    pub fn study_of_run(&self, run_id: i64) -> Result<Option<StudyRow>, StoreError> {
        self.db.query_opt(
            &format!("SELECT {STUDY_COLUMNS} FROM studies WHERE run_id = ?1"),
            params![run_id],
            study_row,
        )
    }

    pub fn studies(&self) -> Result<Vec<StudyRow>, StoreError> {
        self.db.query_map(
            &format!("SELECT {STUDY_COLUMNS} FROM studies ORDER BY id"),
            &[],
            study_row,
        )
    }

    /// Starts trial `number` of `study` (its run and params).
    pub fn start_trial(
        &mut self,
        study: i64,
        number: i64,
        run_id: Option<i64>,
        params_json: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO study_trials (study_id, number, run_id, params_json, state, \
                 started_at) VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
                params![study, number, run_id, params_json, now_text()],
            )?;
            Ok(())
        })
    }

    /// Ends a running trial.
    pub fn end_trial(
        &mut self,
        study: i64,
        number: i64,
        state: TrialState,
        value: Option<f64>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE study_trials SET state = ?3, value = ?4, reason = ?5, ended_at = ?6 \
                 WHERE study_id = ?1 AND number = ?2",
                params![study, number, state.as_str(), value, reason, now_text()],
            )?;
            Ok(())
        })
    }

    /// The study's trials by number.
    pub fn trials(&self, study: i64) -> Result<Vec<TrialRow>, StoreError> {
        self.db.query_map(
            "SELECT number, run_id, params_json, state, value, reason, started_at, ended_at \
             FROM study_trials WHERE study_id = ?1 ORDER BY number",
            params![study],
            |row| {
                Ok(TrialRow {
                    number: row.get(0)?,
                    run_id: row.get(1)?,
                    params_json: row.get(2)?,
                    state: TrialState::parse(&row.get::<_, String>(3)?),
                    value: row.get(4)?,
                    reason: row.get(5)?,
                    started_at: row.get(6)?,
                    ended_at: row.get(7)?,
                })
            },
        )
    }
}
