//! Everything `aetherion serve` can be told. The binary fills it from flags and `AETHERION_*`
//! environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use aetherion_model::Amount;

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
    /// `None`: SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub tls: TlsMode,
    /// `None`: generated and kept in `data_dir`.
    pub jwt_secret: Option<String>,
    /// Cash deposited into every new account.
    pub starting_cash: Amount,
    /// The asset of that cash.
    pub quote_asset: String,
}

impl Config {
    /// Defaults for everything but the data directory.
    pub fn new(data_dir: PathBuf) -> Self {
        Config {
            data_dir,
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            database_url: None,
            tls: TlsMode::Off,
            jwt_secret: None,
            starting_cash: Amount::from_units(100_000).expect("in range"),
            quote_asset: "USD".to_owned(),
        }
    }
}
