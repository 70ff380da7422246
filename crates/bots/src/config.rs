//! What a bot is told: its strategy and parameters, capital and risk limits, and the words for
//! its state and signals.

use std::collections::BTreeMap;

use aetherion_exchange::AccountId;
use aetherion_model::Amount;
use aetherion_strategy::ParamError;

/// The parameter that sets a bot's bar interval, accepted beside the strategy's own.
pub const INTERVAL_PARAM: &str = "interval_seconds";
/// Bar interval when none is given.
pub const DEFAULT_INTERVAL_SECONDS: u32 = 60;
/// The longest bar interval: one day.
pub const MAX_INTERVAL_SECONDS: u32 = 86_400;

/// Checks a bot's parameters: the strategy's own against its schema, plus
/// [`INTERVAL_PARAM`]. Returns every parameter with defaults filled in. Bots trade spot, so a
/// strategy's `allow_short` must be 0.
pub fn validate_params(strategy: &str, given: &BTreeMap<String, f64>) -> Result<BTreeMap<String, f64>, ParamError> {
    let info = aetherion_strategy::find(strategy).ok_or_else(|| ParamError::UnknownStrategy { name: strategy.to_owned() })?;
    let mut own = given.clone();
    let interval = own.remove(INTERVAL_PARAM).unwrap_or(f64::from(DEFAULT_INTERVAL_SECONDS));
    let name = || INTERVAL_PARAM.to_owned();
    if !interval.is_finite() {
        return Err(ParamError::NotFinite { name: name() });
    }
    if interval.fract() != 0.0 {
        return Err(ParamError::NotInteger { name: name(), value: interval });
    }
    if !(1.0..=f64::from(MAX_INTERVAL_SECONDS)).contains(&interval) {
        return Err(ParamError::OutOfRange { name: name(), value: interval, min: 1.0, max: f64::from(MAX_INTERVAL_SECONDS) });
    }
    if own.get("allow_short").is_some_and(|v| *v != 0.0) {
        return Err(ParamError::Invalid {
            name: "allow_short".into(),
            message: "bots trade spot and cannot sell short; set it to 0".into(),
        });
    }
    let mut params = info.validate(&own)?.to_map();
    params.insert(INTERVAL_PARAM.to_owned(), interval);
    Ok(params)
}

/// The bar interval of validated parameters, in microseconds.
pub fn interval_micros(params: &BTreeMap<String, f64>) -> i64 {
    let seconds = params.get(INTERVAL_PARAM).copied().unwrap_or(f64::from(DEFAULT_INTERVAL_SECONDS));
    (seconds.clamp(1.0, f64::from(MAX_INTERVAL_SECONDS)) as i64) * 1_000_000
}

/// A bot's risk limits. Zero percentages and `None` mean no limit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RiskLimits {
    /// Largest position, in the base asset.
    pub max_position: Option<Amount>,
    /// Close the position this many percent below the average entry price.
    pub stop_loss_percent: f64,
    /// Close the position this many percent above the average entry price.
    pub take_profit_percent: f64,
    /// Stop the bot when equity is this many percent below its peak since the start.
    pub max_drawdown_percent: f64,
}

/// A limit that makes no sense, naming its field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct LimitError {
    pub field: &'static str,
    pub message: String,
}

impl RiskLimits {
    pub fn validate(&self) -> Result<(), LimitError> {
        if self.max_position.is_some_and(|q| q.is_negative()) {
            return Err(LimitError { field: "risk.max_position", message: "must not be negative".into() });
        }
        let percent = |field: &'static str, value: f64, max: f64| {
            if !value.is_finite() || value < 0.0 || value > max {
                Err(LimitError { field, message: format!("must be a percentage between 0 and {max}, got {value}") })
            } else {
                Ok(())
            }
        };
        percent("risk.stop_loss_percent", self.stop_loss_percent, 100.0)?;
        percent("risk.take_profit_percent", self.take_profit_percent, 1_000_000.0)?;
        percent("risk.max_drawdown_percent", self.max_drawdown_percent, 100.0)
    }
}

/// Everything a running bot needs to know about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct BotConfig {
    pub bot_id: String,
    /// The owner's account: the bot's orders draw on it.
    pub account: AccountId,
    pub symbol: String,
    pub strategy: String,
    /// Validated by [`validate_params`] (includes [`INTERVAL_PARAM`]).
    pub params: BTreeMap<String, f64>,
    /// The quote-asset amount the bot trades with.
    pub capital: Amount,
    pub limits: RiskLimits,
}

/// Lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotState {
    Created,
    Running,
    Stopped,
    Error,
}

impl BotState {
    pub const fn as_str(self) -> &'static str {
        match self {
            BotState::Created => "created",
            BotState::Running => "running",
            BotState::Stopped => "stopped",
            BotState::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<BotState> {
        [BotState::Created, BotState::Running, BotState::Stopped, BotState::Error].into_iter().find(|x| x.as_str() == s)
    }
}

/// The strategy's latest decision, as the status reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Signal {
    /// No bar yet.
    #[default]
    None,
    Buy,
    Sell,
    Hold,
}

impl Signal {
    pub const fn as_str(self) -> &'static str {
        match self {
            Signal::None => "",
            Signal::Buy => "buy",
            Signal::Sell => "sell",
            Signal::Hold => "hold",
        }
    }

    pub fn parse(s: &str) -> Signal {
        match s {
            "buy" => Signal::Buy,
            "sell" => Signal::Sell,
            "hold" => Signal::Hold,
            _ => Signal::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn parameters_are_checked_against_the_schema_and_the_interval() {
        let full = validate_params("sma_crossover", &params(&[("fast", 5.0)])).unwrap();
        assert_eq!(full["fast"], 5.0);
        assert_eq!(full[INTERVAL_PARAM], 60.0);
        assert!(full.contains_key("slow"), "defaults are filled in");
        assert_eq!(interval_micros(&full), 60_000_000);

        let err = |p: &[(&str, f64)]| validate_params("sma_crossover", &params(p)).unwrap_err();
        assert_eq!(err(&[("fats", 5.0)]).name(), "fats");
        assert_eq!(err(&[(INTERVAL_PARAM, 0.0)]).name(), INTERVAL_PARAM);
        assert_eq!(err(&[(INTERVAL_PARAM, 1.5)]).name(), INTERVAL_PARAM);
        assert_eq!(err(&[(INTERVAL_PARAM, f64::NAN)]).name(), INTERVAL_PARAM);
        assert_eq!(err(&[("allow_short", 1.0)]).name(), "allow_short");
        assert_eq!(err(&[("fast", 30.0), ("slow", 10.0)]).name(), "fast");
        assert!(matches!(validate_params("nope", &BTreeMap::new()), Err(ParamError::UnknownStrategy { .. })));
    }

    #[test]
    fn limits_are_percentages_and_a_non_negative_position() {
        assert!(RiskLimits::default().validate().is_ok());
        let bad = RiskLimits { stop_loss_percent: -1.0, ..RiskLimits::default() };
        assert_eq!(bad.validate().unwrap_err().field, "risk.stop_loss_percent");
        let bad = RiskLimits { max_drawdown_percent: f64::INFINITY, ..RiskLimits::default() };
        assert_eq!(bad.validate().unwrap_err().field, "risk.max_drawdown_percent");
        let bad = RiskLimits { max_position: Some(Amount::from_raw(-1)), ..RiskLimits::default() };
        assert_eq!(bad.validate().unwrap_err().field, "risk.max_position");
    }
}
