//! The `shelfcast` binary: parse the command line and hand over to the face it names.

fn main() -> std::process::ExitCode {
    shelfcast::cli::main()
}
