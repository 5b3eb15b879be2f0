//! The line the Runs tab types into (the filter, a step, a name, a tag, a note, a model) and
//! what a finished line does.

use super::*;

impl RunsTab {
    /// A key while a line is typed. A finished line may ask for a store write.
    pub(super) fn input_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> Option<Action> {
        let mut input = self.input.take()?;
        match input.line.handle_key(key, ctx.keys) {
            InputOutcome::Cancelled => {
                if input.kind == InputKind::Filter {
                    self.filter_error = None;
                }
                return None;
            }
            InputOutcome::Accepted => return self.input_done(input, ctx.store),
            InputOutcome::Edited | InputOutcome::Ignored => {}
        }
        // As the filter is typed, say at once where it stops making sense.
        if input.kind == InputKind::Filter {
            self.filter_error = parse_filter(input.text()).err();
        }
        self.input = Some(input);
        None
    }

    pub(super) fn input_done(&mut self, input: Input, store: &RunStore) -> Option<Action> {
        let text = input.text().trim().to_string();
        let write = match &input.kind {
            InputKind::Filter => {
                self.apply_filter(input, store);
                return None;
            }
            InputKind::Step => {
                match text.parse::<i64>() {
                    Ok(step) if step >= 0 => {
                        self.metric_value = MetricValue::AtStep(step);
                        self.reload(store);
                    }
                    _ => {
                        self.message = Some(format!("'{text}': expected a step number"));
                        self.input = Some(input);
                    }
                }
                return None;
            }
            InputKind::Rename(_) if text.is_empty() => {
                self.message = Some("a run name cannot be empty".into());
                return None;
            }
            InputKind::Rename(id) => StoreWrite::RenameRun(*id, text),
            InputKind::Tag(id) => match text.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    StoreWrite::TagRun(*id, k.trim().into(), v.trim().into())
                }
                _ => {
                    self.message = Some(format!("tag '{text}': expected KEY=VALUE"));
                    self.input = Some(input);
                    return None;
                }
            },
            InputKind::Note(id) => StoreWrite::NoteRun(*id, text),
            InputKind::Register(id) => {
                self.message = Some(format!("registering run {id} as a version of {text}…"));
                StoreWrite::Register {
                    run: *id,
                    model: text,
                }
            }
        };
        Some(write_action(write))
    }

    /// Applies the filter text: parsed now, so a mistake shows at once with its column.
    pub(super) fn apply_filter(&mut self, input: Input, store: &RunStore) {
        let text = input.text().trim().to_string();
        match parse_filter(&text) {
            Ok(filter) => {
                self.filter = filter;
                self.filter_error = None;
                self.filter_text = text;
                self.reload(store);
            }
            Err(error) => {
                self.filter_error = Some(error);
                // Keep the text so it can be mended.
                self.input = Some(input);
            }
        }
    }
}
