//! Small drawing helpers shared by panes: the help overlay, the tab bar and the status bar.

pub mod help;
pub mod status;
