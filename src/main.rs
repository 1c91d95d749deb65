use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Installs the panic and error hooks first, so a panic prints a report after the terminal
    // has been restored by the TUI's own hook.
    if let Err(e) = color_eyre::install() {
        eprintln!("warning: could not install error reporting: {e}");
    }
    socscope::cli::run(socscope::cli::Cli::parse())
}
