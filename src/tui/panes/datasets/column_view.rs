//! Drawing one column of the Datasets pane: its histogram (or its top levels) and its detail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Wrap};

use crate::data::ColumnProfile;
use crate::text::{count_text, num_text, truncate};
use crate::tui::theme::Theme;
use crate::tui::widgets::pane_block as block;


pub(super) fn render_histogram(frame: &mut Frame<'_>, area: Rect, theme: &Theme, column: &ColumnProfile) {
    let title = format!("{} — distribution", column.name);
    let outer = block(&title, false, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if inner.height < 2 || inner.width < 4 {
        return;
    }
    let [bars_area, axis_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    if column.kind == crate::data::ColumnKind::Text {
        let text = format!(
            "free text or identifiers: {} distinct values, nothing to chart",
            count_text(column.distinct)
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
        return;
    }
    let (bars, axis): (Vec<(String, u64)>, String) =
        match (&column.histogram, column.top.is_empty()) {
            (Some(h), _) => {
                let (lo, hi) = if column.date_range.is_some() {
                    (
                        crate::data::profile::day_text(h.min as i32),
                        crate::data::profile::day_text(h.max as i32),
                    )
                } else {
                    (num_text(h.min), num_text(h.max))
                };
                (
                    h.counts.iter().map(|&c| (String::new(), c)).collect(),
                    format!("{lo} … {hi}"),
                )
            }
            (None, false) => (
                column
                    .top
                    .iter()
                    .map(|t| (t.value.clone(), t.count))
                    .collect(),
                "most frequent values".to_string(),
            ),
            (None, true) => {
                frame.render_widget(Paragraph::new("no values to chart"), bars_area);
                return;
            }
        };
    let n = bars.len().max(1) as u16;
    let gap = u16::from(bars_area.width >= n * 3);
    let width = ((bars_area.width + gap) / n).saturating_sub(gap).max(1);
    let labelled = bars.iter().any(|(label, _)| !label.is_empty());
    let group: Vec<Bar> = bars
        .iter()
        .map(|(label, count)| {
            let bar = Bar::default()
                .value(*count)
                .text_value(String::new())
                .style(theme.bar);
            if labelled {
                bar.label(Line::from(truncate(label, width as usize)))
            } else {
                bar
            }
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&group))
            .bar_width(width)
            .bar_gap(gap),
        bars_area,
    );
    frame.render_widget(Paragraph::new(Line::styled(axis, theme.dim)), axis_area);
}

pub(super) fn render_column_detail(frame: &mut Frame<'_>, area: Rect, theme: &Theme, column: &ColumnProfile) {
    let written = column
        .missing_written
        .describe()
        .map(|w| format!(", written {w}"))
        .unwrap_or_default();
    let mut lines = vec![Line::from(format!(
        "{} · {} · missing {} ({:.2}%{written}) · distinct {}",
        column.kind.as_str(),
        column.dtype,
        count_text(column.missing),
        column.missing_pct,
        count_text(column.distinct)
    ))];
    if let Some(n) = &column.numeric {
        lines.push(Line::from(format!(
            "min {}  q25 {}  median {}",
            num_text(n.min),
            num_text(n.q25),
            num_text(n.median)
        )));
        lines.push(Line::from(format!(
            "q75 {}  max {}",
            num_text(n.q75),
            num_text(n.max)
        )));
        lines.push(Line::from(format!(
            "mean {}  std {}  zeros {}",
            num_text(n.mean),
            num_text(n.std),
            count_text(n.zeros)
        )));
    }
    if let Some(range) = &column.date_range {
        lines.push(Line::from(format!(
            "{} → {} ({} days)",
            range.min, range.max, range.days
        )));
    }
    if column.numeric.is_none() {
        for top in column.top.iter().take(5) {
            lines.push(Line::from(format!(
                "{:>6.2}%  {}",
                top.share * 100.0,
                top.value
            )));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("Column", false, theme)),
        area,
    );
}

pub(super) fn top_or_range(c: &ColumnProfile) -> String {
    if let Some(range) = &c.date_range {
        return format!("{} → {}", range.min, range.max);
    }
    c.top
        .iter()
        .take(3)
        .map(|t| format!("{} {:.0}%", t.value, t.share * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}
