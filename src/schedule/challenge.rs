//! Champion / challenger by policy. A challenger is trained like the champion's run on the new
//! data, holding out its last H periods (the champion's validation horizon); the champion and the
//! challenger are then scored on exactly those rows, both recursively from the same cut-off
//! (`ml::forecast::horizon_scores`). The challenger is promoted only when its WAPE is lower by at
//! least the margin (2% by default, relative) and, when asked, a one-sided Diebold–Mariano test
//! (`dm_test`) gives p < 0.05; with no champion yet, the first model that beats seasonal naive
//! is promoted. Either way the challenger is registered, the alias it takes (champion when
//! promoted, challenger when kept) carries the decision in its history, and the decision is
//! recorded with both scores.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::dm_test::diebold_mariano;
use super::job::train_and_wait;
use crate::ml::artifact::load_bundle;
use crate::ml::forecast::{Residuals, horizon_scores};
use crate::ml::train::{TrainSpec, prepare};
use crate::project::Project;
use crate::registry::{ModelRef, register_run, resolve, set_alias};
use crate::store::Decision;

/// How a challenger must win.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// The relative WAPE improvement required (0.02: 2% lower).
    pub margin: f64,
    /// Also require a one-sided Diebold–Mariano p-value below 0.05.
    pub diebold_mariano: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            margin: 0.02,
            diebold_mariano: false,
        }
    }
}

/// The p-value a Diebold–Mariano test must reach.
pub const DM_LEVEL: f64 = 0.05;

