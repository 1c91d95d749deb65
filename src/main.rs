use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Installs the panic and error hooks first, so a panic prints a report after the terminal
    // has been restored by the TUI's own hook.
    if let Err(e) = color_eyre::install() {
        eprintln!("warning: could not install error reporting: {e}");
    }
    socscope::cli::run(socscope::cli::Cli::parse(), launch)
}

/// The workshop app, or plain mode with `--plain` or `ACCESSIBLE=1`: the front-ends meet only
/// here, above all three.
fn launch(
    q: socscope::questionnaire::Questionnaire,
    start: socscope::workshop::Start,
    plain: bool,
) -> Result<(), socscope::workshop::Error> {
    if socscope::plain::wanted(plain) {
        socscope::plain::run_stdio(q, start)
    } else {
        socscope::tui::run(q, start)
    }
}
