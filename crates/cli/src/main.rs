//! `aetherion`: the one binary. `aetherion serve` runs the platform; `aetherion client ...`
//! talks to a running server.

mod backtest;
mod client;
mod serve;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "aetherion", version, about = "Aetherion: a self-hosted algorithmic trading platform")]
struct Cli {
    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, global = true, env = "AETHERION_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform: gRPC and gRPC-Web on one port.
    Serve(serve::ServeArgs),
    /// Call a running server (register, log in, show the current user).
    Client(client::ClientArgs),
    /// Backtest a strategy over a CSV file, locally.
    Backtest(backtest::BacktestArgs),
    /// List the built-in strategies and their parameters.
    Strategies,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    let result = match cli.command {
        Command::Backtest(args) => backtest::run(args),
        Command::Strategies => backtest::strategies(),
        command => run_async(command),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_async(command: Command) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            runtime.block_on(async {
                match command {
                    Command::Serve(args) => serve::run(args).await,
                    Command::Client(args) => client::run(args).await,
                    Command::Backtest(_) | Command::Strategies => unreachable!("run without a runtime"),
                }
            })
        })
}

/// Structured logs on stderr. `RUST_LOG` filters (default `info`).
fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
