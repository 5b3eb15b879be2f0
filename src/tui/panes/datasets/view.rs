//! Drawing the Datasets pane. Reads `DatasetsTab` state; changes only the scroll state that
//! ratatui's stateful widgets keep.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Gauge, Paragraph, Row, Wrap};

use super::column_view::{render_column_detail, render_histogram, top_or_range};
use super::{DatasetsTab, EntryState, Focus};
use crate::tui::widgets::pane_block as block;
use crate::tui::widgets::table::DataTable;
use crate::data::{DatasetProfile, ProfileStage};
use crate::text::{bytes_text, clean, count_text, num_text, truncate, truncate_middle};
use crate::tui::theme::Theme;

impl DatasetsTab {
    pub(super) fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, theme: &Theme, spin: char) {
        render(self, frame, area, theme, spin);
    }
}

fn render(tab: &mut DatasetsTab, frame: &mut Frame<'_>, area: Rect, theme: &Theme, spin: char) {
    // The file list takes a third of a narrow terminal and at most 40 columns of a wide one.
    let files_width = (area.width / 3).clamp(24, 40);
    let [files_area, detail_area] =
        Layout::horizontal([Constraint::Length(files_width), Constraint::Min(20)]).areas(area);
    render_files(tab, frame, files_area, theme, spin);
    let selected = tab
        .files_state
        .selected()
        .and_then(|i| tab.entries.get(i))
        .cloned();
    match selected {
        None => {
            let text = match &tab.scan_error {
                Some(e) => Line::styled(e.clone(), theme.error),
                None => Line::from(format!(
                    "No CSV or Parquet file in {}. Copy one there: it appears here at once.",
                    tab.data_dir.display()
                )),
            };
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .block(block("Dataset", false, theme)),
                detail_area,
            );
        }
        Some(entry) => match &entry.state {
            EntryState::Ready {
                profile,
                from_cache,
            } => render_profile(tab, frame, detail_area, theme, profile, *from_cache),
            EntryState::Profiling(stage) => render_progress(
                frame,
                detail_area,
                theme,
                &clean(&entry.file.relative),
                stage,
                spin,
            ),
            EntryState::Pending => frame.render_widget(
                Paragraph::new(format!("{spin} waiting to be profiled…")).block(block(
                    &clean(&entry.file.relative),
                    false,
                    theme,
                )),
                detail_area,
            ),
            EntryState::Failed(message) => {
                // The pane already names the file; the full temp or home path only wraps.
                let message =
                    message.replace(&entry.file.path.display().to_string(), &entry.file.relative);
                let text = vec![
                    Line::styled(message, theme.error),
                    Line::from(""),
                    Line::styled(
                        "Fix the file and save it: Shelfcast reads it again on change. \
                         r retries now.",
                        theme.dim,
                    ),
                ];
                frame.render_widget(
                    Paragraph::new(text).wrap(Wrap { trim: false }).block(block(
                        &format!("{} — cannot be read", clean(&entry.file.relative)),
                        false,
                        theme,
                    )),
                    detail_area,
                );
            }
        },
    }
}

fn render_files(
    tab: &mut DatasetsTab,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    spin: char,
) {
    // Borders, the status glyph, the row count and two column gaps.
    let name_width = area.width.saturating_sub(2 + 1 + 9 + 2) as usize;
    let rows: Vec<Row> = tab
        .entries
        .iter()
        .map(|entry| {
            let (glyph, style, rows) = match &entry.state {
                EntryState::Ready { profile, .. } => ('✓', theme.ok, count_text(profile.rows)),
                EntryState::Profiling(stage) => (
                    spin,
                    theme.warning,
                    format!("{:>3.0}%", stage.fraction() * 100.0),
                ),
                EntryState::Pending => ('·', theme.dim, String::new()),
                EntryState::Failed(_) => ('✗', theme.error, "error".to_string()),
            };
            Row::new(vec![
                Cell::from(Span::styled(glyph.to_string(), style)),
                Cell::from(truncate_middle(&clean(&entry.file.relative), name_width)),
                Cell::from(Line::from(rows).right_aligned()),
            ])
        })
        .collect();
    let title = format!("Files in data/ ({})", tab.entries.len());
    let mut state =
        ratatui::widgets::TableState::default().with_selected(tab.files_state.selected());
    *state.offset_mut() = tab.files_state.offset();
    DataTable::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Min(10),
            Constraint::Length(9),
        ],
    )
    .title(title, tab.focus == Focus::Files)
    .render(frame, area, theme, &mut state);
    *tab.files_state.offset_mut() = state.offset();
}

fn render_progress(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    name: &str,
    stage: &ProfileStage,
    spin: char,
) {
    let label = match stage {
        ProfileStage::Scanning { done, total } => {
            format!(
                "{spin} checking and hashing {} of {}",
                bytes_text(*done),
                bytes_text(*total)
            )
        }
        ProfileStage::Reading => format!("{spin} reading with polars"),
        ProfileStage::Profiling { done, total } => {
            format!("{spin} profiling columns: {done} of {total}")
        }
        ProfileStage::Saving => format!("{spin} saving the profile"),
    };
    let outer = block(&format!("{name} — profiling"), false, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [gauge_area, hint_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.gauge)
            .ratio(stage.fraction().clamp(0.0, 1.0))
            .label(label),
        gauge_area,
    );
    frame.render_widget(
        Paragraph::new(Line::styled(
            "Profiling runs in the background: keys keep working, the profile is cached in runs.db.",
            theme.dim,
        ))
        .wrap(Wrap { trim: false }),
        hint_area,
    );
}

