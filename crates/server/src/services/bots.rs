//! BotService, and the strategy runs of TradingService (StartStrategy/StopStrategy), which
//! are bots with a generated name.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aetherion_api::v1 as pb;
use aetherion_bots::{BotState, BotStatus, Ledger, RiskLimits, StartError, validate_params};
use aetherion_model::Amount;
use aetherion_store::{BotRecord, SymbolStatus};
use aetherion_strategy::ParamError;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::auth::caller;
use crate::clock::{now, timestamp};
use crate::error::ServiceError;
use crate::market::bots::{StoredLimits, config_of, fresh_run, limits_of, parameters_of, stored_status};
use crate::state::AppState;

type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

const MAX_NAME: usize = 64;
/// StreamBotStatus sends at most one status per this interval (the latest).
const STREAM_INTERVAL: Duration = Duration::from_millis(100);

pub struct BotsApi {
    state: Arc<AppState>,
}

/// A CreateBot or StartStrategy request's fields.
pub struct NewBot<'a> {
    pub name: &'a str,
    pub strategy: &'a str,
    pub symbol: &'a str,
    pub params: &'a std::collections::HashMap<String, f64>,
    pub capital: &'a str,
    pub risk: Option<&'a pb::RiskLimits>,
}

/// A bot's settings from a request, checked.
struct Settings {
    params: BTreeMap<String, f64>,
    capital: Amount,
    limits: RiskLimits,
}

impl BotsApi {
    pub fn new(state: Arc<AppState>) -> Self {
        BotsApi { state }
    }

    /// One of the caller's bots, or NOT_FOUND (also for another user's bot).
    async fn record(&self, user_id: &str, bot_id: &str) -> Result<BotRecord, ServiceError> {
        let bot_id = bot_id.trim();
        if bot_id.is_empty() {
            return Err(ServiceError::invalid("bot_id", "is required"));
        }
        self.state.store.bot(user_id, bot_id).await?.ok_or_else(|| ServiceError::NotFound(format!("bot {bot_id:?} does not exist")))
    }

    /// Creates a bot (`kind` "bot") or a strategy run ("run").
    pub async fn create(&self, user_id: &str, kind: &str, new: NewBot<'_>) -> Result<BotRecord, ServiceError> {
        let NewBot { name, strategy, symbol, params, capital, risk } = new;
        let name = check_name(name)?;
        let strategy = strategy.trim();
        if strategy.is_empty() {
            return Err(ServiceError::invalid("strategy", "is required"));
        }
        let symbol = symbol.trim();
        if symbol.is_empty() {
            return Err(ServiceError::invalid("symbol", "is required"));
        }
        let settings = settings(strategy, params, capital, risk)?;
        self.state.market.find(symbol)?;
        let at = now();
        let bot_id = uuid::Uuid::now_v7().to_string();
        let record = BotRecord {
            user_id: user_id.to_owned(),
            name,
            kind: kind.to_owned(),
            strategy: strategy.to_owned(),
            symbol: symbol.to_owned(),
            parameters: serde_json::to_string(&settings.params).map_err(ServiceError::internal)?,
            capital: settings.capital,
            risk: serde_json::to_string(&StoredLimits::from_limits(&settings.limits)).map_err(ServiceError::internal)?,
            run: fresh_run(&bot_id, BotState::Created, settings.capital, at),
            created_at: at,
            updated_at: at,
        };
        self.state.store.insert_bot(&record).await?;
        Ok(record)
    }

    /// Starts a stored bot with a fresh run.
    pub async fn start(&self, user_id: &str, record: &BotRecord) -> Result<BotStatus, ServiceError> {
        if record.run.state == BotState::Running.as_str() {
            return Err(ServiceError::FailedPrecondition("the bot is already running".into()));
        }
        let handle = self.state.market.find(&record.symbol).map_err(|_| ServiceError::FailedPrecondition(format!("symbol {} was removed", record.symbol)))?;
        if handle.record().status == SymbolStatus::Halted {
            return Err(ServiceError::FailedPrecondition(format!("symbol {} is halted", record.symbol)));
        }
        let account = self.state.market.account_of(user_id).await?;
        let ledger = Ledger::new(record.capital, now());
        match self.state.market.start_bot(config_of(record, account), ledger).await? {
            Ok(status) => Ok(status),
            Err(StartError::AlreadyRunning) => Err(ServiceError::FailedPrecondition("the bot is already running".into())),
            Err(e) => Err(ServiceError::FailedPrecondition(e.to_string())),
        }
    }

