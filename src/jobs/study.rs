//! Running a study: trials proposed by the study's sampler, each trained as a child run of the
//! study's run by its own detached worker, `parallel` at once (each worker writes its own rows,
//! the study only short transactions, so no lock errors); the pruner reads each running trial's
//! per-round validation loss and stops a trial it prunes at once (a cancel, marked `pruned`).
//! Everything is in the store as it happens, so `kill -9` of the study loses nothing:
//! `resume` adopts the trials still training, settles those that ended, and goes on.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::LaunchRequest;
use super::launch::JobError;
use super::launch::TrialLauncher;
use super::slurm::{self, Dispatch, StudyArray};
use super::worker::VALID_LOSS;
use crate::project::Project;
use crate::store::{NewRun, RunId, RunStatus, RunStore, StudyRow, TrialRow, TrialState};
use crate::tune::pruner::{Curve, should_prune};
use crate::tune::rng::Rng;
use crate::tune::study::StudyConfig;

const POLL: Duration = Duration::from_millis(200);

/// What a study came to.
#[derive(Clone, Debug)]
pub struct StudyOutcome {
    pub study: StudyRow,
    pub trials: Vec<TrialRow>,
    /// The best complete trial: its number, value and run.
    pub best: Option<(i64, f64, RunId)>,
}

fn fail(study: &str, what: String) -> JobError {
    JobError::Study {
        study: study.to_string(),
        what,
    }
}

/// Creates the study `name` with `config` and its run; the study.
pub fn create_study(
    project: &Project,
    name: &str,
    config: &StudyConfig,
) -> Result<StudyRow, JobError> {
    let mut store = project.open_store()?;
    let config_json = serde_json::to_string(config).map_err(crate::store::StoreError::from)?;
    let run = store.create_run(&NewRun {
        experiment: config.experiment.clone(),
        name: format!("study {name}"),
        model_kind: config.spec.model.as_str().to_string(),
        task: "study".into(),
        dataset_id: None,
        parent_run_id: None,
    })?;
    store.set_tags(run, &[("study", name), ("sampler", config.sampler.name())])?;
    if let Dispatch::Slurm(options) = dispatch_of(project, name)? {
        let json = serde_json::to_string(&options).map_err(crate::store::StoreError::from)?;
        store.set_tags(run, &[(slurm::OPTIONS_TAG, &json)])?;
    }
    store.create_study(
        name,
        run,
        &config_json,
        config.direction.as_str(),
        &config.metric,
    )?;
    Ok(store.study(name)?)
}

