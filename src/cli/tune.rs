//! `shelfcast tune`: a study of a training run's hyper-parameters (the `train` options, plus
//! the space, the budget, the sampler and the pruner), run in this process with its trials
//! trained by detached workers, `--parallel` at once; `tune --resume STUDY` goes on from the
//! trials done; `studies` lists them. A thin face over `tune` and `jobs::study`.

use anyhow::Context;
use clap::Args;

use super::train::TrainArgs;
use crate::jobs::study::{create_study, run_study};
use crate::project::Project;
use crate::tune::sampler::{Sampler, grid_size};
use crate::tune::study::{StudyAsk, StudyConfig};

#[derive(Debug, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    pub train: Option<TrainArgs>,
    /// The study's name (default: study-<time>).
    #[arg(long)]
    pub study: Option<String>,
    /// Go on with this study from the trials done (its settings are stored with it).
    #[arg(long, value_name = "STUDY", exclusive = true)]
    pub resume: Option<String>,
    /// The ranges: learning_rate=log:0.01..0.3,max_depth=int:3..10,subsample=0.5..1,
    /// objective=cat:squared_error|poisson
    #[arg(long)]
    pub space: Option<String>,
    #[arg(long, default_value_t = 30)]
    pub trials: usize,
    /// Stop starting trials after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Trials trained at once, each by its own worker process.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
    /// tpe, random or grid.
    #[arg(long, default_value = "tpe")]
    pub sampler: String,
    /// median, halving or none (on the per-round validation loss).
    #[arg(long, default_value = "median")]
    pub pruner: String,
    /// The study's final metric (default: rmse for regression, the run's headline otherwise).
    #[arg(long, default_value = "rmse")]
    pub metric: String,
    /// minimize or maximize (default: the metric's).
    #[arg(long)]
    pub direction: Option<String>,
}

pub fn tune(project: &Project, args: &TuneArgs) -> anyhow::Result<()> {
    let dispatched = match &args.train {
        Some(train) => train.dispatching(project)?,
        None => project.clone(),
    };
    let project = &dispatched;
    let name = match (&args.resume, &args.train) {
        (Some(name), _) => name.clone(),
        (None, Some(train)) => {
            let config = config(project, args, train)?;
            let name = args.study.clone().unwrap_or_else(|| {
                format!("study-{}", chrono::Local::now().format("%Y%m%d-%H%M%S"))
            });
            let study = create_study(project, &name, &config)?;
            say_err!(
                "study {name} (run {}): {} trials of {}, {} at once, {} sampler, {} pruner, {} {}",
                study.run_id,
                config.trials,
                config.space.describe(),
                config.parallel,
                config.sampler.name(),
                config.pruner.name(),
                config.direction.as_str(),
                config.metric
            );
            name
        }
        (None, None) => anyhow::bail!(
            "give the train options (--data FILE --target COLUMN …) with --space, or --resume STUDY"
        ),
    };
    let outcome = run_study(project, &name, &mut |line| say_err!("{line}"))?;
    let count = |state: crate::store::TrialState| {
        outcome.trials.iter().filter(|t| t.state == state).count()
    };
    use crate::store::TrialState::*;
    say_err!(
        "study {name}: {} complete, {} pruned, {} failed",
        count(Complete),
        count(Pruned),
        count(Failed)
    );
    match outcome.best {
        Some((number, value, run)) => {
            say!("{run}");
            say_err!(
                "best: trial {number} (run {run}), {} {value:.6}; `shelfcast register {run} --model NAME` keeps it",
                outcome.study.metric
            );
        }
        None => say_err!("no trial completed"),
    }
    Ok(())
}

fn config(project: &Project, args: &TuneArgs, train: &TrainArgs) -> anyhow::Result<StudyConfig> {
    let space = args.space.as_deref().context(
        "--space: the ranges to search (learning_rate=log:0.01..0.3,max_depth=int:3..10)",
    )?;
    let request = train.request(project)?;
    let config = StudyConfig::check(StudyAsk {
        space,
        trials: args.trials,
        timeout_s: args.timeout,
        parallel: args.parallel,
        sampler: &args.sampler,
        pruner: &args.pruner,
        metric: &args.metric,
        direction: args.direction.as_deref(),
        experiment: request.experiment.clone(),
        spec: request.spec,
    })
    .map_err(anyhow::Error::msg)?;
    if config.sampler == Sampler::Grid {
        say_err!("the grid has {} point(s)", grid_size(&config.space));
    }
    Ok(config)
}