    /// Stops a bot if it runs; returns its status either way.
    pub async fn stop(&self, record: &BotRecord) -> Result<BotStatus, ServiceError> {
        let bot_id = &record.run.bot_id;
        if let Some(status) = self.state.market.stop_bot(bot_id, "stopped by its owner".into()).await? {
            return Ok(status);
        }
        Ok(self.current_status(record))
    }

    /// The latest status: published since the server started, or the stored one.
    fn current_status(&self, record: &BotRecord) -> BotStatus {
        match self.state.market.bot_hub().latest(&record.run.bot_id) {
            Some(status) => (*status).clone(),
            None => {
                let price = self.state.market.get(&record.symbol).and_then(|h| h.stats.borrow().last_price);
                stored_status(&record.run, price)
            }
        }
    }

    /// A bot's current state: a status published later than the stored row wins.
    fn state_of(&self, record: &BotRecord) -> BotState {
        self.current_status(record).state
    }
}

fn check_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::invalid("name", "is required"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(ServiceError::invalid("name", format!("must be at most {MAX_NAME} characters")));
    }
    Ok(name.to_owned())
}

fn settings(strategy: &str, params: &std::collections::HashMap<String, f64>, capital: &str, risk: Option<&pb::RiskLimits>) -> Result<Settings, ServiceError> {
    let given: BTreeMap<String, f64> = params.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let params = validate_params(strategy, &given).map_err(|e| match e {
        ParamError::UnknownStrategy { .. } => ServiceError::invalid("strategy", format!("{e}; GET /api/v1/strategies lists them")),
        e => ServiceError::invalid("parameters", e.to_string()),
    })?;
    Ok(Settings { params, capital: capital_of(capital)?, limits: limits_from(risk)? })
}

fn capital_of(text: &str) -> Result<Amount, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid("capital", "is required"));
    }
    let value: Amount = text.parse().map_err(|e| ServiceError::invalid("capital", format!("{text:?} {e}")))?;
    if !value.is_positive() {
        return Err(ServiceError::invalid("capital", "must be greater than zero"));
    }
    Ok(value)
}

fn limits_from(risk: Option<&pb::RiskLimits>) -> Result<RiskLimits, ServiceError> {
    let Some(r) = risk else { return Ok(RiskLimits::default()) };
    let text = r.max_position.trim();
    let max_position = if text.is_empty() {
        None
    } else {
        Some(text.parse::<Amount>().map_err(|e| ServiceError::invalid("risk.max_position", format!("{text:?} {e}")))?)
    };
    let limits = RiskLimits {
        max_position,
        stop_loss_percent: r.stop_loss_percent,
        take_profit_percent: r.take_profit_percent,
        max_drawdown_percent: r.max_drawdown_percent,
    };
    limits.validate().map_err(|e| ServiceError::invalid(e.field, e.message))?;
    Ok(limits)
}

fn state_message(state: BotState) -> pb::BotState {
    match state {
        BotState::Created => pb::BotState::Created,
        BotState::Running => pb::BotState::Running,
        BotState::Stopped => pb::BotState::Stopped,
        BotState::Error => pb::BotState::Error,
    }
}

fn limits_message(limits: &RiskLimits) -> pb::RiskLimits {
    pb::RiskLimits {
        max_position: limits.max_position.map(|q| q.to_string()).unwrap_or_default(),
        stop_loss_percent: limits.stop_loss_percent,
        take_profit_percent: limits.take_profit_percent,
        max_drawdown_percent: limits.max_drawdown_percent,
    }
}

fn bot_message(record: &BotRecord, state: BotState) -> pb::Bot {
    pb::Bot {
        bot_id: record.run.bot_id.clone(),
        name: record.name.clone(),
        strategy: record.strategy.clone(),
        symbol: record.symbol.clone(),
        parameters: parameters_of(record).into_iter().collect(),
        capital: record.capital.to_string(),
        risk: Some(limits_message(&limits_of(record))),
        state: state_message(state) as i32,
        created_at: Some(timestamp(record.created_at)),
        updated_at: Some(timestamp(record.updated_at)),
    }
}

