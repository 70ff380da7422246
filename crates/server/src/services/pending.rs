//! Services whose RPCs are part of the contract but not served yet: every call passes
//! authentication, then answers `UNIMPLEMENTED` naming what is missing. Each service moves to
//! its own module when it is implemented.

use std::pin::Pin;

use aetherion_api::v1 as pb;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn pending(rpc: &str) -> Status {
    Status::unimplemented(format!("{rpc} is part of the API contract but not served by this version yet"))
}

/// Answers every RPC of the services below with `UNIMPLEMENTED`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending;


#[tonic::async_trait]
impl pb::trading_service_server::TradingService for Pending {
    async fn add_symbol(&self, _: Request<pb::AddSymbolRequest>) -> Result<Response<pb::SymbolInfo>, Status> {
        Err(pending("TradingService.AddSymbol"))
    }

    async fn remove_symbol(&self, _: Request<pb::RemoveSymbolRequest>) -> Result<Response<pb::RemoveSymbolResponse>, Status> {
        Err(pending("TradingService.RemoveSymbol"))
    }

    async fn list_symbols(&self, _: Request<pb::ListSymbolsRequest>) -> Result<Response<pb::ListSymbolsResponse>, Status> {
        Err(pending("TradingService.ListSymbols"))
    }

    async fn get_price(&self, _: Request<pb::GetPriceRequest>) -> Result<Response<pb::PriceUpdate>, Status> {
        Err(pending("TradingService.GetPrice"))
    }

    type StreamPriceStream = ServerStream<pb::PriceUpdate>;

    async fn stream_price(&self, _: Request<pb::StreamPriceRequest>) -> Result<Response<Self::StreamPriceStream>, Status> {
        Err(pending("TradingService.StreamPrice"))
    }

    type SubscribeTicksStream = ServerStream<pb::Tick>;

    async fn subscribe_ticks(&self, _: Request<pb::SubscribeTicksRequest>) -> Result<Response<Self::SubscribeTicksStream>, Status> {
        Err(pending("TradingService.SubscribeTicks"))
    }

    type StreamOrderBookStream = ServerStream<pb::OrderBookSnapshot>;

    async fn stream_order_book(&self, _: Request<pb::StreamOrderBookRequest>) -> Result<Response<Self::StreamOrderBookStream>, Status> {
        Err(pending("TradingService.StreamOrderBook"))
    }

    async fn start_strategy(&self, _: Request<pb::StartStrategyRequest>) -> Result<Response<pb::StrategyRun>, Status> {
        Err(pending("TradingService.StartStrategy"))
    }

    async fn stop_strategy(&self, _: Request<pb::StopStrategyRequest>) -> Result<Response<pb::StrategyRun>, Status> {
        Err(pending("TradingService.StopStrategy"))
    }

    async fn get_momentum(&self, _: Request<pb::GetMomentumRequest>) -> Result<Response<pb::GetMomentumResponse>, Status> {
        Err(pending("TradingService.GetMomentum"))
    }

    async fn get_candles(&self, _: Request<pb::GetCandlesRequest>) -> Result<Response<pb::GetCandlesResponse>, Status> {
        Err(pending("TradingService.GetCandles"))
    }
}

#[tonic::async_trait]
impl pb::bot_service_server::BotService for Pending {
    async fn create_bot(&self, _: Request<pb::CreateBotRequest>) -> Result<Response<pb::Bot>, Status> {
        Err(pending("BotService.CreateBot"))
    }

    async fn get_bot(&self, _: Request<pb::GetBotRequest>) -> Result<Response<pb::Bot>, Status> {
        Err(pending("BotService.GetBot"))
    }

    async fn update_bot(&self, _: Request<pb::UpdateBotRequest>) -> Result<Response<pb::Bot>, Status> {
        Err(pending("BotService.UpdateBot"))
    }

    async fn delete_bot(&self, _: Request<pb::DeleteBotRequest>) -> Result<Response<pb::DeleteBotResponse>, Status> {
        Err(pending("BotService.DeleteBot"))
    }

    async fn list_bots(&self, _: Request<pb::ListBotsRequest>) -> Result<Response<pb::ListBotsResponse>, Status> {
        Err(pending("BotService.ListBots"))
    }

    async fn start_bot(&self, _: Request<pb::StartBotRequest>) -> Result<Response<pb::BotStatus>, Status> {
        Err(pending("BotService.StartBot"))
    }

    async fn stop_bot(&self, _: Request<pb::StopBotRequest>) -> Result<Response<pb::BotStatus>, Status> {
        Err(pending("BotService.StopBot"))
    }

    async fn get_bot_status(&self, _: Request<pb::GetBotStatusRequest>) -> Result<Response<pb::BotStatus>, Status> {
        Err(pending("BotService.GetBotStatus"))
    }

    type StreamBotStatusStream = ServerStream<pb::BotStatus>;

    async fn stream_bot_status(&self, _: Request<pb::StreamBotStatusRequest>) -> Result<Response<Self::StreamBotStatusStream>, Status> {
        Err(pending("BotService.StreamBotStatus"))
    }
}

#[tonic::async_trait]
impl pb::risk_service_server::RiskService for Pending {
    async fn calculate_va_r(&self, _: Request<pb::CalculateVaRRequest>) -> Result<Response<pb::CalculateVaRResponse>, Status> {
        Err(pending("RiskService.CalculateVaR"))
    }
}
