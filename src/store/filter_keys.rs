//! Keys a filter names that no run has: `params.modl = "gbdt"` matches nothing because no run
//! has a param `modl`, and the analyst should be told so (with `params.model` suggested) rather
//! than shown an empty list.

use rusqlite::params;

use super::filter::{Field, Filter};
use super::{RunStore, StoreError};

/// A `metrics.`, `params.` or `tags.` key of a filter that no run has.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownKey {
    /// As written: `params.modl`.
    pub name: String,
    /// The closest key runs do have, when one is close.
    pub suggestion: Option<String>,
}

impl std::fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no run has {}", self.name)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, "; did you mean {suggestion}?")?;
        }
        Ok(())
    }
}

impl Filter {
    /// Every field the filter compares, left to right.
    pub fn fields(&self) -> Vec<&Field> {
        match self {
            Filter::Compare(field, ..) => vec![field],
            Filter::Like { field, .. } | Filter::In { field, .. } => vec![field],
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut fields = a.fields();
                fields.extend(b.fields());
                fields
            }
            Filter::Not(inner) => inner.fields(),
        }
    }
}

impl RunStore {
    /// The keys `filter` names that no run (deleted ones included) has, each with the nearest
    /// existing key of the same kind when one is within two edits.
    pub fn unknown_filter_keys(&self, filter: &Filter) -> Result<Vec<UnknownKey>, StoreError> {
        let mut unknown = Vec::new();
        for field in filter.fields() {
            let (prefix, table, key) = match field {
                Field::Metric(key) => ("metrics", "metric_series", key),
                Field::Param(key) => ("params", "params", key),
                Field::Tag(key) => ("tags", "tags", key),
                Field::Attribute(_) => continue,
            };
            let name = format!("{prefix}.{key}");
            if unknown.iter().any(|u: &UnknownKey| u.name == name) {
                continue;
            }
            let exists: bool = self.db.query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE key = ?1)"),
                params![key],
                |row| row.get(0),
            )?;
            if exists {
                continue;
            }
            let keys: Vec<String> =
                self.db
                    .query_map(&format!("SELECT DISTINCT key FROM {table}"), &[], |row| {
                        row.get(0)
                    })?;
            let suggestion = crate::text::nearest(key, keys.iter().map(String::as_str))
                .map(|k| format!("{prefix}.{k}"));
            unknown.push(UnknownKey { name, suggestion });
        }
        Ok(unknown)
    }
}
