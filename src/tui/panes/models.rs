//! The Models tab: every registered version (model, version, aliases, status, headline metric,
//! run and dataset lineage) and, for the selected model, the history of its alias moves.
//! Promote to champion (`p`), make challenger (`h`), roll the champion back to the version it
//! replaced (`b`), archive (`a`): each asks for a `y` first, and goes through the registry, so
//! the CLI and this pane move aliases the same way. Runs are registered from the Runs tab (`M`).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::block;
use crate::ml::artifact::MetricsFile;
use crate::registry;
use crate::store::{AliasMove, ModelVersion, RunStore};
use crate::text::{clean, num_text};
use crate::tui::action::Action;
use crate::tui::component::{Component, EventState};
use crate::tui::keymap::{Binding, KeyHelp, KeySpec, help_of, lookup};
use crate::tui::theme::Theme;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelsCommand {
    Down,
    Up,
    Promote,
    Challenger,
    Rollback,
    Archive,
    Predict,
    Confirm,
}

pub const MODELS_KEYS: &[Binding<ModelsCommand>] = &[
    Binding {
        keys: &[KeySpec::char('j'), KeySpec::plain(KeyCode::Down)],
        label: "j / ↓",
        desc: "next version",
        command: ModelsCommand::Down,
    },
    Binding {
        keys: &[KeySpec::char('k'), KeySpec::plain(KeyCode::Up)],
        label: "k / ↑",
        desc: "previous version",
        command: ModelsCommand::Up,
    },
    Binding {
        keys: &[KeySpec::char('p')],
        label: "p",
        desc: "promote the version to champion (asks first)",
        command: ModelsCommand::Promote,
    },
    Binding {
        keys: &[KeySpec::char('h')],
        label: "h",
        desc: "make the version the challenger (asks first)",
        command: ModelsCommand::Challenger,
    },
    Binding {
        keys: &[KeySpec::char('b')],
        label: "b",
        desc: "roll the champion back to the version it replaced (asks first)",
        command: ModelsCommand::Rollback,
    },
    Binding {
        keys: &[KeySpec::char('a')],
        label: "a",
        desc: "archive the version (asks first)",
        command: ModelsCommand::Archive,
    },
    Binding {
        keys: &[KeySpec::plain(KeyCode::Enter)],
        label: "Enter",
        desc: "predict with the version (the Predict tab)",
        command: ModelsCommand::Predict,
    },
    Binding {
        keys: &[KeySpec::char('y')],
        label: "y",
        desc: "yes",
        command: ModelsCommand::Confirm,
    },
];

/// An alias move waiting for `y`.
#[derive(Clone, Debug, PartialEq)]
enum Pending {
    Alias {
        model: String,
        alias: &'static str,
        version: i64,
        reason: String,
    },
    Archive {
        model: String,
        version: i64,
    },
}

#[derive(Default)]
pub struct ModelsTab {
    pub versions: Vec<ModelVersion>,
    pub history: Vec<AliasMove>,
    pub table: TableState,
    pending: Option<Pending>,
    confirmed: Option<Pending>,
    /// The selection moved: the alias history is the selected model's.
    stale: bool,
    pub message: Option<String>,
    /// The version Enter asked the Predict tab to open.
    pub predict_requested: Option<registry::ModelRef>,
}

fn headline(version: &ModelVersion) -> String {
    serde_json::from_str::<MetricsFile>(&version.metrics_json)
        .map(|m| {
            let (name, value) = m.validation.headline();
            format!("{name} {}", num_text(value))
        })
        .unwrap_or_else(|_| "-".into())
}

impl ModelsTab {
    pub fn selected(&self) -> Option<&ModelVersion> {
        self.table.selected().and_then(|i| self.versions.get(i))
    }

    pub fn reload(&mut self, store: &RunStore) {
        match store.model_versions(None) {
            Ok(versions) => {
                let selected = self.selected().map(|v| v.id);
                self.versions = versions;
                let index = selected
                    .and_then(|id| self.versions.iter().position(|v| v.id == id))
                    .or((!self.versions.is_empty()).then_some(0));
                self.table.select(index);
            }
            Err(e) => self.message = Some(format!("reading models: {e}")),
        }
        self.history = self
            .selected()
            .map(|v| store.alias_history(&v.model_name).unwrap_or_default())
            .unwrap_or_default();
    }

    /// Carries out a confirmed move through the registry.
    pub fn service(&mut self, store: &mut RunStore) {
        let Some(pending) = self.confirmed.take() else {
            if std::mem::take(&mut self.stale) {
                self.reload(store);
            }
            return;
        };
        self.message = Some(match pending {
            Pending::Alias {
                model,
                alias,
                version,
                reason,
            } => match registry::set_alias(store, &model, alias, version, &reason) {
                Ok(previous) => format!(
                    "{model}@{alias}: {} → version {version} ({reason})",
                    previous.map_or("none".to_string(), |p| format!("version {p}"))
                ),
                Err(e) => e.to_string(),
            },
            Pending::Archive { model, version } => {
                match registry::archive(store, &model, version) {
                    Ok(()) => format!("{model} version {version} archived"),
                    Err(e) => e.to_string(),
                }
            }
        });
        self.reload(store);
    }

    fn ask(&mut self, pending: Pending, question: String) {
        self.message = Some(format!("{question}? y / any key"));
        self.pending = Some(pending);
    }

