use std::net::SocketAddr;
use std::path::PathBuf;

use aetherion_server::{Config, Server, TlsMode};
use anyhow::Context;
use clap::Args;

/// Options of `aetherion serve`; each is also an `AETHERION_*` environment variable.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Where the database (SQLite), the JWT secret and generated certificates live.
    #[arg(long, env = "AETHERION_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Address for gRPC and gRPC-Web (HTTP/1.1 and HTTP/2).
    #[arg(long, env = "AETHERION_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    grpc_addr: SocketAddr,
    /// Address for the REST backtesting API (docs at /docs and /redoc).
    #[arg(long, env = "AETHERION_REST_ADDR", default_value = "127.0.0.1:8000")]
    rest_addr: SocketAddr,
    /// `postgres://user@host/db` for PostgreSQL; default: SQLite in the data directory.
    #[arg(long, env = "AETHERION_DATABASE_URL")]
    database_url: Option<String>,
    /// PEM certificate chain for HTTPS (with --tls-key).
    #[arg(long, env = "AETHERION_TLS_CERT", requires = "tls_key", conflicts_with = "tls_self_signed")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --tls-cert).
    #[arg(long, env = "AETHERION_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate for localhost made at first start
    /// (DATA_DIR/tls/self-signed-cert.pem: give it to clients to trust).
    #[arg(long, env = "AETHERION_TLS_SELF_SIGNED")]
    tls_self_signed: bool,
    /// Secret for signing access tokens (at least 32 bytes); default: generated at first start
    /// and kept in DATA_DIR/jwt_secret.
    #[arg(long, env = "AETHERION_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Cash deposited into every new paper trading account.
    #[arg(long, env = "AETHERION_STARTING_CASH", default_value = "100000")]
    starting_cash: String,
    /// The asset that cash is in.
    #[arg(long, env = "AETHERION_QUOTE_ASSET", default_value = "USD")]
    quote_asset: String,
    /// Seed of the simulated market; the same seed replays the same market. Default: random
    /// (printed at start-up).
    #[arg(long, env = "AETHERION_MARKET_SEED")]
    market_seed: Option<u64>,
    /// Simulated taker orders per second, per symbol.
    #[arg(long, env = "AETHERION_MARKET_RATE", default_value_t = 4.0)]
    market_rate: f64,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::new(args.data_dir);
    config.grpc_addr = args.grpc_addr;
    config.rest_addr = args.rest_addr;
    config.database_url = args.database_url;
    config.jwt_secret = args.jwt_secret;
    config.starting_cash = args
        .starting_cash
        .parse()
        .map_err(|e| anyhow::anyhow!("--starting-cash {e}"))?;
    if config.starting_cash.is_negative() {
        anyhow::bail!("--starting-cash must not be negative");
    }
    let quote = args.quote_asset.trim().to_uppercase();
    if quote.is_empty() || quote.len() > 16 || !quote.chars().all(|c| c.is_ascii_alphanumeric()) {
        anyhow::bail!("--quote-asset must be 1 to 16 letters or digits, like USD");
    }
    config.quote_asset = quote;
    if !(args.market_rate.is_finite() && (0.0..=1000.0).contains(&args.market_rate)) {
        anyhow::bail!("--market-rate must be between 0 and 1000 orders per second");
    }
    config.market_rate = args.market_rate;
    config.market_seed = args.market_seed.unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
    });
    tracing::info!(seed = config.market_seed, "simulated market seed (pass --market-seed to replay it)");
    config.tls = match (args.tls_cert, args.tls_key, args.tls_self_signed) {
        (Some(cert), Some(key), _) => TlsMode::Files { cert, key },
        (_, _, true) => TlsMode::SelfSigned,
        _ => TlsMode::Off,
    };
    let (addr, rest_addr) = (config.grpc_addr, config.rest_addr);
    let server = Server::build(config).await?;
    let listener = std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    let rest = std::net::TcpListener::bind(rest_addr).with_context(|| format!("binding {rest_addr} (--rest-addr)"))?;
    server.serve(listener, Some(rest), shutdown_signal()).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received SIGINT"),
        () = term => tracing::info!("received SIGTERM"),
    }
}
