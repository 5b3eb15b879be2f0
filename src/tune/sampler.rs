//! Which sampler proposes a study's next trial: TPE (the default), uniform random, or a grid
//! (every choice of a categorical parameter; every integer of a range of at most 10, else 5
//! evenly spaced points, log-spaced on a log range), walked in order.

use serde::{Deserialize, Serialize};

use super::rng::Rng;
use super::space::{Range, Space, Value};
use super::tpe::{Observed, external, random_value, suggest};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampler {
    Tpe,
    Random,
    Grid,
}

const GRID_POINTS: usize = 5;

impl Sampler {
    pub fn parse(text: &str) -> Result<Sampler, String> {
        match text.trim() {
            "tpe" => Ok(Sampler::Tpe),
            "random" => Ok(Sampler::Random),
            "grid" => Ok(Sampler::Grid),
            other => Err(format!("--sampler {other}: expected tpe, random or grid")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Sampler::Tpe => "tpe",
            Sampler::Random => "random",
            Sampler::Grid => "grid",
        }
    }

    /// Trial `number`'s parameters; `None` when a grid is exhausted.
    pub fn propose(
        self,
        space: &Space,
        trials: &[Observed],
        number: usize,
        rng: &mut Rng,
    ) -> Option<Vec<Value>> {
        match self {
            Sampler::Tpe => Some(suggest(space, trials, rng)),
            Sampler::Random => Some(
                space
                    .dimensions
                    .iter()
                    .map(|d| random_value(&d.range, rng))
                    .collect(),
            ),
            Sampler::Grid => grid_point(space, number),
        }
    }
}

/// The grid's values of one range.
pub fn grid_values(range: &Range) -> Vec<Value> {
    match range {
        Range::Categorical { choices } => choices.iter().cloned().map(Value::Choice).collect(),
        Range::Int { low, high, .. } if high - low < 10 => {
            (*low..=*high).map(|v| Value::Number(v as f64)).collect()
        }
        _ => {
            let (low, high, log) = match range {
                Range::Float { low, high, log } => (*low, *high, *log),
                Range::Int { low, high, log } => (*low as f64, *high as f64, *log),
                Range::Categorical { .. } => (0.0, 0.0, false),
            };
            let mut values: Vec<Value> = (0..GRID_POINTS)
                .map(|i| {
                    let t = i as f64 / (GRID_POINTS - 1) as f64;
                    // The ends exactly as written (exp(ln x) is not always x).
                    let x = if i == 0 {
                        low
                    } else if i == GRID_POINTS - 1 {
                        high
                    } else if log {
                        (low.ln() + t * (high.ln() - low.ln())).exp()
                    } else {
                        low + t * (high - low)
                    };
                    external(range, x)
                })
                .collect();
            values.dedup();
            values
        }
    }
}

/// How many points the grid has.
pub fn grid_size(space: &Space) -> usize {
    space
        .dimensions
        .iter()
        .map(|d| grid_values(&d.range).len())
        .product()
}

/// The `number`-th point of the grid (the last parameter changing fastest).
fn grid_point(space: &Space, number: usize) -> Option<Vec<Value>> {
    if number >= grid_size(space) {
        return None;
    }
    let mut rest = number;
    let mut point: Vec<Value> = Vec::with_capacity(space.dimensions.len());
    for d in space.dimensions.iter().rev() {
        let values = grid_values(&d.range);
        point.push(values[rest % values.len()].clone());
        rest /= values.len();
    }
    point.reverse();
    Some(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_walks_every_point_once_then_stops() {
        let space = Space::parse("n=int:1..3,kind=cat:a|b,lr=log:0.001..0.1").expect("space");
        // 3 integers × 2 choices × 5 log-spaced points.
        assert_eq!(grid_size(&space), 30);
        let mut rng = Rng::new(0);
        let points: Vec<Vec<Value>> = (0..30)
            .map(|n| {
                Sampler::Grid
                    .propose(&space, &[], n, &mut rng)
                    .expect("a point")
            })
            .collect();
        let mut unique = points.clone();
        unique.dedup();
        assert_eq!(unique.len(), 30);
        assert_eq!(points[0][2], Value::Number(0.001));
        assert!(matches!(points[4][2], Value::Number(v) if (v - 0.1).abs() < 1e-12));
        assert!(Sampler::Grid.propose(&space, &[], 30, &mut rng).is_none());
    }
}
