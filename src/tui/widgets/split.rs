//! A pane's split between two areas side by side, resized with `<` and `>` (the global keys
//! hand them to the pane in front, so each tab keeps its own).

use ratatui::layout::{Constraint, Layout, Rect};

/// How far one press moves the split, and how far it may go.
const STEP: u16 = 5;
const NARROWEST: u16 = 20;
const WIDEST: u16 = 85;

/// The first area's share of the width, in percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub percent: u16,
}

impl Split {
    pub const fn new(percent: u16) -> Self {
        Self { percent }
    }

    /// Widens (or narrows) the first area by one step; false when it is already at the limit.
    pub fn resize(&mut self, wider: bool) -> bool {
        let next = if wider {
            (self.percent + STEP).min(WIDEST)
        } else {
            self.percent.saturating_sub(STEP).max(NARROWEST)
        };
        let moved = next != self.percent;
        self.percent = next;
        moved
    }

    /// The two areas, side by side.
    pub fn areas(self, area: Rect) -> [Rect; 2] {
        Layout::horizontal([
            Constraint::Percentage(self.percent),
            Constraint::Percentage(100 - self.percent),
        ])
        .areas(area)
    }

    /// The two areas, one above the other.
    pub fn areas_vertical(self, area: Rect) -> [Rect; 2] {
        Layout::vertical([
            Constraint::Percentage(self.percent),
            Constraint::Percentage(100 - self.percent),
        ])
        .areas(area)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_moves_by_steps_within_its_limits() {
        let mut split = Split::new(80);
        assert!(split.resize(true));
        assert_eq!(split.percent, 85);
        assert!(!split.resize(true));
        let mut split = Split::new(22);
        assert!(split.resize(false));
        assert_eq!(split.percent, 20);
        assert!(!split.resize(false));
    }
}
