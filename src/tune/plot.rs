//! What a study's charts show, computed once for every face: the best value so far by trial,
//! parallel coordinates (each complete trial a line through one axis per parameter and the
//! objective, placed on the parameter's own scale: log where the range is log, a category's
//! index where it is categorical), and a slice per parameter (the objective against its values).
//! The Study view draws these in the terminal; `write_study_svg` draws them into a file.

use super::space::{Range, Space, Value};
use crate::store::{TrialRow, TrialState};

/// One vertical axis of the parallel coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotAxis {
    pub name: String,
    /// The ends written on the axis, low first.
    pub low_label: String,
    pub high_label: String,
}

/// A complete trial in the charts.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotTrial {
    pub number: i64,
    pub value: f64,
    /// Each parameter's position on its axis in 0..=1, then the objective's.
    pub coords: Vec<f64>,
    /// Each parameter's value as a number on its slice's x axis (log10 for a log range, the
    /// choice's index for a categorical one).
    pub xs: Vec<f64>,
    /// 0 for the best trial, 1 for the worst, by rank.
    pub rank: f64,
}

/// Everything the study's charts draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StudyPlot {
    /// The parameters' axes, then the objective's (named by its metric).
    pub axes: Vec<PlotAxis>,
    pub trials: Vec<PlotTrial>,
    /// (trial number, best value so far) from the first complete trial on.
    pub best_so_far: Vec<(f64, f64)>,
    /// Per parameter: whether its slice's x axis is log10, and its categories when it has them.
    pub slice_scales: Vec<(bool, Vec<String>)>,
}

impl StudyPlot {
    /// The charts of a study of `space` whose objective is `metric`.
    pub fn new(space: &Space, trials: &[TrialRow], maximize: bool, metric: &str) -> Self {
        let better = |a: f64, b: f64| if maximize { a > b } else { a < b };
        let mut best_so_far = Vec::new();
        let mut best: Option<f64> = None;
        let mut complete: Vec<(i64, f64, Vec<Value>)> = Vec::new();
        for t in trials {
            if let (TrialState::Complete, Some(v)) = (t.state, t.value) {
                if best.is_none_or(|b| better(v, b)) {
                    best = Some(v);
                }
                if let Ok(values) = serde_json::from_str::<Vec<Value>>(&t.params_json)
                    && values.len() == space.dimensions.len()
                {
                    complete.push((t.number, v, values));
                }
            }
            if let Some(b) = best {
                best_so_far.push((t.number as f64, b));
            }
        }
        let (low, high) = complete
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v, _)| {
                (lo.min(*v), hi.max(*v))
            });
        let mut order: Vec<usize> = (0..complete.len()).collect();
        order.sort_by(|&a, &b| {
            let (va, vb) = (complete[a].1, complete[b].1);
            if maximize {
                vb.total_cmp(&va)
            } else {
                va.total_cmp(&vb)
            }
        });
        let mut rank = vec![0.0; complete.len()];
        let last = complete.len().saturating_sub(1).max(1) as f64;
        for (position, &i) in order.iter().enumerate() {
            rank[i] = position as f64 / last;
        }
        let plotted = complete
            .iter()
            .zip(rank)
            .map(|((number, value, values), rank)| {
                let mut coords: Vec<f64> = space
                    .dimensions
                    .iter()
                    .zip(values)
                    .map(|(d, v)| position(&d.range, v))
                    .collect();
                coords.push(if high > low {
                    (value - low) / (high - low)
                } else {
                    0.5
                });
                PlotTrial {
                    number: *number,
                    value: *value,
                    coords,
                    xs: space
                        .dimensions
                        .iter()
                        .zip(values)
                        .map(|(d, v)| slice_x(&d.range, v))
                        .collect(),
                    rank,
                }
            })
            .collect();
        let mut axes: Vec<PlotAxis> = space
            .dimensions
            .iter()
            .map(|d| {
                let (low_label, high_label) = ends(&d.range);
                PlotAxis {
                    name: d.name.clone(),
                    low_label,
                    high_label,
                }
            })
            .collect();
        let text = crate::text::num_text;
        axes.push(PlotAxis {
            name: metric.to_string(),
            low_label: if low.is_finite() {
                text(low)
            } else {
                "-".into()
            },
            high_label: if high.is_finite() {
                text(high)
            } else {
                "-".into()
            },
        });
        StudyPlot {
            axes,
            trials: plotted,
            best_so_far,
            slice_scales: space
                .dimensions
                .iter()
                .map(|d| match &d.range {
                    Range::Float { log, .. } | Range::Int { log, .. } => (*log, Vec::new()),
                    Range::Categorical { choices } => (false, choices.clone()),
                })
                .collect(),
        }
    }

    /// The best complete trial, if any.
    pub fn best(&self) -> Option<&PlotTrial> {
        self.trials.iter().find(|t| t.rank == 0.0)
    }
}

