//! Lines for a terminal or a pipe, shared by the command-line faces (`cli`, `bench`): every
//! line passes through `terminal_safe`, and a reader that went away ends the process quietly.
//! The macros are declared here, before every module, so both faces use the same two.

/// `println!` for the command line: data reaches the terminal through here, so a control
/// character in a cell or a column name (an escape sequence) is shown, never obeyed.
/// A reader that went away (`| head`) ends the command quietly, as for any Unix tool, instead
/// of the panic `println!` would raise.
macro_rules! say {
    () => { $crate::console::write_line(&mut std::io::stdout(), "") };
    ($($arg:tt)*) => {
        $crate::console::write_line(
            &mut std::io::stdout(),
            &$crate::data::printable::terminal_safe(&format!($($arg)*)),
        )
    };
}

/// `eprintln!`, made safe the same way.
macro_rules! say_err {
    () => { $crate::console::write_line(&mut std::io::stderr(), "") };
    ($($arg:tt)*) => {
        $crate::console::write_line(
            &mut std::io::stderr(),
            &$crate::data::printable::terminal_safe(&format!($($arg)*)),
        )
    };
}

/// One line to `out`; a closed pipe ends the process with success (the reader had enough).
pub fn write_line(out: &mut dyn std::io::Write, line: &str) {
    if let Err(error) = writeln!(out, "{line}")
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}
