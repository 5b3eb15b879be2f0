//! The command line's progress bar, for long copies (imports, exports, `store copy`): drawn on
//! stderr when it is a terminal, redrawn at most every 100 ms, ended with a newline when done.

use std::io::IsTerminal;
use std::time::Instant;

pub struct Bar {
    draw: bool,
    last_drawn: Option<Instant>,
}

impl Default for Bar {
    fn default() -> Self {
        Self::new()
    }
}

impl Bar {
    pub fn new() -> Self {
        Self {
            draw: std::io::stderr().is_terminal(),
            last_drawn: None,
        }
    }

    /// `done` of `total`, with what is being counted (`runs`, `rows of metric_points`).
    pub fn draw(&mut self, done: usize, total: usize, what: &str) {
        let due = self
            .last_drawn
            .is_none_or(|t| t.elapsed().as_millis() >= 100);
        if !self.draw || !(done == total || due) {
            return;
        }
        self.last_drawn = Some(Instant::now());
        let width = 30;
        let filled = (done * width)
            .checked_div(total)
            .unwrap_or(width)
            .min(width);
        eprint!(
            "\r[{}{}] {done}/{total} {what}\x1b[K",
            "#".repeat(filled),
            "-".repeat(width - filled)
        );
        if done == total {
            eprintln!();
        }
    }
}

/// A bar counting `what`, as the core's progress callbacks take it.
pub fn bar(what: &'static str) -> impl FnMut(usize, usize) {
    let mut bar = Bar::new();
    move |done, total| bar.draw(done, total, what)
}
