//! Tuning studies (in progress): the search space read from `--space` (`space`). The samplers,
//! pruners and the study runner build on it.

pub mod space;
