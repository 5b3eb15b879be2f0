//! `shelfcast compare`: two or more runs side by side, as tables or JSON, or exported as the
//! Compare tab exports them.

use anyhow::Context;
use serde_json::{Value, json};

use super::train::metric_text;
use crate::data::printable::printable_capped as clip;
use crate::project::Project;
use crate::store::RunId;

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Two or more run ids.
    #[arg(required = true, num_args = 2..)]
    pub runs: Vec<RunId>,
    /// Show every param, not only those that differ.
    #[arg(long)]
    pub all: bool,
    /// The metric whose curves are compared.
    #[arg(long, default_value = crate::compare::DEFAULT_CURVE)]
    pub curve: String,
    #[arg(long)]
    pub json: bool,
    /// Also write the overlaid curves as an SVG chart to FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<std::path::PathBuf>,
}

pub fn compare(project: &Project, args: &CompareArgs) -> anyhow::Result<()> {
    let (store, _) = project.open_store_for_reading()?;
    let comparison = crate::compare::compare_runs(project, &store, &args.runs)?;
    let curves =
        crate::compare::compare_curves(&store, &args.runs, &args.curve, (None, None), 300)?;
    if let Some(path) = &args.svg {
        let svg = crate::compare::export::curves_svg(&comparison, &curves, &args.curve, false)?;
        std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?;
        say_err!("wrote {}", path.display());
    }
    if args.json {
        let curves: Vec<Value> = args
            .runs
            .iter()
            .zip(&curves)
            .map(|(id, c)| {
                json!({"run": id, "key": args.curve, "total_points": c.total_points,
                       "steps": c.steps, "values": c.values})
            })
            .collect();
        let mut value = serde_json::to_value(&comparison)?;
        if let Value::Object(map) = &mut value {
            map.insert("curves".into(), Value::Array(curves));
        }
        say!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let width = 16;
    let header: String = comparison
        .runs
        .iter()
        .map(|r| format!(" {:>width$}", clip(&format!("{} {}", r.id, r.name), width)))
        .collect();
    let shown: Vec<&crate::compare::ParamRow> = if args.all {
        comparison.params.iter().collect()
    } else {
        comparison.differing_params().collect()
    };
    say!(
        "params ({} of {} differ{})",
        comparison.differing_params().count(),
        comparison.params.len(),
        if args.all {
            ""
        } else {
            "; --all shows every one"
        }
    );
    say!("  {:<24}{header}", "");
    for row in shown {
        let mark = if row.differs { "*" } else { " " };
        let cells: String = row
            .values
            .iter()
            .map(|v| format!(" {:>width$}", clip(v.as_deref().unwrap_or("-"), width)))
            .collect();
        say!("{mark} {:<24}{cells}", clip(&row.key, 24));
    }
    say!("metrics (last value; ◀ marks the best)");
    for row in &comparison.metrics {
        let cells: String = row
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let best = if row.best_run == Some(i) { "◀" } else { " " };
                format!(" {:>15}{best}", v.map_or("-".into(), metric_text))
            })
            .collect();
        say!("  {:<24}{cells}", clip(&row.key, 24));
    }
    // The skill in words, one run after another: "run 9: beats seasonal naive by 43.8%".
    if let Some(row) = comparison
        .metrics
        .iter()
        .find(|r| r.key == "skill_vs_seasonal_naive")
    {
        let said: Vec<String> = comparison
            .runs
            .iter()
            .zip(&row.values)
            .filter_map(|(run, v)| {
                let words = crate::compare::metric_words(&row.key, (*v)?)?;
                Some(format!("run {}: {words}", run.id))
            })
            .collect();
        say!("  {}", said.join("; "));
    }
    if !comparison.importances.is_empty() {
        say!("importance (top 10 features)");
        for row in comparison.importances.iter().take(10) {
            let cells: String = row
                .shares
                .iter()
                .map(|s| {
                    format!(
                        " {:>width$}",
                        s.map_or("-".into(), |s| format!("{:.1}%", s * 100.0))
                    )
                })
                .collect();
            say!("  {:<24}{cells}", clip(&row.feature, 24));
        }
    }
    say!("curves of {}", args.curve);
    for (run, curve) in comparison.runs.iter().zip(&curves) {
        let last = curve.values.last().map_or("-".into(), |v| metric_text(*v));
        say!(
            "  run {:<6} {} point(s), last step {}, last value {last}",
            run.id,
            curve.total_points,
            curve.steps.last().map_or("-".into(), |s| format!("{s}"))
        );
    }
    Ok(())
}