/// Challenges `model`'s champion with a model trained like it on `data`; the decision recorded.
pub fn challenge(
    project: &Project,
    model: &str,
    data: &Path,
    policy: &Policy,
    poll: Duration,
) -> Result<Decision, String> {
    let mut store = project.open_store().map_err(|e| e.to_string())?;
    let champion = resolve(&store, &ModelRef::Alias(model.into(), "champion".into())).ok();
    // With no champion the latest version is the recipe (the first good model is promoted).
    let recipe = match &champion {
        Some(c) => c.clone(),
        None => resolve(&store, &ModelRef::Latest(model.into())).map_err(|e| e.to_string())?,
    };
    let spec_json = store
        .run_spec(recipe.run_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("run {} has no training spec to train like", recipe.run_id))?;
    let mut spec: TrainSpec =
        serde_json::from_str(&spec_json).map_err(|e| format!("the recipe does not read: {e}"))?;
    spec.data = project.spec_path(data).map_err(|e| e.to_string())?;
    spec.backtest = None;
    spec.until = None;
    if spec.lags.is_none() {
        return Err(format!(
            "{model}'s runs have no lags: a challenge scores forecasts from a cut-off, so the \
             model must be a lag model trained with a time split"
        ));
    }
    let experiment = store
        .get_run(recipe.run_id)
        .map_err(|e| e.to_string())?
        .experiment;
    let tags = vec![("challenger_of".to_string(), model.to_string())];
    let run = train_and_wait(project, spec.clone(), &experiment, tags, poll)?;

    // Both models on the very same rows: the challenger's hold-out of the new data.
    let prepared = prepare(&project.root, &spec).map_err(|e| e.to_string())?;
    let lags = prepared.spec.lags.as_ref();
    let residuals_of = |dir: &Path| -> Result<Residuals, String> {
        let loaded = load_bundle(dir).map_err(|e| e.to_string())?;
        let scored = horizon_scores(
            &prepared.frame,
            &prepared.split,
            lags,
            true,
            &loaded.pipeline,
            loaded.model.as_ref(),
        )
        .map_err(|e| e.to_string())?
        .ok_or("no recursive validation: the split must be by time")?;
        Ok(scored.residuals)
    };
    let challenger = residuals_of(&project.run_model_dir(run))?;
    let challenger_wape = wape(&challenger);
    let champion_scores = match &champion {
        Some(c) => {
            let r = residuals_of(&project.root.join(&c.artifact_path))?;
            Some((c.version, wape(&r), r))
        }
        None => None,
    };
    let p_value = match (&champion_scores, policy.diebold_mariano) {
        (Some((_, _, champ)), true) => {
            diebold_mariano(&per_date_differential(champ, &challenger)).map(|o| o.p_value)
        }
        _ => None,
    };
    let (promoted, why) = match &champion_scores {
        None => {
            let skill = challenger.baseline_score(52).and_then(|b| b.skill);
            match skill {
                Some(s) if s > 0.0 => (
                    true,
                    format!(
                        "no champion yet: the first model that beats seasonal naive is \
                         promoted (WAPE {challenger_wape:.2}%, {:.1}% better)",
                        100.0 * s
                    ),
                ),
                _ => (
                    false,
                    format!(
                        "no champion yet, and this model (WAPE {challenger_wape:.2}%) does not \
                         beat seasonal naive: kept as challenger"
                    ),
                ),
            }
        }
        Some((version, champion_wape, _)) => {
            let gain = (champion_wape - challenger_wape) / champion_wape;
            let margin_met = gain >= policy.margin;
            let dm_met = !policy.diebold_mariano || p_value.is_some_and(|p| p < DM_LEVEL);
            let dm_text = match (policy.diebold_mariano, p_value) {
                (true, Some(p)) => format!("; Diebold-Mariano p = {p:.4} (needs < {DM_LEVEL})"),
                (true, None) => "; Diebold-Mariano not computable (too few dates)".to_string(),
                (false, _) => String::new(),
            };
            let verdict = if margin_met && dm_met {
                "promoted"
            } else {
                "kept the champion"
            };
            (
                margin_met && dm_met,
                format!(
                    "{verdict}: challenger WAPE {challenger_wape:.2}% against champion v{version}'s \
                     {champion_wape:.2}% on the same {} rows, {:+.1}% (margin {:.1}%){dm_text}",
                    challenger.actual.len(),
                    -100.0 * gain,
                    100.0 * policy.margin
                ),
            )
        }
    };
    let description = format!("challenger of {model} trained on {}", data.display());
    let registered = register_run(project, &mut store, run, model, None, Some(&description))
        .map_err(|e| e.to_string())?;
    let alias = if promoted { "champion" } else { "challenger" };
    set_alias(&mut store, model, alias, registered.version, &why).map_err(|e| e.to_string())?;
    let decision = Decision {
        id: 0,
        decided_at: String::new(),
        model_name: model.to_string(),
        champion_version: champion_scores.as_ref().map(|c| c.0),
        challenger_run: run,
        challenger_version: Some(registered.version),
        metric: "wape".into(),
        champion_score: champion_scores.as_ref().map(|c| c.1),
        challenger_score: challenger_wape,
        margin: policy.margin,
        p_value,
        promoted,
        why,
    };
    let id = store
        .record_decision(&decision)
        .map_err(|e| e.to_string())?;
    Ok(Decision { id, ..decision })
}

fn wape(r: &Residuals) -> f64 {
    let (mut error, mut total) = (0.0, 0.0);
    for (a, p) in r.actual.iter().zip(&r.predicted) {
        if a.is_finite() {
            error += (a - p).abs();
            total += a.abs();
        }
    }
    100.0 * error / total.max(f64::MIN_POSITIVE)
}

/// Per date (step from the cut-off), the mean over the series of |e_champion| − |e_challenger|.
fn per_date_differential(champion: &Residuals, challenger: &Residuals) -> Vec<f64> {
    let mut by_step: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
    for i in 0..champion.actual.len().min(challenger.actual.len()) {
        let a = champion.actual[i];
        if !a.is_finite() {
            continue;
        }
        let d = (a - champion.predicted[i]).abs() - (a - challenger.predicted[i]).abs();
        let entry = by_step.entry(champion.step[i]).or_default();
        entry.0 += d;
        entry.1 += 1;
    }
    by_step.values().map(|(s, n)| s / *n as f64).collect()
}