/// Creates study `name` and starts its runner detached (`shelfcast tune --resume NAME`, its own
/// session, logging to the study run's worker log), so it outlives the terminal; the study's run.
pub fn start_detached(
    project: &Project,
    name: &str,
    config: &StudyConfig,
) -> Result<RunId, JobError> {
    let study = create_study(project, name, config)?;
    let log = project.worker_log_path(study.run_id);
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(|source| JobError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    super::launch::spawn_detached(project, &["tune", "--resume", name], &log)?;
    Ok(study.run_id)
}

/// Runs (or resumes) study `name` to its budget; `say` hears each trial's start and end.
pub fn run_study(
    project: &Project,
    name: &str,
    say: &mut dyn FnMut(&str),
) -> Result<StudyOutcome, JobError> {
    let mut store = project.open_store()?;
    let study = store.study(name)?;
    let config: StudyConfig = serde_json::from_str(&study.config_json)
        .map_err(|e| fail(name, format!("its settings do not read: {e}")))?;
    store.set_pid(study.run_id, std::process::id())?;
    store.set_status(study.run_id, RunStatus::Running, None)?;
    let started = Instant::now();
    let mut curves: HashMap<i64, Vec<(i64, f64)>> = HashMap::new();
    let mut launched_any = store.trials(study.id)?.iter().any(|t| t.run_id.is_some());
    let mut exhausted = false;
    let mut launcher = TrialLauncher::default();
    let mut array = match trial_dispatch(project, &store, &study)? {
        Some(options) => {
            let trials = store.trials(study.id)?;
            let waiting = trials
                .iter()
                .filter_map(|t| t.run_id)
                .filter(|run| {
                    store
                        .get_run(*run)
                        .is_ok_and(|r| r.status == RunStatus::Queued)
                })
                .count();
            let tasks = config.trials.saturating_sub(trials.len()) + waiting;
            StudyArray::ensure(
                project,
                &mut store,
                study.run_id,
                tasks,
                config.parallel,
                &options,
            )?
        }
        None => None,
    };
    if let Some(array) = &array {
        say(&format!(
            "trials go out as Slurm job array {}, {} at once",
            array.job,
            config.parallel.max(1)
        ));
    }
    loop {
        store.reap_dead_runs()?;
        if let Some(array) = array.as_mut() {
            array.check(project, &mut store)?;
        }
        let trials = store.trials(study.id)?;
        // Settle the trials whose runs ended; prune the running ones the pruner stops.
        for trial in trials.iter().filter(|t| t.state == TrialState::Running) {
            let Some(run_id) = trial.run_id else { continue };
            let run = store.get_run(run_id)?;
            let curve = loss_curve(&store, run_id)?;
            if run.status.is_terminal() {
                let (state, value, reason) = match run.status {
                    RunStatus::Finished => match final_value(&store, run_id, &config.metric)? {
                        Some(v) => (TrialState::Complete, Some(v), None),
                        None => (
                            TrialState::Failed,
                            None,
                            Some(format!("run {run_id} recorded no {}", config.metric)),
                        ),
                    },
                    other => (
                        TrialState::Failed,
                        None,
                        Some(format!(
                            "run {run_id} ended {}: {}",
                            other.as_str(),
                            run.error.unwrap_or_default()
                        )),
                    ),
                };
                store.end_trial(study.id, trial.number, state, value, reason.as_deref())?;
                say(&format!(
                    "trial {} {}{}",
                    trial.number,
                    state.as_str(),
                    value.map_or(String::new(), |v| format!(": {} {v:.6}", config.metric))
                ));
                curves.insert(trial.number, curve);
                continue;
            }
            // Curves are comparable only under one loss: a trial is judged against the trials
            // of its own objective when the space tunes the objective (Poisson's deviance and
            // squared error are on different scales).
            let loss_of = |number: i64| {
                trials
                    .iter()
                    .find(|t| t.number == number)
                    .map(|t| loss_key(&config, t))
            };
            let own = loss_key(&config, trial);
            let complete: Vec<&Curve> = trials
                .iter()
                .filter(|t| t.state == TrialState::Complete && loss_key(&config, t) == own)
                .filter_map(|t| curves.get(&t.number).map(Vec::as_slice))
                .collect();
            let others: Vec<&Curve> = curves
                .iter()
                .filter(|(n, _)| **n != trial.number && loss_of(**n).as_ref() == Some(&own))
                .map(|(_, c)| c.as_slice())
                .collect();
            if should_prune(&config.pruner, &curve, &complete, &others) {
                store.request_cancel(run_id)?;
                let (step, value) = curve.last().copied().unwrap_or((0, f64::NAN));
                store.end_trial(
                    study.id,
                    trial.number,
                    TrialState::Pruned,
                    Some(value),
                    Some(&format!(
                        "pruned at step {step} by the {} pruner",
                        config.pruner.name()
                    )),
                )?;
                say(&format!("trial {} pruned at step {step}", trial.number));
            }
            curves.insert(trial.number, curve);
        }
        let trials = store.trials(study.id)?;
        let running = trials
            .iter()
            .filter(|t| t.state == TrialState::Running)
            .count();
        let timed_out = config
            .timeout_s
            .is_some_and(|t| started.elapsed() >= Duration::from_secs(t));
        let mut room = config.parallel.max(1).saturating_sub(running);
        while room > 0 && !exhausted && !timed_out {
            let trials = store.trials(study.id)?;
            let number = trials.len();
            if number >= config.trials {
                break;
            }
            let observed = config.observed(&trials, &|t| {
                curves
                    .get(&t.number)
                    .and_then(|c| c.last().copied())
                    .unwrap_or((0, t.value.unwrap_or(f64::NAN)))
            });
            // The trial's own numbers: a resumed study proposes what it would have.
            let mut rng = Rng::new(config.seed.wrapping_add(number as u64 * 7_919));
            let Some(values) = config
                .sampler
                .propose(&config.space, &observed, number, &mut rng)
            else {
                exhausted = true;
                break;
            };
            let params_json =
                serde_json::to_string(&values).map_err(crate::store::StoreError::from)?;
            let request = LaunchRequest {
                spec: config.trial_spec(&values),
                experiment: config.experiment.clone(),
                name: Some(format!("{name} trial {number}")),
                tags: vec![
                    ("study".into(), name.to_string()),
                    ("trial".into(), number.to_string()),
                    ("launched_from".into(), "study".into()),
                ],
                parent_run_id: Some(study.run_id),
            };
            let launched = match &array {
                // A task of the array claims it: the run waits under the array's id.
                Some(array) => launcher.queue_only(project, &request).and_then(|run| {
                    store.set_slurm_job(run, &array.job)?;
                    Ok((run, format!("queued for job array {}", array.job)))
                }),
                None => launcher
                    .launch(project, &request)
                    .map(|l| (l.run_id, "started".to_string())),
            };
            match launched {
                Ok((run, how)) => {
                    launched_any = true;
                    store.start_trial(study.id, number as i64, Some(run), &params_json)?;
                    say(&format!(
                        "trial {number} {how} as run {run}: {}",
                        describe(&config, &values)
                    ));
                }
                // A space the model refuses fails before any trial trains; later it is one
                // trial's failure.
                Err(e) if !launched_any => {
                    // No task of the array would ever get a trial.
                    if let Some(array) = &array {
                        array.release();
                    }
                    return Err(fail(name, e.to_string()));
                }
                Err(e) => {
                    store.start_trial(study.id, number as i64, None, &params_json)?;
                    store.end_trial(
                        study.id,
                        number as i64,
                        TrialState::Failed,
                        None,
                        Some(&e.to_string()),
                    )?;
                    say(&format!("trial {number} failed to start: {e}"));
                }
            }
            room -= 1;
        }
        let trials = store.trials(study.id)?;
        let running = trials
            .iter()
            .filter(|t| t.state == TrialState::Running)
            .count();
        let budget_spent = trials.len() >= config.trials || exhausted || timed_out;
        if running == 0 && budget_spent {
            if let Some(array) = &array {
                array.release();
            }
            return finish(&mut store, study, &config, trials);
        }
        wait_for_change(&store, POLL)?;
    }
}

/// The project's dispatch (`--on`, or what the parent handed down).
fn dispatch_of(project: &Project, study: &str) -> Result<Dispatch, JobError> {
    project
        .dispatch()
        .map_err(|e| fail(study, format!("where its trials run: {e}")))
}

/// The Slurm options the study's trials go out with: this command's `--on slurm`, else what
/// the study was started with (`tune --resume` in a new shell); `None`: trials run here.
fn trial_dispatch(
    project: &Project,
    store: &RunStore,
    study: &StudyRow,
) -> Result<Option<slurm::SlurmOptions>, JobError> {
    match dispatch_of(project, &study.name)? {
        Dispatch::Slurm(options) => Ok(Some(options)),
        Dispatch::Local => slurm::study_options(store, study.run_id),
    }
}

/// Sleeps until another process commits to the store (a trial's run ended or logged a round)
/// or `at_most` passes: a trial that ends is followed by the next at once, not a poll later.
fn wait_for_change(store: &RunStore, at_most: Duration) -> Result<(), JobError> {
    let version = store.data_version()?;
    let until = Instant::now() + at_most;
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
        if store.data_version()? != version {
            break;
        }
    }
    Ok(())
}

