//! `shelfcast predict`: one record (`--record JSON`) or a whole file (`--input` / `--output`,
//! through `registry::predict_file`, which checks, fills and writes it) by a registered model.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::data::ReadOptions;
use crate::ml::artifact::LoadedModel;
use crate::ml::predict::predict_record;
use crate::project::Project;
use crate::registry::predict_file::{PredictFile, log_scorable, predict_to_file};
use crate::registry::{ModelRef, RegistryError, load_version};

#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// NAME (newest active version), NAME@champion, NAME@challenger or NAME:VERSION.
    #[arg(long)]
    pub model: String,
    /// One record as a JSON object: prints the prediction as JSON.
    #[arg(long, conflicts_with_all = ["input", "output"])]
    pub record: Option<String>,
    /// A form saved for this model (in the TUI's Predict tab or with --save-form) as the record;
    /// fields in --record override its values.
    #[arg(long, conflicts_with_all = ["input", "output"])]
    pub form: Option<String>,
    /// Save the record (after --form and --record) as a form of this name for the model.
    #[arg(long, conflicts_with_all = ["input", "output"])]
    pub save_form: Option<String>,
    /// A CSV or Parquet file of records.
    #[arg(long, requires = "output")]
    pub input: Option<PathBuf>,
    /// Where to write the records with their predictions (CSV or Parquet, by extension).
    #[arg(long, requires = "input")]
    pub output: Option<PathBuf>,
    /// Add the promotion what-if: predictions with the promotion off and on.
    #[arg(long)]
    pub uplift: bool,
    /// Drop the rows that fail the checks (each is still reported) instead of writing nothing.
    #[arg(long)]
    pub skip_invalid: bool,
}

pub fn predict(project: &Project, args: &PredictArgs) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    let reference = ModelRef::parse(&args.model)?;
    let (version, loaded) = load_version(project, &store, &reference)?;
    if args.record.is_some() || args.form.is_some() {
        let mut map = serde_json::Map::new();
        if let Some(name) = &args.form {
            let saved = store
                .saved_form(&version.model_name, name)?
                .with_context(|| {
                    format!("model {} has no saved form '{name}'", version.model_name)
                })?;
            map = saved.record;
        }
        if let Some(record) = &args.record {
            let value = crate::ml::record_json::parse_record_json(record.as_bytes())
                .map_err(|e| anyhow::anyhow!("--record: {e}"))?;
            let serde_json::Value::Object(fields) = value else {
                bail!("--record: expected a JSON object of field: value");
            };
            map.extend(fields);
        }
        if let Some(name) = &args.save_form {
            store.save_form(&version.model_name, name, &map)?;
            say_err!(
                "saved the record as form '{name}' of {}",
                version.model_name
            );
        }
        let prediction = predict_record(&loaded, &map, args.uplift)?;
        let out = serde_json::json!({
            "model": version.model_name,
            "version": version.version,
            "prediction": prediction,
        });
        say!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let (Some(input), Some(output)) = (&args.input, &args.output) else {
        bail!("give --record JSON or --form NAME, or --input FILE --output FILE");
    };
    let options = project.read_options()?;
    // A typed input is found as every typed file is (the working directory, then the project);
    // the output is written where the shell says, as any Unix tool writes.
    let input = project.locate(input);
    let request = PredictFile {
        input,
        output: output.clone(),
        uplift: args.uplift,
        skip_invalid: args.skip_invalid,
    };
    let done = predict_file(&loaded, &request, &options)?;
    let logged = log_scorable(&mut store, version.id, &request.input, &done)?;
    if logged > 0 {
        say_err!(
            "{logged} prediction(s) logged by series and date, to score when the actuals arrive"
        );
    }
    Ok(())
}

/// Bad-row problems printed before the rest are counted.
const SHOWN_ISSUES: usize = 50;

fn predict_file(
    loaded: &LoadedModel,
    request: &PredictFile,
    options: &ReadOptions,
) -> anyhow::Result<crate::registry::predict_file::PredictedFile> {
    let tty = std::io::stderr().is_terminal();
    let progress = |done: usize, rows: usize| {
        if tty {
            eprint!("\rpredicting: {done} / {rows} rows");
            let _ = std::io::stderr().flush();
        }
    };
    let done = match predict_to_file(loaded, request, options, &progress) {
        Ok(done) => done,
        Err(RegistryError::BadRows {
            path,
            count,
            problems,
        }) => {
            show_problems(&problems);
            bail!(
                "{count} bad row(s) in {}; nothing written (--skip-invalid drops them and goes on)",
                path.display()
            );
        }
        Err(e) => return Err(e.into()),
    };
    if tty {
        say_err!();
    }
    show_problems(&done.problems);
    if done.skipped_rows > 0 {
        say_err!("skipping {} bad row(s)", done.skipped_rows);
    }
    for note in &done.notes {
        say_err!("{note}");
    }
    say!(
        "{} rows predicted in {:.2}s ({:.0} rows/s) → {}",
        done.rows,
        done.seconds,
        done.rows as f64 / done.seconds.max(1e-9),
        request.output.display()
    );
    Ok(done)
}

/// The first `SHOWN_ISSUES` problems, then how many more: a whole file of bad rows is
/// summarised, not printed line by line.
fn show_problems(problems: &[String]) {
    for problem in problems.iter().take(SHOWN_ISSUES) {
        say_err!("{problem}");
    }
    if problems.len() > SHOWN_ISSUES {
        say_err!(
            "… and {} more problem(s) not shown",
            problems.len() - SHOWN_ISSUES
        );
    }
}
