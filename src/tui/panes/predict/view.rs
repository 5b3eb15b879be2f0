//! Drawing the Predict pane: the form on the left (model row, then one row per input with its
//! check), the prediction with its interval and the promotion what-if on the right, the saved
//! forms under it, and a message line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, TableState, Wrap};

use super::form::{FieldCheck, FormField, form_record};
use super::{Mode, PREDICT_KEYS, PredictCommand, PredictOutcome, PredictTab};
use crate::tui::component::RenderContext;
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::table::DataTable;
use crate::tui::widgets::text_input::{INPUT_KEYS, InputCommand, TextInput};
use crate::ml::artifact::MetricsFile;
use crate::ml::features::Task;
use crate::text::{clean, count_text, num_text, truncate};
use crate::tui::theme::Theme;

/// The value column's narrowest width; it widens for a long model reference.
const VALUE_WIDTH: usize = 16;

impl PredictTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
        render(self, frame, area, ctx);
    }
}

fn render(tab: &mut PredictTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let (theme, keys) = (ctx.theme, ctx.keys);
    let [body, message_area] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(1)]).areas(area);
    if tab.choices.is_empty() {
        frame.render_widget(
            Paragraph::new(vec![
                Line::from("No registered model to predict with."),
                Line::styled(
                    "Register a finished run: M in the Runs or Compare tab, or `shelfcast \
                     register RUN --model NAME`.",
                    theme.dim,
                ),
            ])
            .wrap(Wrap { trim: true })
            .block(block("Predict", true, theme)),
            body,
        );
        return;
    }
    let form_width = (body.width * 3 / 5).clamp(50, 100);
    let [form_area, side_area] =
        Layout::horizontal([Constraint::Length(form_width), Constraint::Min(20)]).areas(body);
    let [result_area, saved_area] =
        Layout::vertical([Constraint::Min(8), Constraint::Length(7)]).areas(side_area);
    render_form(tab, frame, form_area, theme);
    render_outcome(tab, frame, result_area, ctx);
    render_saved(tab, frame, saved_area, theme);
    let message = match (&tab.mode, &tab.message) {
        (Mode::Naming(name), _) => Line::from(vec![
            Span::styled("save the form as: ", theme.key),
            Span::raw(clean(&name.with_cursor())),
            Span::styled(
                format!(
                    "   {}",
                    keys.hint(
                        &INPUT_KEYS,
                        &[(InputCommand::Accept, "saves"), (InputCommand::Cancel, "cancels")]
                    )
                ),
                theme.dim,
            ),
        ]),
        (_, Some((true, text))) => Line::styled(clean(text), theme.error),
        (_, Some((false, text))) => Line::styled(clean(text), theme.ok),
        (Mode::Editing(_), None) => Line::styled(
            format!(
                "typing: {} · ↓ ↑ next field",
                keys.hint(
                    &INPUT_KEYS,
                    &[
                        (InputCommand::Accept, "predicts"),
                        (InputCommand::Cancel, "stops"),
                        (InputCommand::Clear, "clears"),
                    ]
                )
            ),
            theme.dim,
        ),
        _ => Line::styled(
            keys.hint(
                &PREDICT_KEYS,
                &[
                    (PredictCommand::Predict, "predicts"),
                    (PredictCommand::Edit, "types a value"),
                    (PredictCommand::Previous, ""),
                    (PredictCommand::Next, "model or level"),
                    (PredictCommand::Save, "save"),
                    (PredictCommand::Saved, "open"),
                ],
            ) + " · ? keys",
            theme.dim,
        ),
    };
    frame.render_widget(Paragraph::new(message), message_area);
}

