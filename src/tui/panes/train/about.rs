//! The Train form's About pane: what the focused field means, its range and the chosen dataset
//! column's profile, beside the form.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::{Field, TrainCommand, TRAIN_KEYS, TrainTab};
use crate::data::ColumnProfile;
use crate::ml::models::ModelSpec;
use crate::text::{clean, count_text, num_text};
use crate::tui::component::RenderContext;
use crate::tui::widgets::pane_block as block;

fn column_summary(column: &ColumnProfile) -> String {
    let mut text = format!(
        "{} · {} distinct · {:.1}% missing",
        column.kind.as_str(),
        count_text(column.distinct),
        column.missing_pct
    );
    if let Some(n) = &column.numeric {
        text.push_str(&format!(
            " · {} … {} (mean {})",
            num_text(n.min),
            num_text(n.max),
            num_text(n.mean)
        ));
    } else if let Some(range) = &column.date_range {
        text.push_str(&format!(" · {} … {}", range.min, range.max));
    } else if let Some(top) = column.top.first() {
        text.push_str(&format!(
            " · top '{}' {:.0}%",
            clean(&top.value),
            top.share * 100.0
        ));
    }
    text
}

pub(super) fn render_context(tab: &TrainTab, frame: &mut Frame<'_>, area: Rect, ctx: &RenderContext<'_>) {
    let theme = ctx.theme;
    let toggle = ctx.keys.key_for(&TRAIN_KEYS, TrainCommand::Toggle);
    let mut lines: Vec<Line<'_>> = Vec::new();
    let field = tab.focused();
    match field {
        Field::Target | Field::Task | Field::Dataset => {
            if let Some(column) = tab.profile().and_then(|p| p.columns.get(tab.target)) {
                lines.push(Line::styled(
                    format!("target {}", clean(&column.name)),
                    theme.header,
                ));
                lines.push(Line::from(column_summary(column)));
                lines.push(Line::from(""));
                lines.push(Line::from(format!(
                    "task: {}",
                    tab.task().as_str().replace('_', " ")
                )));
                lines.push(Line::styled(
                    "Two distinct values make a binary classification; numbers a regression.",
                    theme.dim,
                ));
            }
        }
        Field::Model => {
            lines.push(Line::styled(format!("{}", tab.model), theme.header));
            lines.push(Line::from(
                match tab.model {
                    crate::ml::models::ModelKind::Gbdt => {
                        "Gradient-boosted trees (histograms, leaf- or depth-wise): the forecaster's \
                         model. Poisson or Tweedie objectives suit unit sales."
                    }
                    crate::ml::models::ModelKind::RandomForest => {
                        "Random forest (smartcore), grown ten trees per step."
                    }
                    crate::ml::models::ModelKind::DecisionTree => "One decision tree (smartcore).",
                    crate::ml::models::ModelKind::Logistic => {
                        "Logistic regression on standardised features."
                    }
                    crate::ml::models::ModelKind::Naive => {
                        "Baseline: each series' last value (lag 1), flat over the horizon."
                    }
                    crate::ml::models::ModelKind::SeasonalNaive => {
                        "Baseline: the same period one season back (52 weeks, 7 days, 12 \
                         months; season= overrides)."
                    }
                    crate::ml::models::ModelKind::WindowAverage => {
                        "Baseline: the mean of each series' last W periods (window=, 4)."
                    }
                    crate::ml::models::ModelKind::SeriesMean => {
                        "Baseline: the mean of each series' whole history."
                    }
                    _ => "A linear model on standardised features (smartcore).",
                }
                .to_string(),
            ));
            lines.push(Line::from(""));
            lines.push(Line::styled(
                format!(
                    "for {}: {}",
                    tab.task().as_str().replace('_', " "),
                    crate::ml::models::ModelKind::for_task(tab.task())
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                theme.dim,
            ));
        }
        Field::Param(i) => {
            let spec = ModelSpec::defaults(tab.model, tab.task(), 0);
            if let Some((name, _, _)) = tab.params.get(i)
                && let Some(info) = spec.info().iter().find(|p| p.name == *name)
            {
                lines.push(Line::styled(info.name, theme.header));
                lines.push(Line::from(info.description));
                lines.push(Line::from(format!("range: {}", info.range)));
                lines.push(Line::styled(
                    match info.search {
                        Some(search) => format!(
                            "a range instead of a value tunes it in a study (S fills {search})"
                        ),
                        None => "a range instead of a value (LOW..HIGH) tunes it in a study"
                            .to_string(),
                    },
                    theme.dim,
                ));
            }
        }
        Field::Split => {
            lines.push(Line::styled("split", theme.header));
            lines.push(Line::from(
                "random:0.2 — a seeded random fifth for validation",
            ));
            lines.push(Line::from(
                "time:COLUMN:N — the last N dates for validation",
            ));
            lines.push(Line::from("time:COLUMN:YYYY-MM-DD — from that date on"));
            lines.push(Line::styled(
                "A forecast is validated on its future: use a time split for sales.",
                theme.dim,
            ));
        }
        Field::Lookups => {
            lines.push(Line::styled("lookup tables", theme.header));
            lines.push(Line::from(
                "Tables from data/ joined on key columns before training, separated by ';': \
                 stores.csv:Store; covariates.csv:Store,Date. Their columns become features; \
                 the model keeps the tables, so a prediction needs only this file's columns.",
            ));
            for choice in &tab.datasets {
                lines.push(Line::styled(format!("  {}", choice.relative), theme.dim));
            }
        }
        Field::Lags | Field::Rolling | Field::Groups => {
            lines.push(Line::styled("lag features", theme.header));
            lines.push(Line::from(
                "Lags: the target N periods back (1,2,4,52); rolling means over the last N \
                 periods (4,13); groups: the columns of one series (store_id,item_id). The date \
                 is the time split's column. Computed from the past only.",
            ));
        }
        Field::Backtest => {
            lines.push(Line::styled("backtest", theme.header));
            lines.push(Line::from(
                "Empty: one run. K: a rolling-origin backtest of K refits, each a child run \
                 validated on the time split's N periods after its cut-off, the last ending at \
                 the data's last date; the backtest pools their errors per step, and its \
                 model's intervals come from every window.",
            ));
        }
        Field::Study | Field::StudyTrials => {
            lines.push(Line::styled("study", theme.header));
lines.push(Line::from(
                "A parameter given as a range instead of a value is tuned: LOW..HIGH, \
                 log:LOW..HIGH, int:LOW..HIGH, intlog:LOW..HIGH or cat:A|B. S gives every \
                 parameter the model tunes its search range (S again: one run). TPE proposes \
                 each trial, a child run of the study; the median pruner stops the poor ones \
                 early. Trials: N, or NxP for P at once. The study opens in the Runs tab as it \
                 goes.",
            ));
        }
        Field::Log1p => {
            lines.push(Line::styled("log1p target", theme.header));
            lines.push(Line::from(
                "Train on log(1 + target) for skewed sales; predictions are transformed back.",
            ));
        }
        Field::Features => {
            lines.push(Line::styled("features", theme.header));
            lines.push(Line::from(
                format!("{toggle} opens the column list with each column's profile."),
            ));
        }
        Field::RunOn | Field::SlurmJob => {
            lines.push(Line::styled("run on", theme.header));
            lines.push(Line::from(
                "local: each worker a detached process on this machine. slurm: each worker \
                 (a study's trials: one job array, P tasks at once) a batch job submitted with \
                 sbatch; the Runs tab shows it PENDING with Slurm's reason, then RUNNING. The \
                 project folder must be on a filesystem the nodes share.",
            ));
            if tab.on_slurm {
                lines.push(Line::from(""));
                lines.push(Line::from(format!(
                    "Slurm job: partition= time=HH:MM:SS cpus= mem= account=, over \
                     shelfcast.toml's [slurm]: {}",
                    match tab.slurm_defaults.to_text() {
                        text if text.is_empty() => "none set".to_string(),
                        text => text,
                    }
                )));
            }
        }
        _ => {
            lines.push(Line::styled("run", theme.header));
            lines.push(Line::from(
                "The run trains in its own process: close the terminal or lose the SSH link \
                 and it goes on. Follow it in the Runs tab (3).",
            ));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block("About", false, theme)),
        area,
    );
}

