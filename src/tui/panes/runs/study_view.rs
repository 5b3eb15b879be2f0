//! Drawing a study's run: one chart of the study's (the best value so far by trial; parallel
//! coordinates of the parameters coloured by objective; a slice per parameter — `p` steps
//! through them), the trials with their state, value and parameters, and the per-round
//! validation loss of the newest trials — running ones bright, pruned ones in the warning colour
//! where they stopped.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Dataset, GraphType, Paragraph, Row, Table};

use super::detail::StudyDetail;
use super::study_charts::{bounds, chart, render_parallel, render_slice};
use crate::store::{Run, TrialState};
use crate::text::num_text;
use crate::tui::theme::Theme;
use crate::tui::widgets::pane_block as block;

/// The charts `p` steps through: the history, the parallel coordinates, then one slice per
/// parameter.
pub fn chart_count(study: &StudyDetail) -> usize {
    2 + study.plot.axes.len().saturating_sub(1)
}

pub(super) fn render_study(
    run: &Run,
    study: &StudyDetail,
    chart: usize,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
) {
    let [head, middle, bottom] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Percentage(50),
        Constraint::Min(6),
    ])
    .areas(area);
    let count = |state: TrialState| study.trials.iter().filter(|t| t.state == state).count();
    let best = study.best();
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("study {} ", study.name), theme.header),
            Span::raw(format!(
                "(run {}, {}): {} of {} trials complete, {} pruned, {} failed, {} running",
                run.id,
                run.status.as_str(),
                count(TrialState::Complete),
                study.budget,
                count(TrialState::Pruned),
                count(TrialState::Failed),
                count(TrialState::Running)
            )),
        ]),
        Line::from(vec![
            Span::styled(study.space.clone(), theme.dim),
            Span::raw(if study.importances.is_empty() {
                String::new()
            } else {
                format!(
                    "   importance (PED-ANOVA): {}",
                    study
                        .importances
                        .iter()
                        .map(|(name, v)| format!("{name} {v:.2}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
        ]),
        Line::from(match best {
            Some((number, value, run)) => Span::styled(
                format!(
                    "best: trial {number} (run {}), {} {}; r registers it, p the next chart, e \
                     exports the charts as SVG",
                    run.map_or("-".into(), |r| r.to_string()),
                    study.metric,
                    num_text(value)
                ),
                theme.ok,
            ),
            None => Span::styled("no trial complete yet", theme.dim),
        }),
    ];
    frame.render_widget(Paragraph::new(lines).block(block("Study", true, theme)), head);
    let [history, table] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(middle);
    match chart % chart_count(study) {
        0 => render_history(study, frame, history, theme),
        1 => render_parallel(study, frame, history, theme),
        i => render_slice(study, i - 2, frame, history, theme),
    }
    render_trials(study, frame, table, theme);
    render_intermediate(study, frame, bottom, theme);
}

/// The best value so far by trial number, and each complete trial.
fn render_history(study: &StudyDetail, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let mut best_so_far = Vec::new();
    let mut values = Vec::new();
    let mut best: Option<f64> = None;
    for t in &study.trials {
        if let (TrialState::Complete, Some(v)) = (t.state, t.value) {
            values.push((t.number as f64, v));
            if best.is_none_or(|b| study.better(v, b)) {
                best = Some(v);
            }
        }
        if let Some(b) = best {
            best_so_far.push((t.number as f64, b));
        }
    }
    let b = bounds(&[&values, &best_so_far]);
    let datasets = vec![
        Dataset::default()
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(theme.dim)
            .data(&values),
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.ok)
            .data(&best_so_far),
    ];
    let title = format!("best {} so far, by trial", study.metric);
    frame.render_widget(chart(datasets, &title, b, theme), area);
}

fn render_trials(study: &StudyDetail, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let room = area.height.saturating_sub(3) as usize;
    let rows: Vec<Row> = study
        .trials
        .iter()
        .rev()
        .take(room)
        .map(|t| {
            let style = match t.state {
                TrialState::Complete => theme.ok,
                TrialState::Pruned => theme.warning,
                TrialState::Failed => theme.error,
                TrialState::Running => theme.bar,
            };
            let params: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&t.params_json)
                .unwrap_or_default()
                .iter()
                .map(|v| match v {
                    serde_json::Value::Number(n) => n.as_f64().map_or(n.to_string(), num_text),
                    other => other.as_str().unwrap_or("").to_string(),
                })
                .collect();
            Row::new(vec![
                Cell::from(t.number.to_string()),
                Cell::from(Span::styled(t.state.as_str(), style)),
                Cell::from(t.value.map_or("-".into(), num_text)),
                Cell::from(params.join(" ")),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(vec!["trial", "state", "value", "params"]).style(theme.header))
    .block(block("Trials, newest first", false, theme));
    frame.render_widget(table, area);
}

/// The per-round validation loss of the newest trials.
fn render_intermediate(study: &StudyDetail, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let curves: Vec<&[(f64, f64)]> = study.curves.iter().map(|(_, _, c)| c.as_slice()).collect();
    let b = bounds(&curves);
    let datasets: Vec<Dataset> = study
        .curves
        .iter()
        .map(|(_, state, curve)| {
            let style = match state {
                TrialState::Running => theme.bar,
                TrialState::Pruned => theme.warning,
                _ => theme.dim,
            };
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(style)
                .data(curve)
        })
        .collect();
    let title = format!(
        "validation loss by round, the newest {} trials (running bright, pruned marked)",
        study.curves.len()
    );
    frame.render_widget(chart(datasets, &title, b, theme), area);
}
