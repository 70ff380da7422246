//! Everything `aetherion serve` can be told. The binary fills it from flags and `AETHERION_*`
//! environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use aetherion_model::{Amount, UnixMicros};
use aetherion_store::{SymbolRecord, SymbolStatus};

/// How the server speaks TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text (HTTP/1.1 and HTTP/2 with prior knowledge).
    Off,
    /// A certificate chain and private key from PEM files.
    Files { cert: PathBuf, key: PathBuf },
    /// A certificate for localhost made at start-up and written to the data directory, so that
    /// clients can be told to trust it.
    SelfSigned,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub grpc_addr: SocketAddr,
    /// Address of the REST backtesting API.
    pub rest_addr: SocketAddr,
    /// `None`: SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub tls: TlsMode,
    /// `None`: generated and kept in `data_dir`.
    pub jwt_secret: Option<String>,
    /// Cash deposited into every new account.
    pub starting_cash: Amount,
    /// The asset of that cash.
    pub quote_asset: String,
    /// Seed of the simulated market; the same seed replays the same market.
    pub market_seed: u64,
    /// Simulated taker orders per second per symbol.
    pub market_rate: f64,
    /// Symbols created when the database has none.
    pub default_symbols: Vec<SymbolRecord>,
    /// Trades a SubscribeTicks reader may fall behind before its stream is ended.
    pub tick_buffer: usize,
}

impl Config {
    /// Defaults for everything but the data directory.
    pub fn new(data_dir: PathBuf) -> Self {
        Config {
            data_dir,
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            rest_addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            database_url: None,
            tls: TlsMode::Off,
            jwt_secret: None,
            starting_cash: Amount::from_units(100_000).expect("in range"),
            quote_asset: "USD".to_owned(),
            market_seed: 42,
            market_rate: 4.0,
            default_symbols: default_symbols(),
            tick_buffer: 4096,
        }
    }
}

/// BTC-USD, ETH-USD and SOL-USD, so that a fresh server shows a live market at once.
pub fn default_symbols() -> Vec<SymbolRecord> {
    let a = |s: &str| s.parse::<Amount>().expect("valid constant");
    let symbol = |base: &str, tick: &str, lot: &str, min_notional: &str, price: &str| SymbolRecord {
        symbol: format!("{base}-USD"),
        base_asset: base.to_owned(),
        quote_asset: "USD".to_owned(),
        tick_size: a(tick),
        lot_size: a(lot),
        min_notional: a(min_notional),
        maker_fee_rate: a("0.001"),
        taker_fee_rate: a("0.002"),
        initial_price: a(price),
        status: SymbolStatus::Trading,
        created_at: UnixMicros(0),
    };
    vec![
        symbol("BTC", "0.01", "0.00001", "10", "60000"),
        symbol("ETH", "0.01", "0.0001", "10", "3000"),
        symbol("SOL", "0.001", "0.01", "5", "150"),
    ]
}
