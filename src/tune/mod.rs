//! Tuning studies (in progress): the search space read from `--space` (`space`), the samplers
//! (`tpe`, as Optuna 5 implements it; random; grid) on their own random numbers (`rng`,
//! `truncnorm`). The pruners and the study runner build on them.

pub mod pruner;
pub mod rng;
pub mod sampler;
pub mod space;
pub mod study;
pub mod tpe;
pub mod truncnorm;
