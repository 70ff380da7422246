//! Turning the book's events into order states, balances, positions, fees and trades.

use aetherion_book::{CancelReason, Event, Fill, OwnerId, Side, Ticks};
use aetherion_model::{Amount, UnixMicros};

use crate::accounts::AccountId;
use crate::exchange::{Exchange, fee_ceil, fee_floor, protection_price};
use crate::journal::{Liquidity, PublicTrade, UserFill};
use crate::order::{OrderStatus, OrderType};

impl Exchange {
    pub(crate) fn process(&mut self, symbol: &str, events: &[Event], now: UnixMicros) {
        for event in events {
            match *event {
                Event::Fill(fill) => self.on_fill(symbol, fill, now),
                Event::Rejected { id, owner, reason } if Self::is_user(owner) => {
                    self.finish(id.0, OrderStatus::Rejected, Some(reason.to_string()), now);
                }
                Event::Canceled { id, owner, reason, .. } if Self::is_user(owner) => {
                    let note = match reason {
                        CancelReason::SelfTrade => Some("canceled by self-trade prevention: an order of the same account reached it".to_owned()),
                        CancelReason::Halt => Some("canceled because the symbol was halted".to_owned()),
                        CancelReason::User | CancelReason::MassCancel => None,
                    };
                    self.finish(id.0, OrderStatus::Canceled, note, now);
                }
                Event::Expired { id, owner, .. } if Self::is_user(owner) => {
                    self.finish(id.0, OrderStatus::Expired, None, now);
                }
                Event::Accepted { id, owner } if Self::is_user(owner) => {
                    if let Some(order) = self.orders.get_mut(&id.0) {
                        order.updated_at = now;
                        self.touched.orders.insert(id.0);
                    }
                }
                Event::Triggered { id, owner, .. } if Self::is_user(owner) => {
                    if let Some(order) = self.orders.get_mut(&id.0) {
                        order.triggered = true;
                        order.updated_at = now;
                        self.touched.orders.insert(id.0);
                    }
                }
                Event::LevelChanged { .. } => {
                    self.touched.books.insert(symbol.to_owned());
                }
                _ => {}
            }
        }
    }

