//! `GET /openapi.json`: an OpenAPI 3.0 document of `/predict`, generated from the served
//! model's signature (so it moves with the champion). Describes; never validates.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::{AppState, current};
use crate::ml::signature::FieldKind;

pub(super) async fn openapi(State(state): State<AppState>) -> Json<Value> {
    let served = current(&state);
    let mut properties = Map::new();
    let mut required = Vec::new();
    // A model that keeps its series' history needs only the keys and the date; the rest default
    // to the series' last values.
    let history_lags = served
        .loaded
        .signature
        .derived
        .as_ref()
        .filter(|_| served.loaded.history.is_some());
    let own_field = |name: &str| {
        history_lags.is_none_or(|l| l.date == name || l.groups.iter().any(|g| g == name))
    };
    for input in &served.loaded.signature.inputs {
        let schema = match input.kind {
            FieldKind::Number => {
                let mut s = json!({"type": "number"});
                if let (Some(min), Some(max)) = (&input.min, &input.max) {
                    s["description"] = json!(format!("training range {min} to {max}"));
                }
                s
            }
            FieldKind::Boolean => json!({"type": "boolean"}),
            // The levels seen are described, not enumerated: another level is answered (as an
            // unknown one, with a warning), so an enum would say what the endpoint does not do.
            FieldKind::Category => json!({
                "type": "string",
                "examples": input.categories.iter().take(5).collect::<Vec<_>>(),
                "description": format!(
                    "{} levels seen in training: {}; another is treated as unknown, with a warning",
                    input.categories.len(),
                    level_list(&input.categories)
                ),
            }),
            FieldKind::Date => json!({"type": "string", "format": "date"}),
        };
        properties.insert(input.name.clone(), schema);
        if !input.missing_seen && own_field(&input.name) {
            required.push(input.name.clone());
        } else if !own_field(&input.name) {
            properties[&input.name]["description"] = json!("optional: the series' last value");
        }
    }
    // Lag and rolling-mean fields are optional numbers: left out, they are looked up in the
    // model's history (or, for a model without one, the series has none).
    if let Some(lags) = &served.loaded.signature.derived {
        let description = if history_lags.is_some() {
            "optional override; looked up in the series' history when left out"
        } else {
            "history the model derives; optional, a number"
        };
        for name in lags.output_names() {
            properties.insert(
                name,
                json!({"type": "number", "nullable": true, "description": description}),
            );
        }
    }
    let record = json!({"type": "object", "properties": properties, "required": required});
    Json(json!({
        "openapi": "3.0.3",
        "info": {"title": format!("Shelfcast: {}", served.version.model_name),
                 "version": served.version.version.to_string()},
        "paths": {
            "/predict": {"post": {
                "parameters": [{"name": "uplift", "in": "query", "schema": {"type": "boolean"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema":
                    {"oneOf": [record, {"type": "array", "items": record}]}}}},
                "responses": {"200": {"description": "predictions"},
                              "413": {"description": "body over the size limit"},
                              "415": {"description": "Content-Type is not application/json"},
                              "422": {"description": "invalid fields: row, field, reason"}}
            }},
            "/health": {"get": {"responses": {"200": {"description":
                "the served version and the prediction-log records dropped"}}}},
            "/models": {"get": {"responses": {"200": {"description": "registered versions"}}}}
        }
    }))
}

/// The first levels of a category, "and N more" after them.
fn level_list(levels: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = levels
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if levels.len() > SHOWN {
        text.push_str(&format!(" and {} more", levels.len() - SHOWN));
    }
    text
}
