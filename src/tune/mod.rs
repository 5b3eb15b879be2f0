//! Tuning studies' rules: the search space read from `--space` (`space`), the samplers (`tpe`,
//! as Optuna 5 implements it; random and grid in `sampler`) on their own random numbers (`rng`,
//! `truncnorm`), the pruners (`pruner`), a study's stored settings (`study`) and its charts
//! (`plot`, drawn into a file by `svg`). The runner that
//! trains the trials as worker processes is `jobs::study`.

pub mod importance;
pub mod plot;
pub mod pruner;
pub mod rng;
pub mod sampler;
pub mod space;
pub mod study;
pub mod svg;
pub mod tpe;
pub mod truncnorm;