fn model_row<'a>(tab: &PredictTab, theme: &Theme) -> Row<'a> {
    let choice = tab.choices.get(tab.choice);
    let label = choice.map_or(String::new(), |c| c.reference.to_string());
    let detail = match (&tab.loaded, tab.loading) {
        (_, true) => "loading…".to_string(),
        (Some(loaded), false) => {
            let headline = serde_json::from_str::<MetricsFile>(&loaded.version.metrics_json)
                .map(|m| {
                    let (name, value) = m.validation.headline();
                    format!(" · {name} {}", num_text(value))
                })
                .unwrap_or_default();
            format!(
                "version {} · {} · run {}{headline}",
                loaded.version.version,
                loaded.model.signature.model.as_str(),
                loaded.version.run_id
            )
        }
        (None, false) => String::new(),
    };
    Row::new(vec![
        Cell::from(Span::styled("Model", theme.header)),
        Cell::from(format!("‹ {} ›", clean(&label))),
        Cell::from(Span::styled(detail, theme.dim)),
    ])
}

fn field_row<'a>(
    field: &FormField,
    focused: bool,
    editing: Option<&TextInput>,
    width: usize,
    theme: &Theme,
) -> Row<'a> {
    let mut value = clean(&field.value);
    if let (true, Some(input)) = (focused, editing) {
        value = clean(&input.with_cursor());
    } else if focused && !field.is_text() {
        value = format!("‹ {} ›", if value.is_empty() { "missing" } else { &value });
    }
    let hint = field.hint();
    let (check, style): (String, Style) = match &field.check {
        FieldCheck::Error(reason) => (format!("✗ {reason}"), theme.error),
        FieldCheck::Warning(reason) => (format!("⚠ {reason}"), theme.warning),
        FieldCheck::Ok(note) if note.is_empty() => (hint, theme.dim),
        FieldCheck::Ok(note) => (format!("{hint} · {note}"), theme.dim),
    };
    let name_style = if field.derived {
        theme.dim
    } else {
        Style::default()
    };
    Row::new(vec![
        Cell::from(Span::styled(clean(&field.input.name), name_style)),
        Cell::from(truncate(&value, width)),
        Cell::from(Span::styled(clean(&check), style)),
    ])
}

