//! Named style slots; panes never spell out colours inline. `NO_COLOR` gives a monochrome theme
//! that still marks selection and errors with modifiers.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Debug)]
pub struct Theme {
    pub title: Style,
    pub tab_active: Style,
    pub tab_inactive: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selected: Style,
    pub header: Style,
    pub dim: Style,
    pub error: Style,
    pub warning: Style,
    pub ok: Style,
    pub status_bar: Style,
    pub gauge: Style,
    pub bar: Style,
    pub key: Style,
    /// The pinned reference run's lines in charts.
    pub reference: Style,
    /// Whether charts may colour by value (no under `NO_COLOR`).
    pub colour: bool,
}

impl Theme {
    /// A study's trial by its objective's rank (0 best, 1 worst): green to red, the same scale
    /// as the exported SVG's; monochrome marks the best quarter bold.
    pub fn objective(&self, rank: f64) -> Style {
        if self.colour {
            let (r, g, b) = crate::tune::svg::rank_colour(rank);
            Style::default().fg(Color::Rgb(r, g, b))
        } else if rank <= 0.25 {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        }
    }

    pub fn from_env() -> Self {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Self::monochrome()
        } else {
            Self::default()
        }
    }

    pub fn monochrome() -> Self {
        let plain = Style::default();
        Self {
            title: plain.add_modifier(Modifier::BOLD),
            tab_active: plain.add_modifier(Modifier::REVERSED),
            tab_inactive: plain,
            border: plain,
            border_focused: plain.add_modifier(Modifier::BOLD),
            selected: plain.add_modifier(Modifier::REVERSED),
            header: plain.add_modifier(Modifier::BOLD),
            dim: plain,
            error: plain.add_modifier(Modifier::BOLD),
            warning: plain,
            ok: plain,
            status_bar: plain.add_modifier(Modifier::REVERSED),
            gauge: plain,
            bar: plain,
            key: plain.add_modifier(Modifier::BOLD),
            reference: plain,
            colour: false,
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        let plain = Style::default();
        Self {
            title: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            tab_active: plain.fg(Color::Black).bg(Color::Cyan),
            tab_inactive: plain.fg(Color::Gray),
            border: plain.fg(Color::DarkGray),
            border_focused: plain.fg(Color::Cyan),
            selected: plain.bg(Color::DarkGray).add_modifier(Modifier::BOLD),
            header: plain.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            dim: plain.fg(Color::DarkGray),
            error: plain.fg(Color::Red).add_modifier(Modifier::BOLD),
            warning: plain.fg(Color::Yellow),
            ok: plain.fg(Color::Green),
            status_bar: plain.fg(Color::Black).bg(Color::Gray),
            gauge: plain.fg(Color::Cyan).bg(Color::Black),
            bar: plain.fg(Color::Cyan),
            key: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            reference: plain.fg(Color::LightMagenta),
            colour: true,
        }
    }
}
