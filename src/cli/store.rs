//! `shelfcast store copy`: a thin face over `RunStore::copy_into`.

use clap::Subcommand;

use crate::project::Project;
use crate::store::StoreLocation;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy a project's whole history into an empty store, losslessly, either way:
    /// `store copy --from sqlite:runs.db --to postgres://user@host/db` (and back).
    Copy {
        /// The store to read (default: the project's store).
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The empty store to fill (created and migrated if needed).
        #[arg(long, value_name = "URL")]
        to: String,
        /// Print the rows copied per table as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn store(project: &Project, what: &StoreCommand) -> anyhow::Result<()> {
    let StoreCommand::Copy { from, to, json } = what;
    let from = match from {
        Some(url) => StoreLocation::parse(url, &project.root)?,
        None => project.store_location()?,
    };
    let to = StoreLocation::parse(to, &project.root)?;
    if from == to {
        anyhow::bail!("--from and --to are the same store ({from}); nothing to copy");
    }
    let source = from
        .open_read_only()
        .map_err(|e| anyhow::anyhow!("--from {from}: {e}"))?;
    let mut destination = to.open().map_err(|e| anyhow::anyhow!("--to {to}: {e}"))?;
    let mut bar = super::progress::Bar::new();
    let report = source.copy_into(&mut destination, &mut |at| {
        bar.draw(
            at.rows as usize,
            at.total as usize,
            &format!("rows ({})", at.table),
        );
    })?;
    if *json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    for (table, rows) in report.tables.iter().filter(|(_, rows)| *rows > 0) {
        println!("{table:<20} {rows:>10}");
    }
    println!("copied {} row(s) from {from} to {to}", report.rows);
    Ok(())
}
