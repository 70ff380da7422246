//! `aetherion backtest`: a strategy over a CSV file, locally, with the same engine and the same
//! result object as the REST API.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aetherion_backtest::{BacktestResult, Config, Control, Finalize};
use anyhow::{Context, bail};
use clap::Args;

#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// OHLCV CSV file (the layouts the REST API accepts).
    #[arg(long)]
    data: PathBuf,
    /// Strategy name (`aetherion backtest --list` shows them).
    #[arg(long, default_value = "sma_crossover")]
    strategy: String,
    /// A parameter, NAME=VALUE; repeat for more.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Starting cash.
    #[arg(long, default_value_t = 10_000.0)]
    cash: f64,
    /// Commission, a fraction of every fill's notional (0.002 = 0.2%).
    #[arg(long, default_value_t = 0.0)]
    commission: f64,
    /// Slippage, a fraction against the trader on market fills.
    #[arg(long, default_value_t = 0.0)]
    slippage: f64,
    /// A trade still open after the last bar: close (closed at the last close and counted),
    /// backtesting_py (as backtesting.py's finalize_trades=True) or none (left open).
    #[arg(long, default_value = "close")]
    finalize: String,
    /// Print the result as JSON (the REST API's result object).
    #[arg(long)]
    json: bool,
    /// Write a self-contained HTML report (equity curve, trades on the price chart).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

pub fn run(args: BacktestArgs) -> anyhow::Result<()> {
    let mut params = BTreeMap::new();
    for p in &args.params {
        let (name, value) = p.split_once('=').with_context(|| format!("--param {p:?}: write NAME=VALUE"))?;
        let value: f64 = value.trim().parse().with_context(|| format!("--param {p:?}: {value:?} is not a number"))?;
        params.insert(name.trim().to_owned(), value);
    }
    let info = aetherion_strategy::find(&args.strategy).with_context(|| {
        let names: Vec<_> = aetherion_strategy::builtin().iter().map(|s| s.name).collect();
        format!("unknown strategy {:?}; built in: {}", args.strategy, names.join(", "))
    })?;
    info.validate(&params).map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = std::fs::read(&args.data).with_context(|| format!("reading {}", args.data.display()))?;
    let bars = Arc::new(aetherion_data::parse_ohlcv(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", args.data.display()))?);
    let finalize = match args.finalize.as_str() {
        "close" => Finalize::AtLastClose,
        "backtesting_py" => Finalize::BacktestingPy,
        "none" => Finalize::LeaveOpen,
        other => bail!("--finalize {other:?}: use close, backtesting_py or none"),
    };
    let config = Config { cash: args.cash, commission: args.commission, slippage: args.slippage, lot_size: 1.0, finalize };
    config.validate().map_err(|e| anyhow::anyhow!("--{}: {}", e.field, e.reason))?;

    let control = Arc::new(Control::new());
    let hooks = control.clone();
    let strategy_name = args.strategy.clone();
    let run_params = params.clone();
    let run_bars = bars.clone();
    let worker = std::thread::spawn(move || -> anyhow::Result<BacktestResult> {
        let mut strategy = aetherion_strategy::create(&strategy_name, &run_params).map_err(|e| anyhow::anyhow!("{e}"))?;
        aetherion_backtest::run_with(&run_bars, strategy.as_mut(), &config, hooks.as_ref()).map_err(|e| anyhow::anyhow!("{e}"))
    });
    let bar = (!args.json && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let bar = indicatif::ProgressBar::new(1000);
        bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {percent}% {elapsed}").expect("valid template"));
        bar
    });
    while !worker.is_finished() {
        if let Some(bar) = &bar {
            bar.set_position((control.fraction_done() * 1000.0) as u64);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let result = worker.join().map_err(|_| anyhow::anyhow!("the backtest stopped"))??;
    let object = aetherion_server::rest::backtests::result_json(&result);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&object)?);
    } else {
        print_table(&object);
    }
    if let Some(path) = &args.report {
        let html = aetherion_server::rest::report::html(&args.strategy, &params, &bars, &result);
        std::fs::write(path, html).with_context(|| format!("writing {}", path.display()))?;
        if !args.json {
            println!("report written to {}", path.display());
        }
    }
    if result.metrics.num_trades == 0 && !args.json {
        eprintln!("note: the strategy made no trade on this data");
    }
    Ok(())
}

fn print_table(object: &serde_json::Value) {
    let Some(metrics) = object["metrics"].as_object() else { return };
    for (key, value) in metrics {
        let text = match value {
            serde_json::Value::Null => "-".to_owned(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() => format!("{f:.4}"),
                _ => n.to_string(),
            },
            other => other.to_string(),
        };
        println!("{key:<24} {text:>24}");
    }
}

/// Fails early with the list when the strategy is unknown.
pub fn strategies() -> anyhow::Result<()> {
    for s in aetherion_strategy::builtin() {
        println!("{}: {}", s.name, s.description);
        for p in s.params {
            println!("    {:<16} {:<5} default {:<8} [{}, {}]  {}", p.name, p.kind.as_str(), p.default, p.min, p.max, p.description);
        }
    }
    if aetherion_strategy::builtin().is_empty() {
        bail!("no strategies");
    }
    Ok(())
}