/// The trial's loss, when the space tunes it (its `objective`); empty otherwise.
fn loss_key(config: &StudyConfig, trial: &TrialRow) -> String {
    let Some(index) = config
        .space
        .dimensions
        .iter()
        .position(|d| d.name == "objective")
    else {
        return String::new();
    };
    serde_json::from_str::<Vec<crate::tune::space::Value>>(&trial.params_json)
        .ok()
        .and_then(|values| values.get(index).cloned())
        .map(|v| v.text(&config.space.dimensions[index].range))
        .unwrap_or_default()
}

fn describe(config: &StudyConfig, values: &[crate::tune::space::Value]) -> String {
    config
        .space
        .dimensions
        .iter()
        .zip(values)
        .map(|(d, v)| format!("{}={}", d.name, v.text(&d.range)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The run's per-round validation loss.
fn loss_curve(store: &RunStore, run: RunId) -> Result<Vec<(i64, f64)>, JobError> {
    let curve = store.curve(run, VALID_LOSS, None, None, 0)?;
    Ok(curve
        .steps
        .iter()
        .zip(&curve.values)
        .map(|(s, v)| (*s as i64, *v))
        .collect())
}

/// The run's last value of `metric`.
fn final_value(store: &RunStore, run: RunId, metric: &str) -> Result<Option<f64>, JobError> {
    Ok(store
        .metric_summaries(run)?
        .into_iter()
        .find(|m| m.key == metric)
        .and_then(|m| m.last_value))
}

/// Records the best trial on the study's run and ends it.
fn finish(
    store: &mut RunStore,
    study: StudyRow,
    config: &StudyConfig,
    trials: Vec<TrialRow>,
) -> Result<StudyOutcome, JobError> {
    let better = |a: f64, b: f64| config.direction.loss(a) < config.direction.loss(b);
    let mut best: Option<(i64, f64, RunId)> = None;
    let mut points = Vec::new();
    for t in &trials {
        if let (TrialState::Complete, Some(v), Some(run)) = (t.state, t.value, t.run_id)
            && best.is_none_or(|(_, b, _)| better(v, b))
        {
            best = Some((t.number, v, run));
        }
        if let Some((_, b, _)) = best {
            points.push(crate::store::MetricPoint::now("best_value", t.number, b));
        }
    }
    store.log_metrics(study.run_id, &points)?;
    if let Some((number, _, run)) = best {
        let (number, run) = (number.to_string(), run.to_string());
        store.set_tags(study.run_id, &[("best_trial", &number), ("best_run", &run)])?;
    }
    store.set_status(study.run_id, RunStatus::Finished, None)?;
    Ok(StudyOutcome {
        study,
        trials,
        best,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(number: i64, params: &str) -> TrialRow {
        TrialRow {
            number,
            run_id: None,
            params_json: params.into(),
            state: TrialState::Running,
            value: None,
            reason: None,
            started_at: String::new(),
            ended_at: None,
        }
    }

    /// Trials of different losses are never compared: the key is the tuned objective.
    #[test]
    fn a_trial_s_loss_key_is_its_tuned_objective() {
        let config = |space: &str| {
            let mut spec: crate::ml::train::TrainSpec = serde_json::from_value(serde_json::json!({
                "data": "d.csv", "target": "y", "model": "gbdt", "split": "random:0.2",
                "seed": 1, "features": [], "params": [], "log1p": false
            }))
            .expect("spec");
            spec.task = None;
            StudyConfig {
                space: crate::tune::space::Space::parse(space).expect("space"),
                trials: 4,
                timeout_s: None,
                parallel: 1,
                sampler: crate::tune::sampler::Sampler::Tpe,
                pruner: crate::tune::pruner::Pruner::None,
                seed: 1,
                metric: "rmse".into(),
                direction: crate::tune::study::Direction::Minimize,
                experiment: "e".into(),
                spec,
            }
        };
        let tuned = config("learning_rate=0.01..0.3,objective=cat:squared_error|poisson");
        assert_eq!(
            loss_key(&tuned, &trial(0, r#"[0.1, "poisson"]"#)),
            "poisson"
        );
        assert_eq!(
            loss_key(&tuned, &trial(1, r#"[0.2, "squared_error"]"#)),
            "squared_error"
        );
        let fixed = config("learning_rate=0.01..0.3");
        assert_eq!(loss_key(&fixed, &trial(2, "[0.1]")), "");
    }
}
