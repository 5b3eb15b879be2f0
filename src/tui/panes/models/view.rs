//! Drawing the Models tab: the versions table, the selected model's alias history and the
//! message line (the question waiting for its yes, or the keys' hint).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row};

use super::{MODELS_KEYS, ModelsCommand, ModelsTab};
use crate::ml::artifact::MetricsFile;
use crate::store::ModelVersion;
use crate::text::{clean, num_text};
use crate::tui::component::RenderContext;
use crate::tui::widgets::confirm::{CONFIRM_KEYS, ConfirmCommand};
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::table::DataTable;

fn headline(version: &ModelVersion) -> String {
    serde_json::from_str::<MetricsFile>(&version.metrics_json)
        .map(|m| {
            let (name, value) = m.validation.headline();
            format!("{name} {}", num_text(value))
        })
        .unwrap_or_else(|_| "-".into())
}

impl ModelsTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        let (theme, keys) = (ctx.theme, ctx.keys);
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
        DataTable::new(
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
        .header(Row::new(vec![
            "model",
            "version",
            "aliases",
            "status",
            "metric",
            "lineage",
            "",
            "created UTC",
        ]))
        .title(format!("Models ({} versions)", self.versions.len()), true)
        .render(frame, table_area, theme, &mut self.table);
        // Alias moves and decisions on one timeline, newest first.
        let mut entries: Vec<(&str, Line<'_>)> = self
            .history
            .iter()
            .map(|m| {
                let to = m
                    .version
                    .map_or("removed".into(), |v| format!("version {v}"));
                let from = m
                    .previous_version
                    .map_or("none".into(), |v| format!("version {v}"));
                let line = Line::from(format!(
                    "{}  {:<10} {from} → {to}  {}",
                    m.moved_at.get(5..16).unwrap_or("").replace('T', " "),
                    m.alias,
                    clean(&m.reason)
                ));
                (m.moved_at.as_str(), line)
            })
            .chain(self.decisions.iter().map(|d| {
                let line = Line::from(vec![
                    Span::raw(format!(
                        "{}  {:<10} ",
                        d.decided_at.get(5..16).unwrap_or("").replace('T', " "),
                        "decision"
                    )),
                    Span::styled(
                        if d.promoted { "promoted" } else { "kept" },
                        if d.promoted { theme.ok } else { theme.warning },
                    ),
                    Span::raw(format!("  {}", clean(&d.why))),
                ]);
                (d.decided_at.as_str(), line)
            }))
            .collect();
        entries.sort_by(|a, b| b.0.cmp(a.0));
        let lines: Vec<Line<'_>> = entries
            .into_iter()
            .map(|(_, line)| line)
            .take(history_area.height.saturating_sub(2) as usize)
            .collect();
        let title = self.selected().map_or("Alias history".to_string(), |v| {
            format!("Alias history and decisions of {}", v.model_name)
        });
        frame.render_widget(
            Paragraph::new(lines).block(block(&title, false, theme)),
            history_area,
        );
        let message = self.message.clone().unwrap_or_else(|| {
            keys.hint(
                &MODELS_KEYS,
                &[
                    (ModelsCommand::Predict, "predicts"),
                    (ModelsCommand::Promote, "promote"),
                    (ModelsCommand::Challenger, "challenger"),
                    (ModelsCommand::Rollback, "roll back"),
                    (ModelsCommand::Archive, "archive"),
                ],
            ) + &format!(
                " · {} confirms",
                keys.key_for(&CONFIRM_KEYS, ConfirmCommand::Yes)
            )
        });
        frame.render_widget(
            Paragraph::new(Line::styled(clean(&message), theme.dim)),
            message_area,
        );
    }

}
