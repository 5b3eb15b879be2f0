//! Drawing the Train pane: the form on the left; on the right what the focused field means (the
//! target's profile, a parameter's range) or the feature picker with each column's profile.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, TableState, Wrap};

use super::{Field, PICKER_KEYS, PickerCommand, TRAIN_KEYS, TextField, TrainCommand, TrainTab};
use crate::tui::component::RenderContext;
use crate::tui::keymap::Keymap;
use crate::tui::widgets::text_input::{INPUT_KEYS, InputCommand};
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::table::DataTable;
use crate::text::{clean, count_text, truncate};

const LABEL_WIDTH: usize = 17;

impl TrainTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        render(self, frame, area, ctx);
    }
}

fn render(tab: &mut TrainTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let (theme, spin) = (ctx.theme, ctx.spinner);
    let [body, message_area] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(2)]).areas(area);
    // The feature picker's profile columns need the room more than the form does.
    let share = if tab.picker.is_some() { 2 } else { 3 };
    let form_width = (body.width * share / 5).clamp(40, 90);
    let [form_area, side_area] =
        Layout::horizontal([Constraint::Length(form_width), Constraint::Min(20)]).areas(body);
    if tab.datasets.is_empty() {
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(format!("{spin} no profiled dataset yet")),
                Line::styled(
                    "Datasets in data/ appear here once profiled (tab 1).",
                    theme.dim,
                ),
            ])
            .block(block("Train", true, theme)),
            body,
        );
        return;
    }
    render_form(tab, frame, form_area, ctx);
    match tab.picker {
        Some(cursor) => render_picker(tab, frame, side_area, ctx, cursor),
        None => super::about::render_context(tab, frame, side_area, ctx),
    }
    let message = match (&tab.message, tab.launching) {
        (_, true) => Line::from(format!("{spin} validating and starting the worker…")),
        (Some((true, text)), _) => Line::styled(clean(text), theme.error),
        (Some((false, text)), _) => Line::styled(clean(text), theme.ok),
        (None, _) if tab.horizon_note.is_some() => Line::styled(
            clean(tab.horizon_note.as_deref().unwrap_or_default()),
            theme.warning,
        ),
        (None, _) => Line::styled(
            ctx.keys.hint(
                &TRAIN_KEYS,
                &[
                    (TrainCommand::Launch, "launches"),
                    (TrainCommand::Edit, "edits a field"),
                    (TrainCommand::Previous, ""),
                    (TrainCommand::Next, "choose"),
                    (TrainCommand::Toggle, "picks features"),
                ],
            ),
            theme.dim,
        ),
    };
    frame.render_widget(
        Paragraph::new(message).wrap(Wrap { trim: true }),
        message_area,
    );
}

fn value_line(tab: &TrainTab, field: Field, keys: &Keymap) -> (String, Option<String>) {
    let toggle = keys.key_for(&TRAIN_KEYS, TrainCommand::Toggle);
    let text = |f: &TextField| (f.value().to_string(), f.error.clone());
    // An empty field says what it stands for, until it is being typed in.
    let or_hint = |f: &TextField, hint: String| match text(f) {
        (value, error) if value.is_empty() && !tab.editing => (hint, error),
        typed => typed,
    };
    match field {
        Field::Dataset => (
            tab.datasets
                .get(tab.dataset)
                .map(|d| {
                    format!(
                        "‹ {} › {} rows",
                        clean(&d.relative),
                        count_text(d.profile.rows)
                    )
                })
                .unwrap_or_default(),
            None,
        ),
        Field::Target => {
            let column = tab.profile().and_then(|p| p.columns.get(tab.target));
            (
                column
                    .map(|c| format!("‹ {} › {}", clean(&c.name), c.kind.as_str()))
                    .unwrap_or_default(),
                None,
            )
        }
        Field::Task => (
            format!(
                "‹ {} › {}",
                tab.task.label(),
                tab.task().as_str().replace('_', " ")
            ),
            None,
        ),
        Field::Model => (format!("‹ {} ›", tab.model), None),
        Field::Features => {
            let (used, eligible) = tab.feature_count();
            (
                format!("{used} of {eligible} columns  ({toggle} to pick)"),
                None,
            )
        }
        Field::Param(i) => tab
            .params
            .get(i)
            .map(|(_, _, f)| text(f))
            .unwrap_or_default(),
        Field::Split => text(&tab.split),
        Field::Lookups => or_hint(&tab.lookups, "none (FILE:KEY; FILE:KEY1,KEY2)".into()),
        Field::Lags => text(&tab.lags),
        Field::Rolling => text(&tab.rolling),
        Field::Groups => text(&tab.groups),
        Field::Backtest => text(&tab.backtest),
        Field::Study => match tab.study_space_text() {
            Some(_) => {
                let tuned: Vec<&str> = tab
                    .params
                    .iter()
                    .filter(|(_, _, f)| crate::tune::space::is_range(f.value()))
                    .map(|(name, _, _)| *name)
                    .collect();
                (format!("{} tuned: {}", tuned.len(), tuned.join(", ")), None)
            }
            None => (
                "none (a range in a parameter, or S)".to_string(),
                None,
            ),
        },
        Field::StudyTrials => text(&tab.study_trials),
        Field::Log1p => ((if tab.log1p { "[x]" } else { "[ ]" }).to_string(), None),
        Field::Seed => text(&tab.seed),
        Field::Experiment => text(&tab.experiment),
        Field::Name => or_hint(&tab.name, "(model-dataset-time)".into()),
        Field::RunOn => (
            if tab.on_slurm {
                "‹ slurm › each worker a batch job (sbatch)".into()
            } else {
                "‹ local › detached workers on this machine".into()
            },
            None,
        ),
        Field::SlurmJob => or_hint(&tab.slurm, tab.slurm_defaults_text()),
        Field::Launch => (
            if tab.launching {
                "[ launching… ]".into()
            } else {
                "[ Launch ]".into()
            },
            None,
        ),
    }
}

