//! The wire contract: Rust types, tonic clients and servers generated from
//! `protos/trading_api.proto`, and the encoded descriptor for server reflection.
//!
//! Architecture invariant: generated code only, plus conversions that need nothing but the
//! generated types. Business rules live in the domain crates and the server.

pub mod codec;

#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod v1 {
    tonic::include_proto!("aetherion.v1");
}

/// The encoded `FileDescriptorSet` of the contract (with its imports), for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/aetherion_descriptor.bin"));

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_types::FileDescriptorSet;

    /// Every RPC that ../shared/API.md names, by service.
    const CONTRACT: &[(&str, &[&str])] = &[
        ("AuthService", &["Register", "Login", "GetUser", "RefreshToken"]),
        (
            "TradingService",
            &[
                "AddSymbol", "RemoveSymbol", "ListSymbols", "GetPrice", "StreamPrice", "SubscribeTicks",
                "StreamOrderBook", "StartStrategy", "StopStrategy", "GetMomentum",
            ],
        ),
        ("OrderService", &["CreateOrder", "CancelOrder", "GetOrder", "ListOrders", "GetTradeHistory"]),
        ("PortfolioService", &["GetPortfolio", "StreamPortfolio", "GetPerformanceHistory"]),
        (
            "BotService",
            &[
                "CreateBot", "GetBot", "UpdateBot", "DeleteBot", "ListBots", "StartBot", "StopBot",
                "GetBotStatus", "StreamBotStatus",
            ],
        ),
        ("RiskService", &["CalculateVaR"]),
    ];

    const STREAMING: &[&str] = &["StreamPrice", "SubscribeTicks", "StreamOrderBook", "StreamPortfolio", "StreamBotStatus"];

    #[test]
    fn the_proto_has_every_rpc_of_the_contract_with_its_own_request() {
        let fds = FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).unwrap();
        let file = fds.file.iter().find(|f| f.package() == "aetherion.v1").expect("package aetherion.v1");
        for (service, rpcs) in CONTRACT {
            let svc = file.service.iter().find(|s| s.name() == *service).unwrap_or_else(|| panic!("{service} missing"));
            for rpc in *rpcs {
                let method = svc.method.iter().find(|m| m.name() == *rpc).unwrap_or_else(|| panic!("{service}.{rpc} missing"));
                assert_eq!(method.input_type(), format!(".aetherion.v1.{rpc}Request"), "{rpc} has its own request");
                assert!(!method.client_streaming(), "{rpc}: only unary and server streaming work over gRPC-Web");
                assert_eq!(method.server_streaming(), STREAMING.contains(rpc), "{rpc} streaming");
            }
        }
        let total: usize = CONTRACT.iter().map(|(_, r)| r.len()).sum();
        assert_eq!(total, 32);
    }

    #[test]
    fn enums_start_unspecified_and_prefix_their_values() {
        let fds = FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).unwrap();
        let file = fds.file.iter().find(|f| f.package() == "aetherion.v1").unwrap();
        for e in &file.enum_type {
            let first = &e.value[0];
            assert_eq!(first.number(), 0, "{}", e.name());
            let prefix = first.name().strip_suffix("UNSPECIFIED").unwrap_or_else(|| panic!("{} starts with {}", e.name(), first.name()));
            for v in &e.value {
                assert!(v.name().starts_with(prefix), "{} of {}", v.name(), e.name());
            }
        }
    }
}
