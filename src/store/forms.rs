//! Prediction forms saved by name for a model: the values as typed (JSON text per field), so a
//! recalled form shows exactly what was entered, mistakes included, and can be run against any
//! version of the model.

use rusqlite::params;
use serde::Serialize;

use super::db::Row;
use super::{RunStore, StoreError, now_text};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SavedForm {
    pub model_name: String,
    pub name: String,
    /// A JSON object of field name to value.
    pub record: serde_json::Map<String, serde_json::Value>,
    pub saved_at: String,
}

fn form_from_row(row: &Row<'_>) -> rusqlite::Result<(String, String, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

impl RunStore {
    /// Saves `record` as form `name` of `model`, replacing a form of that name.
    pub fn save_form(
        &mut self,
        model: &str,
        name: &str,
        record: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), StoreError> {
        let json = serde_json::Value::Object(record.clone()).to_string();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO saved_forms (model_name, name, record_json, saved_at) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (model_name, name) DO UPDATE SET \
                 record_json = excluded.record_json, saved_at = excluded.saved_at",
                params![model, name, json, now_text()],
            )?;
            Ok(())
        })
    }

    /// The forms saved for `model`, newest first.
    pub fn saved_forms(&self, model: &str) -> Result<Vec<SavedForm>, StoreError> {
        let rows = self.db.query_map(
            "SELECT model_name, name, record_json, saved_at FROM saved_forms \
             WHERE model_name = ?1 ORDER BY saved_at DESC, id DESC",
            params![model],
            form_from_row,
        )?;
        rows.into_iter()
            .map(|(model_name, name, json, saved_at)| {
                let record = match serde_json::from_str(&json) {
                    Ok(serde_json::Value::Object(map)) => map,
                    _ => {
                        return Err(StoreError::Corrupt {
                            what: format!("saved form '{name}' of {model_name}"),
                            detail: "its values are not a JSON object".into(),
                        });
                    }
                };
                Ok(SavedForm {
                    model_name,
                    name,
                    record,
                    saved_at,
                })
            })
            .collect()
    }

    /// The form `name` of `model`, if saved.
    pub fn saved_form(&self, model: &str, name: &str) -> Result<Option<SavedForm>, StoreError> {
        Ok(self
            .saved_forms(model)?
            .into_iter()
            .find(|f| f.name == name))
    }

    /// Deletes form `name` of `model`; whether there was one.
    pub fn delete_form(&mut self, model: &str, name: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM saved_forms WHERE model_name = ?1 AND name = ?2",
                params![model, name],
            )? > 0)
        })
    }
}
