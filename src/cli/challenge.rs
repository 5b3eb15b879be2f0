//! `shelfcast challenge NAME --data FILE`: the champion/challenger policy by hand, the same
//! `schedule::challenge` the daemon's challenge job runs.

use crate::project::Project;

/// `--margin 2` (percent) as a fraction, checked.
pub(super) fn margin_fraction(percent: f64) -> anyhow::Result<f64> {
    if !(0.0..=100.0).contains(&percent) {
        anyhow::bail!("--margin {percent}: expected a percentage from 0 to 100");
    }
    Ok(percent / 100.0)
}

/// `shelfcast challenge NAME --data FILE`: the policy by hand.
pub fn challenge(
    project: &Project,
    name: &str,
    data: &std::path::Path,
    margin: f64,
    dm: bool,
    json: bool,
) -> anyhow::Result<()> {
    let policy = crate::schedule::challenge::Policy {
        margin: margin_fraction(margin)?,
        diebold_mariano: dm,
    };
    let data = project.locate(data);
    let decision = crate::schedule::challenge::challenge(
        project,
        name,
        &data,
        &policy,
        std::time::Duration::from_millis(250),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    if json {
        say!("{}", serde_json::to_string_pretty(&decision)?);
    } else {
        say!(
            "{}: {}",
            if decision.promoted {
                "promoted"
            } else {
                "kept"
            },
            decision.why
        );
    }
    Ok(())
}