fn render_form(tab: &PredictTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let editing = match &tab.mode {
        Mode::Editing(input) => Some(input),
        _ => None,
    };
    let name_width = tab
        .fields
        .iter()
        .map(|f| f.input.name.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(6, 24) as u16;
    let value_width = tab
        .choices
        .get(tab.choice)
        .map_or(0, |c| c.reference.to_string().chars().count() + 4)
        .clamp(VALUE_WIDTH, 32);
    let mut rows = vec![model_row(tab, theme)];
    rows.extend(
        tab.fields
            .iter()
            .enumerate()
            .map(|(i, f)| field_row(f, tab.focus == i + 1, editing, value_width, theme)),
    );
    let errors = tab
        .fields
        .iter()
        .filter(|f| matches!(f.check, FieldCheck::Error(_)))
        .count();
    let warnings = tab
        .fields
        .iter()
        .filter(|f| matches!(f.check, FieldCheck::Warning(_)))
        .count();
    let title = match (errors, warnings) {
        (0, 0) => "Form".to_string(),
        (0, w) => format!("Form · {w} ⚠"),
        (e, 0) => format!("Form · {e} ✗"),
        (e, w) => format!("Form · {e} ✗ {w} ⚠"),
    };
    let mut state = TableState::default().with_selected(Some(tab.focus));
    DataTable::new(
        rows,
        [
            Constraint::Length(name_width),
            Constraint::Length(value_width as u16 + 1),
            Constraint::Min(10),
        ],
    )
    .title(title, true)
    .render(frame, area, theme, &mut state);
}

fn outcome_lines<'a>(
    tab: &PredictTab,
    outcome: &PredictOutcome,
    theme: &Theme,
    predict_key: &str,
) -> Vec<Line<'a>> {
    let Some(loaded) = &tab.loaded else {
        return Vec::new();
    };
    let signature = &loaded.model.signature;
    let p = &outcome.prediction;
    let mut lines = Vec::new();
    match signature.task {
        Task::Regression => {
            lines.push(Line::from(vec![
                Span::raw(format!("{} ", clean(&signature.target))),
                Span::styled(num_text(p.value), theme.title),
            ]));
            if let (Some((low, high)), Some(level)) = (p.interval, p.interval_level) {
                lines.push(Line::from(format!(
                    "{:.0}% interval {} … {}",
                    100.0 * level,
                    num_text(low),
                    num_text(high)
                )));
                let rows = loaded
                    .model
                    .metrics
                    .conformal
                    .as_ref()
                    .map_or(0, |c| c.validation_rows);
                lines.push(Line::styled(
                    format!(
                        "split-conformal, from {} validation residuals",
                        count_text(rows as u64)
                    ),
                    theme.dim,
                ));
            }
        }
        Task::BinaryClassification => {
            let class = signature.positive_class.clone().unwrap_or("1".into());
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "P({} = {}) ",
                    clean(&signature.target),
                    clean(&class)
                )),
                Span::styled(format!("{:.3}", p.value), theme.title),
            ]));
        }
    }
    lines.push(Line::styled(
        format!("{} version {}", clean(&outcome.model), outcome.version),
        theme.dim,
    ));
    if outcome.record != form_record(&tab.fields) {
        lines.push(Line::styled(
            format!("the form changed since: {predict_key} predicts again"),
            theme.warning,
        ));
    }
    for warning in &p.warnings {
        lines.push(Line::styled(format!("⚠ {}", clean(warning)), theme.warning));
    }
    if !p.uplift.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!(
                "{:<14}{:>10}{:>9}{:>8}",
                "promotion", "predicted", "uplift", "%"
            ),
            theme.header,
        ));
        for point in &p.uplift {
            let label = match (point.promotion, point.depth_pct) {
                (false, _) => "off".to_string(),
                (true, Some(depth)) => format!("on at {depth}% off"),
                (true, None) => "on".to_string(),
            };
            let (uplift, pct) = if point.promotion {
                (
                    format!("{:+.2}", point.uplift),
                    point.uplift_pct.map_or("–".into(), |u| format!("{u:+.1}%")),
                )
            } else {
                ("–".into(), "–".into())
            };
            let style = if point.uplift < 0.0 {
                theme.warning
            } else {
                Style::default()
            };
            lines.push(Line::styled(
                format!(
                    "{label:<14}{:>10}{uplift:>9}{pct:>8}",
                    num_text(point.prediction)
                ),
                style,
            ));
        }
    }
    lines
}

fn render_outcome(tab: &PredictTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let theme = ctx.theme;
    let predict_key = ctx.keys.key_for(&PREDICT_KEYS, PredictCommand::Predict);
    let lines = match &tab.outcome {
        Some(outcome) => outcome_lines(tab, outcome, theme, &predict_key),
        None if tab.loaded.is_some() => vec![Line::styled(
            format!("Fill the form; {predict_key} predicts."),
            theme.dim,
        )],
        None => Vec::new(),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("Prediction", false, theme)),
        area,
    );
}

fn render_saved(tab: &PredictTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let cursor = match tab.mode {
        Mode::Saved(c) | Mode::ConfirmDelete(c, _) => Some(c),
        _ => None,
    };
    let lines: Vec<Line<'_>> = if tab.forms.is_empty() {
        vec![Line::styled("none yet: s saves the form", theme.dim)]
    } else {
        tab.forms
            .iter()
            .enumerate()
            .map(|(i, form)| {
                let text = format!(
                    "{:<24} {}",
                    truncate(&clean(&form.name), 24),
                    form.saved_at.get(5..16).unwrap_or("").replace('T', " ")
                );
                if cursor == Some(i) {
                    Line::styled(text, theme.selected)
                } else {
                    Line::from(text)
                }
            })
            .collect()
    };
    let skip = cursor.map_or(0, |c| {
        c.saturating_sub(area.height.saturating_sub(3) as usize)
    });
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).block(block(
            "Saved forms",
            cursor.is_some(),
            theme,
        )),
        area,
    );
}
