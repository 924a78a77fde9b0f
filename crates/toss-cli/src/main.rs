//! `tosscert`: the Toss Cert (토스인증) command line.
//!
//! A thin layer over the library crates: parsing arguments, printing results, and mapping
//! errors to one line on stderr and a non-zero exit status. It never panics on bad input and
//! never exits with Rust's panic status 101.

use std::process::ExitCode;

use clap::Parser;

/// `println!` that leaves a reader's departure (`tosscert demo | head`) unremarked instead
/// of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod api_cmd;
mod backend;
mod bench_cmd;
mod cli;
mod demo_cmd;
mod load_cmd;
mod session_cmd;
mod tx_cmd;
mod verify_cmd;

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return report_usage_error(&error),
    };
    let result = match cli.command {
        cli::Command::Session { command } => session_cmd::run(command),
        cli::Command::Verify(args) => verify_cmd::run(args),
        cli::Command::Demo(args) => block_on(demo_cmd::run(args)),
        cli::Command::Emulator {
            command: cli::EmulatorCommand::Serve(args),
        } => block_on(async move {
            toss_emulator::serve::serve_until_interrupted(&args).await?;
            Ok(String::new())
        }),
        cli::Command::Token => block_on(api_cmd::token()),
        cli::Command::Request(args) => block_on(api_cmd::request(args)),
        cli::Command::Status(args) => block_on(api_cmd::status(args)),
        cli::Command::Result(args) => block_on(api_cmd::result(args)),
        cli::Command::Tx { command } => block_on(tx_cmd::run(command)),
        cli::Command::Load(args) => block_on_current_thread(load_cmd::run(args)),
        cli::Command::Bench(args) => bench_cmd::run(&args),
    };
    match result {
        Ok(output) => print_output(&output),
        Err(error) => {
            eprintln!("tosscert: {}", error_chain(error.as_ref()));
            ExitCode::from(1)
        }
    }
}

type CommandResult = Result<String, Box<dyn std::error::Error>>;

/// Prints a command's output; a reader that went away (`tosscert … | head`) is not a crash.
fn print_output(output: &str) -> ExitCode {
    use std::io::Write as _;
    if output.is_empty() {
        return ExitCode::SUCCESS;
    }
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{output}").and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tosscert: cannot write the output: {error}");
            ExitCode::from(1)
        }
    }
}

/// Runs an async command on a multi-threaded runtime.
fn block_on(command: impl Future<Output = CommandResult>) -> CommandResult {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(command)
}

/// Runs an async command on this thread alone: for load workers, where cross-thread
/// wake-ups would cost more CPU than they save.
fn block_on_current_thread(command: impl Future<Output = CommandResult>) -> CommandResult {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(command)
}

/// `--help` and `--version` print as usual; a usage error is one line and exit status 1.
fn report_usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        };
    }
    eprintln!("tosscert: {} (see tosscert --help)", usage_line(error));
    ExitCode::from(1)
}

/// The first line of a usage error, without the text the user typed where clap would quote
/// it: that may be personal data (an unquoted `--phone 010 1234 5678` makes `1234` an
/// unexpected argument; `--expire-secs 김토스` is an invalid value).
fn usage_line(error: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let arg = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => Some(arg.as_str()),
        _ => None,
    };
    match (error.kind(), arg) {
        (ErrorKind::UnknownArgument, Some(arg)) if !arg.starts_with('-') => {
            "unexpected argument, not shown (quote a value with spaces)".to_owned()
        }
        (ErrorKind::InvalidValue | ErrorKind::ValueValidation, Some(arg)) => {
            match error.get(ContextKind::ValidValue) {
                Some(ContextValue::Strings(values)) if !values.is_empty() => format!(
                    "invalid value for '{arg}' (possible values: {})",
                    values.join(", ")
                ),
                _ => format!("invalid value for '{arg}'"),
            }
        }
        _ => {
            let rendered = error.render().to_string();
            rendered
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_owned()
        }
    }
}

/// The error and its sources on one line: each layer adds context and never repeats its cause.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// A bug must still end as one line and exit status 1, not a backtrace and 101.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("tosscert: internal error{location}; please report it");
        std::process::exit(1);
    }));
}