/// `shelfcast studies [NAME] [--json]`: every study with its budget, trials by state and best;
/// with a name, its trials one by one.
pub fn studies(
    project: &Project,
    name: Option<&str>,
    json: bool,
    svg: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let store = project.open_store()?;
    let studies = match name {
        Some(name) => vec![store.study(name)?],
        None => store.studies()?,
    };
    let mut rows = Vec::new();
    for study in &studies {
        let config: StudyConfig = serde_json::from_str(&study.config_json)
            .with_context(|| format!("study {}: its settings do not read", study.name))?;
        let trials = store.trials(study.id)?;
        if let Some(path) = svg {
            let plot = crate::tune::plot::StudyPlot::new(
                &config.space,
                &trials,
                study.direction == "maximize",
                &study.metric,
            );
            crate::tune::svg::write_study_svg(path, &study.name, &study.metric, &plot)?;
            say_err!("wrote {}", path.display());
        }
        let count =
            |state: crate::store::TrialState| trials.iter().filter(|t| t.state == state).count();
        let best = trials
            .iter()
            .filter(|t| t.state == crate::store::TrialState::Complete)
            .filter_map(|t| t.value.map(|v| (t, v)))
            .min_by(|a, b| {
                config
                    .direction
                    .loss(a.1)
                    .total_cmp(&config.direction.loss(b.1))
            });
        let mut row = serde_json::json!({
            "name": study.name,
            "run": study.run_id,
            "created_at": study.created_at,
            "space": config.space.describe(),
            "sampler": config.sampler.name(),
            "pruner": config.pruner.name(),
            "metric": study.metric,
            "direction": study.direction,
            "budget": config.trials,
            "complete": count(crate::store::TrialState::Complete),
            "pruned": count(crate::store::TrialState::Pruned),
            "failed": count(crate::store::TrialState::Failed),
            "running": count(crate::store::TrialState::Running),
            "best": best.map(|(t, v)| serde_json::json!({"trial": t.number, "run": t.run_id, "value": v})),
            "importance": config.importances(&trials).map(|named| {
                named
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::json!(v)))
                    .collect::<serde_json::Map<String, serde_json::Value>>()
            }),
        });
        if name.is_some() {
            let mut listed = Vec::new();
            for trial in &trials {
                let mut value = serde_json::to_value(trial)?;
                let values: Vec<crate::tune::space::Value> =
                    serde_json::from_str(&trial.params_json).unwrap_or_default();
                let params: serde_json::Map<String, serde_json::Value> = config
                    .space
                    .dimensions
                    .iter()
                    .zip(&values)
                    .map(|(d, v)| (d.name.clone(), serde_json::Value::String(v.text(&d.range))))
                    .collect();
                value["params"] = serde_json::Value::Object(params);
                listed.push(value);
            }
            row["trials"] = serde_json::Value::Array(listed);
        }
        rows.push(row);
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        say!(
            "no study yet: `shelfcast tune --data FILE --target COLUMN --space 'learning_rate=log:0.01..0.3'`"
        );
    }
    for row in &rows {
        say!(
            "{} (run {}): {} of {} trials complete, {} pruned, {} failed, {} running; {} {}; best {}",
            row["name"].as_str().unwrap_or(""),
            row["run"],
            row["complete"],
            row["budget"],
            row["pruned"],
            row["failed"],
            row["running"],
            row["direction"].as_str().unwrap_or(""),
            row["metric"].as_str().unwrap_or(""),
            match &row["best"] {
                serde_json::Value::Null => "-".to_string(),
                best => format!(
                    "trial {} (run {}) {}",
                    best["trial"], best["run"], best["value"]
                ),
            }
        );
        say!("  {}", row["space"].as_str().unwrap_or(""));
        for trial in row["trials"].as_array().into_iter().flatten() {
            let params: Vec<String> = trial["params"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect();
            say!(
                "  trial {:>3} {:<9} {:>12}  {}{}",
                trial["number"],
                trial["state"].as_str().unwrap_or(""),
                trial["value"]
                    .as_f64()
                    .map_or("-".into(), |v| format!("{v:.6}")),
                params.join(" "),
                trial["reason"]
                    .as_str()
                    .map_or(String::new(), |r| format!("  ({r})"))
            );
        }
    }
    Ok(())
}