    fn on_fill(&mut self, symbol: &str, fill: Fill, now: UnixMicros) {
        let Some(market) = self.markets.get_mut(symbol) else { return };
        let grid = market.spec.grid;
        let (Some(price), Some(quantity), Some(notional)) = (
            u64::try_from(fill.price.0).ok().and_then(|t| grid.ticks_to_price(t)),
            grid.lots_to_qty(fill.quantity.0),
            u64::try_from(fill.price.0).ok().and_then(|t| grid.notional(t, fill.quantity.0)),
        ) else {
            debug_assert!(false, "a fill outside the grid");
            return;
        };
        market.trade_seq += 1;
        let trade_seq = market.trade_seq;
        self.touched.trades.push(PublicTrade {
            symbol: symbol.to_owned(),
            seq: trade_seq,
            price,
            price_ticks: fill.price,
            quantity,
            taker_side: fill.taker_side,
            at: now,
        });
        let sides = [
            (fill.maker, fill.maker_owner, Liquidity::Maker),
            (fill.taker, fill.taker_owner, Liquidity::Taker),
        ];
        for (id, owner, liquidity) in sides {
            if Self::is_user(owner) {
                self.settle(symbol, id.0, owner, liquidity, (fill.price, fill.quantity), (price, quantity, notional), trade_seq, now);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn settle(
        &mut self,
        symbol: &str,
        seq: u64,
        owner: OwnerId,
        liquidity: Liquidity,
        (price_ticks, lots): (Ticks, aetherion_book::Lots),
        (price, quantity, notional): (Amount, Amount, Amount),
        trade_seq: u64,
        now: UnixMicros,
    ) {
        let Some(spec) = self.markets.get(symbol).map(|m| m.spec.clone()) else { return };
        let account = AccountId(owner.0);
        let rate = match liquidity {
            Liquidity::Maker => spec.maker_fee_rate,
            Liquidity::Taker => spec.taker_fee_rate,
        };
        let fee = fee_floor(notional, rate).unwrap_or(Amount::ZERO);
        let Some(order) = self.orders.get_mut(&seq) else {
            debug_assert!(false, "a fill of an unknown user order");
            return;
        };
        let side = order.side;
        let moves = match side {
            Side::Buy => {
                let paid = notional.checked_add(fee).unwrap_or(Amount::MAX);
                order.reserved = order.reserved.checked_sub(paid).unwrap_or(Amount::ZERO);
                vec![(spec.quote.clone(), Move::Spend(paid)), (spec.base.clone(), Move::Credit(quantity))]
            }
            Side::Sell => {
                order.reserved = order.reserved.checked_sub(quantity).unwrap_or(Amount::ZERO);
                let proceeds = notional.checked_sub(fee).unwrap_or(Amount::ZERO);
                vec![(spec.base.clone(), Move::Spend(quantity)), (spec.quote.clone(), Move::Credit(proceeds))]
            }
        };
        order.filled = aetherion_book::Lots(order.filled.0 + lots.0);
        order.filled_notional = order.filled_notional.checked_add(notional).unwrap_or(Amount::MAX);
        order.fees = order.fees.checked_add(fee).unwrap_or(Amount::MAX);
        order.status = order.fill_status();
        order.updated_at = now;
        // A limit buy filled below its price holds more than its remainder needs: give back
        // the excess at once.
        let limit = match (side, order.order_type) {
            (Side::Buy, OrderType::Limit { price } | OrderType::StopLimit { price, .. }) => Some(price),
            (Side::Buy, OrderType::Stop { trigger }) => Some(protection_price(trigger)),
            _ => None,
        };
        let mut excess = Amount::ZERO;
        if let Some(limit) = limit
            && order.status != OrderStatus::Filled
        {
            let remaining = order.remaining();
            let needed = u64::try_from(limit.0)
                .ok()
                .and_then(|t| spec.grid.notional(t, remaining.0))
                .and_then(|gross| gross.checked_add(fee_ceil(gross, spec.taker_fee_rate.max(spec.maker_fee_rate))?));
            if let Some(needed) = needed
                && order.reserved > needed
            {
                excess = order.reserved.checked_sub(needed).unwrap_or(Amount::ZERO);
                order.reserved = needed;
            }
        }
        let order_id = order.tag.order_id.clone();
        let filled = order.status == OrderStatus::Filled;
        let _ = price_ticks;
        for (asset, m) in moves {
            let result = match m {
                Move::Spend(a) => self.accounts.spend_reserved(account, &asset, a),
                Move::Credit(a) => self.accounts.credit(account, &asset, a),
            };
            if let Err(e) = result {
                Self::balance_bug(e);
            }
            self.touched.balances.insert((account, asset));
        }
        if excess.is_positive()
            && let Err(e) = self.accounts.release(account, &spec.quote, excess)
        {
            Self::balance_bug(e);
        }
        self.update_position(account, symbol, side, quantity, notional);
        let total_fees = self.fees.entry(account).or_default();
        *total_fees = total_fees.checked_add(fee).unwrap_or(Amount::MAX);
        self.touched.fees.insert(account);
        self.touched.orders.insert(seq);
        self.touched.fills.push(UserFill {
            symbol: symbol.to_owned(),
            trade_seq,
            order_seq: seq,
            order_id,
            account,
            side,
            price,
            quantity,
            fee,
            liquidity,
            at: now,
        });
        if filled {
            self.finish(seq, OrderStatus::Filled, None, now);
        }
    }

    fn update_position(&mut self, account: AccountId, symbol: &str, side: Side, quantity: Amount, notional: Amount) {
        let position = self.positions.entry((account, symbol.to_owned())).or_default();
        match side {
            Side::Buy => {
                position.quantity = position.quantity.checked_add(quantity).unwrap_or(Amount::MAX);
                position.cost = position.cost.checked_add(notional).unwrap_or(Amount::MAX);
            }
            Side::Sell => {
                // The cost of what is sold, in proportion to the quantity held.
                let cost_sold = if position.quantity.is_positive() {
                    let part = i128::from(position.cost.raw()) * i128::from(quantity.raw()) / i128::from(position.quantity.raw());
                    Amount::from_raw(i64::try_from(part).unwrap_or(i64::MAX))
                } else {
                    Amount::ZERO
                };
                position.quantity = position.quantity.checked_sub(quantity).unwrap_or(Amount::ZERO);
                position.cost = if position.quantity.is_zero() { Amount::ZERO } else { position.cost.checked_sub(cost_sold).unwrap_or(Amount::ZERO) };
                let gain = notional.checked_sub(cost_sold).unwrap_or(Amount::ZERO);
                position.realized_pnl = position.realized_pnl.checked_add(gain).unwrap_or(Amount::MAX);
            }
        }
        self.touched.positions.insert((account, symbol.to_owned()));
    }

    /// Ends an order: final status, and whatever it still holds goes back to free funds.
    pub(crate) fn finish(&mut self, seq: u64, status: OrderStatus, note: Option<String>, now: UnixMicros) {
        let Some(order) = self.orders.get_mut(&seq) else { return };
        if order.status.is_final() && order.status != OrderStatus::Filled {
            return;
        }
        order.status = status;
        if note.is_some() {
            order.reject_reason = note;
        }
        order.updated_at = now;
        let held = std::mem::take(&mut order.reserved);
        let account = order.account;
        let asset = {
            let spec = &self.markets[&order.symbol].spec;
            match order.side {
                Side::Buy => spec.quote.clone(),
                Side::Sell => spec.base.clone(),
            }
        };
        if held.is_positive() {
            if let Err(e) = self.accounts.release(account, &asset, held) {
                Self::balance_bug(e);
            }
            self.touched.balances.insert((account, asset));
        }
        self.touched.orders.insert(seq);
    }
}

enum Move {
    Spend(Amount),
    Credit(Amount),
}