pub fn status_message(s: &BotStatus) -> pb::BotStatus {
    pb::BotStatus {
        bot_id: s.bot_id.clone(),
        state: state_message(s.state) as i32,
        position: s.position.to_string(),
        average_entry_price: s.average_entry_price.map(|p| p.to_string()).unwrap_or_default(),
        cash: s.cash.to_string(),
        equity: s.equity.to_string(),
        realized_pnl: s.realized_pnl.to_string(),
        unrealized_pnl: s.unrealized_pnl.to_string(),
        trade_count: i64::try_from(s.trade_count).unwrap_or(i64::MAX),
        open_order_count: i32::try_from(s.open_orders).unwrap_or(i32::MAX),
        last_signal: s.last_signal.as_str().to_owned(),
        message: s.message.clone(),
        started_at: s.started_at.map(timestamp),
        updated_at: Some(timestamp(s.updated_at)),
    }
}

fn run_message(record: &BotRecord, status: &BotStatus) -> pb::StrategyRun {
    pb::StrategyRun {
        strategy_id: record.run.bot_id.clone(),
        strategy: record.strategy.clone(),
        symbol: record.symbol.clone(),
        parameters: parameters_of(record).into_iter().collect(),
        capital: record.capital.to_string(),
        state: state_message(status.state) as i32,
        message: status.message.clone(),
        started_at: status.started_at.map(timestamp),
    }
}

impl BotsApi {
    /// TradingService.StartStrategy: a run is a bot with a generated name, started at once.
    pub async fn start_strategy(&self, user_id: &str, req: &pb::StartStrategyRequest) -> Result<pb::StrategyRun, ServiceError> {
        let name = format!("{} {} {}", req.strategy.trim(), req.symbol.trim(), uuid::Uuid::now_v7().simple());
        let new = NewBot { name: &name, strategy: &req.strategy, symbol: &req.symbol, params: &req.parameters, capital: &req.capital, risk: req.risk.as_ref() };
        let record = self.create(user_id, "run", new).await?;
        match self.start(user_id, &record).await {
            Ok(status) => Ok(run_message(&record, &status)),
            Err(e) => {
                // A run that cannot start is not kept.
                let _ = self.state.store.delete_bot(user_id, &record.run.bot_id).await;
                Err(e)
            }
        }
    }

    /// TradingService.StopStrategy.
    pub async fn stop_strategy(&self, user_id: &str, req: &pb::StopStrategyRequest) -> Result<pb::StrategyRun, ServiceError> {
        let id = req.strategy_id.trim();
        if id.is_empty() {
            return Err(ServiceError::invalid("strategy_id", "is required"));
        }
        let record = self.state.store.bot(user_id, id).await?.ok_or_else(|| ServiceError::NotFound(format!("strategy run {id:?} does not exist")))?;
        let status = self.stop(&record).await?;
        Ok(run_message(&record, &status))
    }
}

