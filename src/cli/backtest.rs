//! `shelfcast backtest`: a rolling-origin backtest with the `train` options, launched like a run
//! (one detached worker trains every window as a child run). A thin face over `jobs`.

use clap::Args;

use super::train::{TrainArgs, announce};
use crate::jobs::launch_run;
use crate::ml::backtest::{BacktestSpec, date_column};
use crate::project::Project;

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub train: TrainArgs,
    /// How many cut-offs (refits), the last one ending at the data's last date.
    #[arg(long, value_name = "K")]
    pub windows: usize,
    /// Periods forecast from each cut-off.
    #[arg(long, value_name = "H")]
    pub horizon: usize,
    /// Periods between cut-offs (default: the horizon).
    #[arg(long, value_name = "S")]
    pub step: Option<usize>,
}

pub fn backtest(project: &Project, args: &BacktestArgs) -> anyhow::Result<()> {
    let project = &args.train.dispatching(project)?;
    let mut request = args.train.request(project)?;
    let backtest = BacktestSpec {
        windows: args.windows,
        horizon: args.horizon,
        step: args.step.unwrap_or(args.horizon),
    };
    backtest.check()?;
    if args.train.split != "random:0.2" {
        say_err!(
            "a backtest validates each window on the --horizon periods after its cut-off; \
             --split {} is not used",
            args.train.split
        );
    }
    let column = date_column(&request.spec)
        .or_else(|| args.train.date.clone())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "a backtest orders rows by date: give --date COLUMN (or lags with a time split)"
            )
        })?;
    // Each window validates the `horizon` dates after its cut-off; the whole data's split is the
    // last window's.
    request.spec.split = format!("time:{column}:{}", backtest.horizon);
    request.spec.backtest = Some(backtest);
    let launched = launch_run(project, &request)?;
    let what = format!("{} windows of {} period(s)", args.windows, args.horizon);
    announce(project, &launched, "backtest run", &what, args.train.wait)
}