fn render_profile(
    tab: &mut DatasetsTab,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    profile: &DatasetProfile,
    from_cache: bool,
) {
    let [header_area, columns_area, chart_area, sample_area] = Layout::vertical([
        Constraint::Length(1 + profile.notes.len().min(2) as u16),
        Constraint::Fill(3),
        Constraint::Length(8),
        Constraint::Fill(2),
    ])
    .areas(area);
    let mut header = vec![Line::from(vec![
        Span::styled(
            format!(
                "{} rows × {} columns",
                count_text(profile.rows),
                profile.columns.len()
            ),
            theme.header,
        ),
        Span::raw(format!(
            " · {} · {} · sha256 {}{}",
            profile.format,
            bytes_text(profile.bytes),
            profile.sha256.get(..12).unwrap_or(&profile.sha256),
            if from_cache { " · cached" } else { "" }
        )),
    ])];
    header.extend(
        profile
            .notes
            .iter()
            .take(2)
            .map(|n| Line::styled(format!("note: {n}"), theme.warning)),
    );
    frame.render_widget(Paragraph::new(header), header_area);
    render_columns(tab, frame, columns_area, theme, profile);
    let column = tab
        .selected_column()
        .and_then(|i| profile.columns.get(i))
        .or(profile.columns.first());
    if let Some(column) = column {
        let [hist_area, detail_area] =
            Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(chart_area);
        render_histogram(frame, hist_area, theme, column);
        render_column_detail(frame, detail_area, theme, column);
    }
    render_sample(tab, frame, sample_area, theme, profile);
}

fn render_columns(
    tab: &mut DatasetsTab,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    profile: &DatasetProfile,
) {
    let name_width = profile
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 24) as u16;
    // Statistics columns are shown only where they fit beside a readable "top / range".
    let fixed = name_width + 11 + 7 + 8 + 4;
    let show_numbers = area.width.saturating_sub(2) >= fixed + 3 * 10 + 10;
    let mut titles = vec!["column", "type", "missing", "distinct"];
    let mut widths = vec![
        Constraint::Length(name_width),
        Constraint::Length(11),
        Constraint::Length(7),
        Constraint::Length(8),
    ];
    if show_numbers {
        titles.extend(["min", "mean", "max"]);
        widths.extend([Constraint::Length(9); 3]);
    }
    titles.push("top / range");
    widths.push(Constraint::Fill(1));
    let rows: Vec<Row> = profile
        .columns
        .iter()
        .map(|c| {
            let missing = if c.missing == 0 {
                "0".to_string()
            } else {
                format!("{:.1}%", c.missing_pct)
            };
            let mut cells = vec![
                Cell::from(c.name.clone()),
                Cell::from(c.kind.as_str()),
                Cell::from(Line::from(missing).right_aligned()),
                Cell::from(Line::from(count_text(c.distinct)).right_aligned()),
            ];
            if show_numbers {
                let stats = match &c.numeric {
                    Some(n) => [num_text(n.min), num_text(n.mean), num_text(n.max)],
                    None => Default::default(),
                };
                cells.extend(stats.map(|v| Cell::from(Line::from(v).right_aligned())));
            }
            cells.push(Cell::from(top_or_range(c)));
            Row::new(cells)
        })
        .collect();
    DataTable::new(rows, widths)
        .header(Row::new(titles))
        .title("Columns", tab.focus == Focus::Columns)
        .render(frame, area, theme, &mut tab.columns_state);
}

fn render_sample(
    tab: &mut DatasetsTab,
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    profile: &DatasetProfile,
) {
    let sample = &profile.sample;
    let visible_rows = area.height.saturating_sub(3) as usize;
    tab.row_offset = tab.row_offset.min(sample.rows.len().saturating_sub(1));
    tab.column_offset = tab
        .column_offset
        .min(sample.headers.len().saturating_sub(1));
    let rows_shown = &sample.rows[tab.row_offset.min(sample.rows.len())..];
    let rows_shown = &rows_shown[..rows_shown.len().min(visible_rows)];
    // Each column as wide as its widest visible value (at most 24), as many as fit.
    let mut widths = Vec::new();
    let mut used = 0u16;
    let inner_width = area.width.saturating_sub(2);
    for (i, header) in sample.headers.iter().enumerate().skip(tab.column_offset) {
        let widest = rows_shown
            .iter()
            .map(|r| r.get(i).map_or(0, |v| v.chars().count()))
            .chain(std::iter::once(header.chars().count()))
            .max()
            .unwrap_or(1)
            .min(24) as u16;
        if used + widest > inner_width && !widths.is_empty() {
            break;
        }
        widths.push((i, widest));
        used += widest + 1;
    }
    let header = Row::new(
        widths
            .iter()
            .map(|&(i, w)| Cell::from(truncate(&sample.headers[i], w as usize)))
            .collect::<Vec<_>>(),
    )
    .style(theme.header);
    let rows: Vec<Row> = rows_shown
        .iter()
        .map(|r| {
            Row::new(
                widths
                    .iter()
                    .map(|&(i, w)| {
                        Cell::from(truncate(r.get(i).map_or("", String::as_str), w as usize))
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let last_col = widths.last().map_or(0, |&(i, _)| i + 1);
    let title = format!(
        "Sample rows {}–{} of {} · columns {}–{} of {}",
        (tab.row_offset + 1).min(sample.rows.len()),
        tab.row_offset + rows_shown.len(),
        count_text(profile.rows),
        tab.column_offset + 1,
        last_col,
        sample.headers.len()
    );
    DataTable::new(rows, widths.iter().map(|&(_, w)| Constraint::Length(w)))
        .header(header)
        .title(title, tab.focus == Focus::Rows)
        .plain()
        .render(frame, area, theme, &mut Default::default());
}
