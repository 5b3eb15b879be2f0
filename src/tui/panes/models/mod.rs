//! The Models tab: every registered version (model, version, aliases, status, headline metric,
//! run and dataset lineage) and, for the selected model, the history of its alias moves.
//! Promote to champion (`p`), make challenger (`h`), roll the champion back to the version it
//! replaced (`b`), archive (`a`): each asks for a `y` first, and goes through the registry, so
//! the CLI and this pane move aliases the same way. Runs are registered from the Runs tab (`M`).

mod view;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use crate::registry;
use crate::store::{AliasMove, ModelVersion, RunStore};
use crate::tui::action::{written_text, Action, StoreWrite, Target};
use crate::tui::component::{Component, Freshness, EventState, PaneContext, RenderContext, Tick};
use crate::tui::keymap::{KeyHelp, KeySpec, Keymap, key_table};
use crate::tui::keymap_file::KeySection;
use crate::tui::panes::Tab;
use crate::tui::widgets::confirm::{CONFIRM_KEYS, Confirm};
use crate::tui::widgets::table::{CursorMove, move_cursor};

pub const KEY_SECTIONS: &[&dyn KeySection] = &[&MODELS_KEYS];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelsCommand {
    Down,
    Up,
    Promote,
    Challenger,
    Rollback,
    Archive,
    Predict,
}

key_table! {
    pub MODELS_KEYS: ModelsCommand = "models" {
        down: [KeySpec::char('j'), KeySpec::plain(KeyCode::Down)] => ModelsCommand::Down, "next version";
        up: [KeySpec::char('k'), KeySpec::plain(KeyCode::Up)] => ModelsCommand::Up, "previous version";
        promote: [KeySpec::char('p')] => ModelsCommand::Promote, "promote the version to champion (asks first)";
        challenger: [KeySpec::char('h')] => ModelsCommand::Challenger, "make the version the challenger (asks first)";
        rollback: [KeySpec::char('b')] => ModelsCommand::Rollback, "roll the champion back to the version it replaced (asks first)";
        archive: [KeySpec::char('a')] => ModelsCommand::Archive, "archive the version (asks first)";
        predict: [KeySpec::plain(KeyCode::Enter)] => ModelsCommand::Predict, "predict with the version (the Predict tab)";
    }
}

pub struct ModelsTab {
    pub versions: Vec<ModelVersion>,
    pub history: Vec<AliasMove>,
    /// The selected model's champion/challenger decisions, newest first (a kept champion moves
    /// no alias, so the alias history alone would not show it).
    pub decisions: Vec<crate::store::Decision>,
    pub table: TableState,
    /// An alias move or an archive waiting for its yes.
    pub confirm: Option<Confirm<StoreWrite>>,
    /// Whether another process committed since the pane read the store.
    fresh: Freshness,
    pub message: Option<String>,
}

impl ModelsTab {
    pub fn new(ctx: &PaneContext<'_>) -> Self {
        let mut tab = Self {
            versions: Vec::new(),
            history: Vec::new(),
            decisions: Vec::new(),
            table: TableState::default(),
            confirm: None,
            fresh: Freshness::default(),
            message: None,
        };
        tab.reload(ctx.store);
        tab
    }

    pub fn selected(&self) -> Option<&ModelVersion> {
        self.table.selected().and_then(|i| self.versions.get(i))
    }

    pub fn reload(&mut self, store: &RunStore) {
        self.fresh.read();
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
        self.decisions = self
            .selected()
            .map(|v| store.decisions(&v.model_name, 50).unwrap_or_default())
            .unwrap_or_default();
    }

    fn ask(&mut self, keys: &Keymap, write: StoreWrite, question: String) {
        let confirm = Confirm::new(format!("{question}?"), write);
        self.message = Some(confirm.prompt(keys));
        self.confirm = Some(confirm);
    }

    fn run_command(&mut self, command: ModelsCommand, ctx: &PaneContext<'_>) -> Option<Action> {
        let selected = self.selected().cloned()?;
        let keys = ctx.keys;
        let model = selected.model_name.clone();
        let version = selected.version;
        match command {
            // The alias history is the selected model's.
            ModelsCommand::Down => {
                move_cursor(&mut self.table, self.versions.len(), CursorMove::Down);
                self.reload(ctx.store);
            }
            ModelsCommand::Up => {
                move_cursor(&mut self.table, self.versions.len(), CursorMove::Up);
                self.reload(ctx.store);
            }
            ModelsCommand::Promote => self.ask(
                keys,
                StoreWrite::SetAlias {
                    model: model.clone(),
                    alias: "champion",
                    version,
                    reason: "promoted in the Models tab".into(),
                },
                format!("make {model} version {version} the champion"),
            ),
            ModelsCommand::Challenger => self.ask(
                keys,
                StoreWrite::SetAlias {
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
                keys,
                        StoreWrite::SetAlias {
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
                keys,
                StoreWrite::Archive {
                    model: model.clone(),
                    version,
                },
                format!("archive {model} version {version}"),
            ),
            ModelsCommand::Predict => {
                return Some(Action::Open(Target::Predict(registry::ModelRef::Version(
                    model, version,
                ))));
            }
        }
        None
    }
}

impl Component for ModelsTab {
    fn handle_key(&mut self, key: &KeyEvent, ctx: &PaneContext<'_>) -> EventState {
        if let Some(confirm) = self.confirm.take() {
            return match confirm.answer(key, ctx.keys) {
                Some(write) => EventState::action(Action::Write {
                    write,
                    asked_by: Tab::Models,
                }),
                None => {
                    self.message = Some("nothing changed".into());
                    EventState::Consumed
                }
            };
        }
        match ctx.keys.lookup(&MODELS_KEYS, key) {
            Some(command) => match self.run_command(command, ctx) {
                Some(action) => EventState::action(action),
                None => EventState::Consumed,
            },
            None => EventState::NotConsumed,
        }
    }

    fn update(&mut self, action: &Action, ctx: &PaneContext<'_>) -> Vec<Action> {
        match action {
            Action::StoreChanged => self.fresh.mark_stale(),
            Action::Written {
                write,
                asked_by,
                result,
            } => {
                if *asked_by == Tab::Models {
                    self.message = Some(written_text(result));
                }
                // The registry changes by this connection too, which `data_version` does not
                // count: re-read on every registry write.
                if write.touches_models() {
                    self.reload(ctx.store);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_show(&mut self, ctx: &PaneContext<'_>) -> Vec<Action> {
        self.reload(ctx.store);
        Vec::new()
    }

    fn on_tick(&mut self, ctx: &PaneContext<'_>) -> Tick {
        if self.fresh.due() && Tab::front(ctx) == Tab::Models {
            self.reload(ctx.store);
            return Tick::redraw(true);
        }
        Tick::default()
    }

    fn render(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        self.draw(frame, area, ctx);
    }

    fn help(&self, keys: &Keymap) -> Vec<KeyHelp> {
        if self.confirm.is_some() {
            keys.help(&CONFIRM_KEYS)
        } else {
            keys.help(&MODELS_KEYS)
        }
    }

    fn title(&self) -> &'static str {
        "Models"
    }
}
