//! Drawing a study's run: the best value so far by trial (each complete trial a point), the
//! trials with their state, value and parameters, and the per-round validation loss of the
//! newest trials — running ones bright, pruned ones in the warning colour where they stopped.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table};

use super::detail::StudyDetail;
use crate::store::{Run, TrialState};
use crate::text::num_text;
use crate::tui::theme::Theme;
use crate::tui::widgets::pane_block as block;

pub(super) fn render_study(
    run: &Run,
    study: &StudyDetail,
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
                    "best: trial {number} (run {}), {} {}; M registers it",
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
    render_history(study, frame, history, theme);
    render_trials(study, frame, table, theme);
    render_intermediate(study, frame, bottom, theme);
}

fn bounds(points: &[&[(f64, f64)]]) -> (f64, f64, f64, f64) {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in points.iter().flat_map(|p| p.iter()) {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if x0 > x1 {
        return (0.0, 1.0, 0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    (x0, x1.max(x0 + 1.0), y0 - pad, y1 + pad)
}

fn chart<'a>(datasets: Vec<Dataset<'a>>, title: &str, b: (f64, f64, f64, f64), theme: &Theme) -> Chart<'a> {
    let (x0, x1, y0, y1) = b;
    Chart::new(datasets)
        .block(block(title, false, theme))
        .x_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([x0, x1])
                .labels([num_text(x0), num_text(x1)]),
        )
        .y_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([y0, y1])
                .labels([num_text(y0), num_text(y1)]),
        )
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