    fn run_command(&mut self, command: ModelsCommand) {
        let n = self.versions.len();
        let Some(selected) = self.selected().cloned() else {
            return;
        };
        let model = selected.model_name.clone();
        let version = selected.version;
        match command {
            ModelsCommand::Down => {
                self.table
                    .select(Some((self.table.selected().unwrap_or(0) + 1).min(n - 1)));
                self.stale = true;
            }
            ModelsCommand::Up => {
                self.table
                    .select(Some(self.table.selected().unwrap_or(0).saturating_sub(1)));
                self.stale = true;
            }
            ModelsCommand::Promote => self.ask(
                Pending::Alias {
                    model: model.clone(),
                    alias: "champion",
                    version,
                    reason: "promoted in the Models tab".into(),
                },
                format!("make {model} version {version} the champion"),
            ),
            ModelsCommand::Challenger => self.ask(
                Pending::Alias {
                    model: model.clone(),
                    alias: "challenger",
                    version,
                    reason: "made challenger in the Models tab".into(),
                },
                format!("make {model} version {version} the challenger"),
            ),
            ModelsCommand::Rollback => {
                // The champion before the current one: the last move that replaced it.
                let previous = self
                    .history
                    .iter()
                    .rev()
                    .find(|m| m.alias == "champion" && m.version.is_some())
                    .and_then(|m| m.previous_version);
                match previous {
                    Some(previous) => self.ask(
                        Pending::Alias {
                            model: model.clone(),
                            alias: "champion",
                            version: previous,
                            reason: "rolled back in the Models tab".into(),
                        },
                        format!("roll {model}@champion back to version {previous}"),
                    ),
                    None => {
                        self.message = Some(format!(
                            "{model}@champion has no earlier version to go back to"
                        ))
                    }
                }
            }
            ModelsCommand::Archive => self.ask(
                Pending::Archive {
                    model: model.clone(),
                    version,
                },
                format!("archive {model} version {version}"),
            ),
            ModelsCommand::Predict => {
                self.predict_requested = Some(registry::ModelRef::Version(model, version));
            }
            ModelsCommand::Confirm => {}
        }
    }
}

impl Component for ModelsTab {
    fn handle_key(&mut self, key: &KeyEvent) -> EventState {
        let command = lookup(MODELS_KEYS, key);
        if let Some(pending) = self.pending.take() {
            if command == Some(ModelsCommand::Confirm) {
                self.confirmed = Some(pending);
            } else {
                self.message = Some("nothing changed".into());
            }
            return EventState::Consumed;
        }
        match command {
            Some(command) => {
                self.run_command(command);
                EventState::Consumed
            }
            None => EventState::NotConsumed,
        }
    }

    fn update(&mut self, action: Action) -> Option<Action> {
        Some(action)
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme, _spinner: char) {
        let [table_area, history_area, message_area] = Layout::vertical([
            Constraint::Min(5),
            Constraint::Length(8),
            Constraint::Length(1),
        ])
        .areas(area);
        if self.versions.is_empty() {
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from("No registered model yet."),
                    Line::styled(
                        "In the Runs tab, M registers the selected run; or `shelfcast register \
                         RUN --model NAME`.",
                        theme.dim,
                    ),
                ])
                .block(block("Models", true, theme)),
                area,
            );
            return;
        }
        let rows: Vec<Row<'_>> = self
            .versions
            .iter()
            .map(|v| {
                let alias_style = if v.aliases.iter().any(|a| a == "champion") {
                    theme.ok
                } else {
                    theme.warning
                };
                Row::new(vec![
                    Cell::from(clean(&v.model_name)),
                    Cell::from(v.version.to_string()),
                    Cell::from(Span::styled(v.aliases.join(", "), alias_style)),
                    Cell::from(Span::styled(
                        v.status.clone(),
                        if v.status == "archived" {
                            theme.dim
                        } else {
                            Default::default()
                        },
                    )),
                    Cell::from(headline(v)),
                    Cell::from(format!("run {}", v.run_id)),
                    Cell::from(v.dataset_id.map_or("-".into(), |d| format!("dataset {d}"))),
                    Cell::from(v.created_at.get(5..16).unwrap_or("").replace('T', " ")),
                ])
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Min(12),
                Constraint::Length(7),
                Constraint::Length(20),
                Constraint::Length(9),
                Constraint::Length(16),
                Constraint::Length(9),
                Constraint::Length(11),
                Constraint::Length(11),
            ],
        )
        .header(
            Row::new(vec![
                "model",
                "version",
                "aliases",
                "status",
                "metric",
                "lineage",
                "",
                "created UTC",
            ])
            .style(theme.header),
        )
        .row_highlight_style(theme.selected)
        .block(block(
            &format!("Models ({} versions)", self.versions.len()),
            true,
            theme,
        ));
        frame.render_stateful_widget(table, table_area, &mut self.table);
        let lines: Vec<Line<'_>> = self
            .history
            .iter()
            .rev()
            .take(history_area.height.saturating_sub(2) as usize)
            .map(|m| {
                let to = m
                    .version
                    .map_or("removed".into(), |v| format!("version {v}"));
                let from = m
                    .previous_version
                    .map_or("none".into(), |v| format!("version {v}"));
                Line::from(format!(
                    "{}  {:<10} {from} → {to}  {}",
                    m.moved_at.get(5..16).unwrap_or("").replace('T', " "),
                    m.alias,
                    clean(&m.reason)
                ))
            })
            .collect();
        let title = self.selected().map_or("Alias history".to_string(), |v| {
            format!("Alias history of {}", v.model_name)
        });
        frame.render_widget(
            Paragraph::new(lines).block(block(&title, false, theme)),
            history_area,
        );
        let message = self.message.clone().unwrap_or_else(|| {
            "Enter predicts · p promote · h challenger · b roll back · a archive · y confirms"
                .into()
        });
        frame.render_widget(
            Paragraph::new(Line::styled(clean(&message), theme.dim)),
            message_area,
        );
    }

    fn commands(&self) -> Vec<KeyHelp> {
        help_of(MODELS_KEYS)
    }

    fn title(&self) -> &'static str {
        "Models"
    }
}