fn render_form(tab: &TrainTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let (theme, keys) = (ctx.theme, ctx.keys);
    let fields = tab.fields();
    let focus = tab.focus.min(fields.len().saturating_sub(1));
    let inner_height = area.height.saturating_sub(2) as usize;
    // Keep the focused row visible in a short terminal.
    let first = focus.saturating_sub(inner_height.saturating_sub(1));
    let width = area.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    for (index, field) in fields.iter().enumerate().skip(first).take(inner_height) {
        let label = match field {
            Field::Param(i) => tab.params.get(*i).map_or("", |(name, _, _)| *name),
            other => other.label(),
        };
        let (value, error) = value_line(tab, *field, keys);
        let focused = index == focus;
        // While typing, the value is shown with the cursor where it is.
        let value = match tab.text_field(*field) {
            Some(typed) if focused && tab.editing => typed.input.with_cursor(),
            _ => value,
        };
        let marker = if focused { "▶ " } else { "  " };
        let label_style = if matches!(field, Field::Param(_)) {
            theme.dim
        } else {
            theme.header
        };
        let mut spans = vec![
            Span::raw(marker),
            Span::styled(
                format!("{:<LABEL_WIDTH$}", truncate(label, LABEL_WIDTH)),
                label_style,
            ),
            Span::styled(
                clean(&value),
                if focused {
                    theme.selected
                } else {
                    Default::default()
                },
            ),
        ];
        if let Some(error) = error {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(format!("✗ {}", clean(&error)), theme.error));
        }
        let line = Line::from(spans);
        lines.push(if line.width() > width {
            Line::from(truncate(&line.to_string(), width))
        } else {
            line
        });
    }
    let editing_title = format!(
        "Train — editing ({} or {} ends)",
        keys.key_for(&INPUT_KEYS, InputCommand::Accept),
        keys.key_for(&INPUT_KEYS, InputCommand::Cancel)
    );
    let title = if tab.editing {
        editing_title.as_str()
    } else {
        "Train"
    };
    frame.render_widget(Paragraph::new(lines).block(block(title, true, theme)), area);
}

fn render_picker(
    tab: &TrainTab,
    frame: &mut Frame<'_>,
    area: Rect,
    ctx: &RenderContext<'_>,
    cursor: usize,
) {
    let (theme, keys) = (ctx.theme, ctx.keys);
    let Some(profile) = tab.profile() else {
        return;
    };
    let target = tab.target_name().unwrap_or_default();
    let rows: Vec<Row<'_>> = profile
        .columns
        .iter()
        .zip(&tab.features)
        .map(|(c, on)| {
            let mark = if c.name == target {
                "tgt"
            } else if *on {
                "[x]"
            } else {
                "[ ]"
            };
            Row::new(vec![
                Cell::from(mark),
                Cell::from(clean(&c.name)),
                Cell::from(c.kind.as_str()),
                Cell::from(format!("{:.1}%", c.missing_pct)),
                Cell::from(count_text(c.distinct)),
            ])
        })
        .collect();
    let title = format!(
        "Features — {}",
        keys.hint(
            &PICKER_KEYS,
            &[
                (PickerCommand::Toggle, "toggles"),
                (PickerCommand::All, "all"),
                (PickerCommand::None, "none"),
            ],
        )
    );
    let mut state = TableState::default().with_selected(Some(cursor));
    DataTable::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Min(10),
            Constraint::Length(11),
            Constraint::Length(7),
            Constraint::Length(9),
        ],
    )
    .header(Row::new(vec!["use", "column", "kind", "missing", "distinct"]))
    .title(title, true)
    .render(frame, area, theme, &mut state);
}
