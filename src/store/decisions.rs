//! Champion / challenger decisions as the policy made them: which versions, both scores on the
//! same hold-out, the margin asked, the Diebold-Mariano p-value when asked, promoted or kept, and
//! why in words.

use rusqlite::params;
use serde::Serialize;

use super::{RunStore, StoreError, now_text};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    pub id: i64,
    pub decided_at: String,
    pub model_name: String,
    pub champion_version: Option<i64>,
    pub challenger_run: i64,
    pub challenger_version: Option<i64>,
    pub metric: String,
    pub champion_score: Option<f64>,
    pub challenger_score: f64,
    pub margin: f64,
    pub p_value: Option<f64>,
    pub promoted: bool,
    pub why: String,
}

impl RunStore {
    /// Records a decision; its id (`id` and `decided_at` of `decision` are ignored).
    pub fn record_decision(&mut self, decision: &Decision) -> Result<i64, StoreError> {
        self.write(|tx| {
            tx.insert(
                "INSERT INTO promotion_decisions (decided_at, model_name, champion_version, \
                 challenger_run, challenger_version, metric, champion_score, challenger_score, \
                 margin, p_value, promoted, why) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    now_text(),
                    decision.model_name,
                    decision.champion_version,
                    decision.challenger_run,
                    decision.challenger_version,
                    decision.metric,
                    decision.champion_score,
                    decision.challenger_score,
                    decision.margin,
                    decision.p_value,
                    i64::from(decision.promoted),
                    decision.why
                ],
            )
        })
    }

    /// A model's decisions, newest first.
    pub fn decisions(&self, model: &str, limit: usize) -> Result<Vec<Decision>, StoreError> {
        self.db.query_map(
            "SELECT id, decided_at, model_name, champion_version, challenger_run, \
             challenger_version, metric, champion_score, challenger_score, margin, p_value, \
             promoted, why FROM promotion_decisions WHERE model_name = ?1 ORDER BY id DESC \
             LIMIT ?2",
            params![model, limit as i64],
            |row| {
                Ok(Decision {
                    id: row.get(0)?,
                    decided_at: row.get(1)?,
                    model_name: row.get(2)?,
                    champion_version: row.get(3)?,
                    challenger_run: row.get(4)?,
                    challenger_version: row.get(5)?,
                    metric: row.get(6)?,
                    champion_score: row.get(7)?,
                    challenger_score: row.get(8)?,
                    margin: row.get(9)?,
                    p_value: row.get(10)?,
                    promoted: row.get::<_, i64>(11)? != 0,
                    why: row.get(12)?,
                })
            },
        )
    }
}
