//! `weir`: run jobs, check them, build guests, benchmark.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod bench;
mod build;
mod checkout;
mod control;
mod new;
mod run;

/// mimalloc serves the host's many small allocations (records, batches,
/// state keys) in fewer instructions than glibc's malloc (the README's
/// Performance section has the A/B runs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Weir: stream processing with WebAssembly operators.
#[derive(Parser, Debug)]
#[command(name = "weir", version, about)]
struct Cli {
    /// More logging (-v info, -vv debug); WEIR_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a job in this process until its bounded sources are done.
    Run(RunArgs),
    /// Check a job spec and its modules without running anything.
    Check(RunArgs),
    /// Take a savepoint of a running job (or dispose of one).
    Savepoint(SavepointArgs),
    /// Stop a running job with a savepoint.
    Stop(SavepointArgs),
    /// Build guest crates into Wasm components.
    Build(build::BuildArgs),
    /// Create a starter operator crate.
    New(new::NewArgs),
    /// Measure records per second through Wasm operators against the same
    /// logic as native Rust (with --durable: what RocksDB state and
    /// checkpoints cost).
    Bench(bench::BenchArgs),
}

/// Arguments shared by `run` and `check`.
#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The job spec (YAML).
    job: PathBuf,
    /// A folder to look for modules in (repeatable); WEIR_MODULE_PATH adds
    /// more (separated by `:`).
    #[arg(long = "module-path", short = 'm')]
    module_path: Vec<PathBuf>,
    /// Show records per second and the watermark while running.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    progress: Progress,
    /// Start from a checkpoint or savepoint: `latest`, a checkpoint id, or
    /// a checkpoint or savepoint folder (path or URL).
    #[arg(long)]
    restore: Option<String>,
}

/// Arguments of `savepoint` and `stop`.
#[derive(clap::Args, Debug)]
struct SavepointArgs {
    /// The spec of the running job.
    #[arg(required_unless_present = "dispose")]
    job: Option<PathBuf>,
    /// Where the savepoint goes (a folder path or URL); default: the job's
    /// `checkpoints.savepoints` folder.
    #[arg(long, conflicts_with = "dispose")]
    target: Option<String>,
    /// Delete the savepoint at this path or URL instead.
    #[arg(long)]
    dispose: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Progress {
    /// When stderr is a terminal.
    Auto,
    Always,
    Never,
}

impl Progress {
    fn enabled(self) -> bool {
        match self {
            Progress::Auto => std::io::stderr().is_terminal(),
            Progress::Always => true,
            Progress::Never => false,
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEIR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Run(args) => run::run(args, false),
        Command::Check(args) => run::run(args, true),
        Command::Savepoint(args) => run::savepoint(args, false),
        Command::Stop(args) => run::savepoint(args, true),
        Command::Build(args) => build::build(args),
        Command::New(args) => new::new(args),
        Command::Bench(args) => bench::bench(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, `: `-separated, leaving out a
/// cause whose text the line already holds (many errors, ours and
/// `object_store`'s, print their cause in their own message too).
fn describe(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::describe;

    /// An error that prints its cause in its message and also chains it.
    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot read `x`: {}", self.0)
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn causes_already_in_the_message_are_left_out() {
        let io = std::io::Error::other("disk on fire");
        let error = anyhow::Error::new(Outer(io)).context("job j failed");
        assert_eq!(
            describe(&error),
            "job j failed: cannot read `x`: disk on fire"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(describe(&plain), "outer: inner");
    }
}