#[tonic::async_trait]
impl pb::bot_service_server::BotService for BotsApi {
    async fn create_bot(&self, request: Request<pb::CreateBotRequest>) -> Result<Response<pb::Bot>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let r = request.get_ref();
        let new = NewBot { name: &r.name, strategy: &r.strategy, symbol: &r.symbol, params: &r.parameters, capital: &r.capital, risk: r.risk.as_ref() };
        let record = self.create(&user_id, "bot", new).await?;
        Ok(Response::new(bot_message(&record, BotState::Created)))
    }

    async fn get_bot(&self, request: Request<pb::GetBotRequest>) -> Result<Response<pb::Bot>, Status> {
        let user_id = &caller(&request)?.user_id;
        let record = self.record(user_id, &request.get_ref().bot_id).await?;
        Ok(Response::new(bot_message(&record, self.state_of(&record))))
    }

    async fn update_bot(&self, request: Request<pb::UpdateBotRequest>) -> Result<Response<pb::Bot>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let r = request.get_ref();
        let mut record = self.record(&user_id, &r.bot_id).await?;
        let paths: Vec<String> = match &r.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
            _ => {
                // No mask: every field given a non-default value.
                let mut p = Vec::new();
                if !r.name.is_empty() {
                    p.push("name".to_owned());
                }
                if !r.parameters.is_empty() {
                    p.push("parameters".to_owned());
                }
                if !r.capital.is_empty() {
                    p.push("capital".to_owned());
                }
                if r.risk.is_some() {
                    p.push("risk".to_owned());
                }
                p
            }
        };
        const FIELDS: [&str; 4] = ["name", "parameters", "capital", "risk"];
        let mut fields: Vec<&str> = Vec::new();
        for path in &paths {
            match FIELDS.iter().find(|f| **f == path.as_str()) {
                Some(field) => fields.push(field),
                None if path == "*" => fields.extend(FIELDS),
                None => return Err(ServiceError::invalid("update_mask", format!("unknown path {path:?}; use name, parameters, capital, risk or *")).into()),
            }
        }
        for field in fields {
            match field {
                "name" => record.name = check_name(&r.name)?,
                "parameters" => {
                    let given: BTreeMap<String, f64> = r.parameters.iter().map(|(k, v)| (k.clone(), *v)).collect();
                    let params = validate_params(&record.strategy, &given).map_err(|e| ServiceError::invalid("parameters", e.to_string()))?;
                    record.parameters = serde_json::to_string(&params).map_err(ServiceError::internal)?;
                }
                "capital" => record.capital = capital_of(&r.capital)?,
                _ => record.risk = serde_json::to_string(&StoredLimits::from_limits(&limits_from(r.risk.as_ref())?)).map_err(ServiceError::internal)?,
            }
        }
        if self.state_of(&record) == BotState::Running {
            return Err(ServiceError::FailedPrecondition("the bot is running: stop it first".into()).into());
        }
        record.updated_at = now();
        if !self.state.store.update_bot_settings(&record).await.map_err(ServiceError::from)? {
            return Err(ServiceError::FailedPrecondition("the bot is running: stop it first".into()).into());
        }
        Ok(Response::new(bot_message(&record, self.state_of(&record))))
    }

    async fn delete_bot(&self, request: Request<pb::DeleteBotRequest>) -> Result<Response<pb::DeleteBotResponse>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let record = self.record(&user_id, &request.get_ref().bot_id).await?;
        let bot_id = record.run.bot_id.clone();
        // A running bot is stopped first (its orders canceled, the stop stored).
        self.stop(&record).await?;
        if !self.state.store.delete_bot(&user_id, &bot_id).await.map_err(ServiceError::from)? {
            return Err(ServiceError::FailedPrecondition("the bot was started again while being deleted".into()).into());
        }
        self.state.market.bot_hub().remove(&bot_id);
        Ok(Response::new(pb::DeleteBotResponse { bot_id }))
    }

    async fn list_bots(&self, request: Request<pb::ListBotsRequest>) -> Result<Response<pb::ListBotsResponse>, Status> {
        let user_id = &caller(&request)?.user_id;
        let records = self.state.store.bots(user_id).await.map_err(ServiceError::from)?;
        let bots = records.iter().map(|r| bot_message(r, self.state_of(r))).collect();
        Ok(Response::new(pb::ListBotsResponse { bots }))
    }

    async fn start_bot(&self, request: Request<pb::StartBotRequest>) -> Result<Response<pb::BotStatus>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let record = self.record(&user_id, &request.get_ref().bot_id).await?;
        let status = self.start(&user_id, &record).await?;
        Ok(Response::new(status_message(&status)))
    }

    async fn stop_bot(&self, request: Request<pb::StopBotRequest>) -> Result<Response<pb::BotStatus>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let record = self.record(&user_id, &request.get_ref().bot_id).await?;
        Ok(Response::new(status_message(&self.stop(&record).await?)))
    }

    async fn get_bot_status(&self, request: Request<pb::GetBotStatusRequest>) -> Result<Response<pb::BotStatus>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let record = self.record(&user_id, &request.get_ref().bot_id).await?;
        Ok(Response::new(status_message(&self.current_status(&record))))
    }

    type StreamBotStatusStream = ServerStream<pb::BotStatus>;

    async fn stream_bot_status(&self, request: Request<pb::StreamBotStatusRequest>) -> Result<Response<Self::StreamBotStatusStream>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let record = self.record(&user_id, &request.get_ref().bot_id).await?;
        let mut statuses = self.state.market.bot_hub().watch(&record.run.bot_id, self.current_status(&record));
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            loop {
                let status = status_message(&statuses.borrow_and_update());
                if tx.send(Ok(status)).await.is_err() {
                    return;
                }
                // At most one status per interval; a slow reader gets the latest.
                tokio::time::sleep(STREAM_INTERVAL).await;
                tokio::select! {
                    () = tx.closed() => return,
                    changed = statuses.changed() => if changed.is_err() {
                        let _ = tx.send(Err(Status::not_found("the bot was deleted"))).await;
                        return;
                    },
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
    }
}