fn unit(x: f64, low: f64, high: f64) -> f64 {
    if high > low {
        ((x - low) / (high - low)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Where `value` sits on its axis, 0..=1, on the range's own scale.
fn position(range: &Range, value: &Value) -> f64 {
    match (range, value) {
        (Range::Float { low, high, log }, Value::Number(x)) => scaled(*x, *low, *high, *log),
        (Range::Int { low, high, log }, Value::Number(x)) => {
            scaled(*x, *low as f64, *high as f64, *log)
        }
        (Range::Categorical { choices }, Value::Choice(c)) => {
            let index = choices.iter().position(|x| x == c).unwrap_or(0);
            if choices.len() > 1 {
                index as f64 / (choices.len() - 1) as f64
            } else {
                0.5
            }
        }
        _ => 0.5,
    }
}

fn scaled(x: f64, low: f64, high: f64, log: bool) -> f64 {
    if log && low > 0.0 && x > 0.0 {
        unit(x.ln(), low.ln(), high.ln())
    } else {
        unit(x, low, high)
    }
}

fn slice_x(range: &Range, value: &Value) -> f64 {
    match (range, value) {
        (Range::Float { log: true, .. } | Range::Int { log: true, .. }, Value::Number(x))
            if *x > 0.0 =>
        {
            x.log10()
        }
        (_, Value::Number(x)) => *x,
        (Range::Categorical { choices }, Value::Choice(c)) => {
            choices.iter().position(|x| x == c).unwrap_or(0) as f64
        }
        _ => 0.0,
    }
}

fn ends(range: &Range) -> (String, String) {
    let text = crate::text::num_text;
    match range {
        Range::Float { low, high, .. } => (text(*low), text(*high)),
        Range::Int { low, high, .. } => (low.to_string(), high.to_string()),
        Range::Categorical { choices } => (
            choices.first().cloned().unwrap_or_default(),
            choices.last().cloned().unwrap_or_default(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(number: i64, value: f64, params: &str) -> TrialRow {
        TrialRow {
            number,
            state: TrialState::Complete,
            value: Some(value),
            params_json: params.into(),
            run_id: None,
            reason: None,
            started_at: String::new(),
            ended_at: None,
        }
    }

    #[test]
    fn trials_sit_on_each_axis_at_their_own_scale_and_rank_by_objective() {
        let space = Space::parse("lr=log:0.01..1,depth=int:2..10,obj=cat:a|b|c").unwrap();
        let trials = vec![
            trial(0, 3.0, r#"[0.1, 6, "c"]"#),
            trial(1, 1.0, r#"[0.01, 2, "a"]"#),
            trial(2, 2.0, r#"[1.0, 10, "b"]"#),
        ];
        let plot = StudyPlot::new(&space, &trials, false, "rmse");
        assert_eq!(plot.axes.len(), 4);
        let first = &plot.trials[0];
        // 0.1 is halfway between 0.01 and 1 on a log scale; 6 halfway from 2 to 10; c is last.
        assert!((first.coords[0] - 0.5).abs() < 1e-12);
        assert!((first.coords[1] - 0.5).abs() < 1e-12);
        assert_eq!(first.coords[2], 1.0);
        assert_eq!(
            first.coords[3], 1.0,
            "the worst objective is at the top of its axis"
        );
        assert_eq!(first.rank, 1.0);
        assert_eq!(plot.best().map(|t| t.number), Some(1));
        assert_eq!(plot.best_so_far, vec![(0.0, 3.0), (1.0, 1.0), (2.0, 1.0)]);
        assert!(
            (plot.trials[0].xs[0] - (-1.0)).abs() < 1e-12,
            "log10 of 0.1"
        );
        assert_eq!(plot.trials[2].xs[2], 1.0, "b is choice 1");
        assert_eq!(plot.axes[3].low_label, "1");
    }
}
