//! Seeded random command streams for the differential test and the benchmarks' style of
//! workload: every order kind, every time in force, post-only, a few owners (so self-trade
//! prevention happens), duplicate and reused ids, unknown cancels, mass cancels.

use aetherion_book::{Command, NewOrder, OrderId, OrderKind, OwnerId, Side, Ticks, TimeInForce};

/// SplitMix64: small, seeded, good enough for test streams.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

pub struct Generator {
    rng: Rng,
    next_id: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: Rng::new(seed),
            next_id: 1,
        }
    }

    fn price(&mut self) -> Ticks {
        Ticks(self.rng.range(990, 1010) as i64)
    }

    fn recent_id(&mut self) -> OrderId {
        let back = self.rng.range(0, 40).min(self.next_id - 1);
        OrderId(self.next_id - back)
    }

    pub fn command(&mut self) -> Command {
        let r = &mut self.rng;
        let roll = r.range(0, 999);
        if roll < 150 {
            let id = self.recent_id();
            return Command::Cancel(id);
        }
        if roll < 158 {
            return Command::CancelOwner(OwnerId(self.rng.range(1, 4)));
        }
        if roll < 160 {
            return Command::CancelAll;
        }
        let id = if self.rng.chance(5) {
            self.recent_id()
        } else {
            self.next_id += 1;
            OrderId(self.next_id - 1)
        };
        let side = if self.rng.chance(50) {
            Side::Buy
        } else {
            Side::Sell
        };
        let kind = match self.rng.range(0, 99) {
            0..60 => OrderKind::Limit {
                price: self.price(),
            },
            60..72 => OrderKind::Market,
            72..86 => OrderKind::Stop {
                trigger: self.price(),
            },
            _ => OrderKind::StopLimit {
                trigger: self.price(),
                price: self.price(),
            },
        };
        let tif = match self.rng.range(0, 99) {
            0..70 => TimeInForce::Gtc,
            70..85 => TimeInForce::Ioc,
            _ => TimeInForce::Fok,
        };
        let quantity = match self.rng.range(0, 999) {
            0..15 => 0,
            15..25 => u64::MAX / 2 + 1,
            _ => self.rng.range(1, 30),
        };
        let owner = OwnerId(self.rng.range(1, 4));
        let post_only = self.rng.chance(10);
        Command::Submit(NewOrder {
            id,
            owner,
            side,
            kind,
            quantity: aetherion_book::Lots(quantity),
            tif,
            post_only,
        })
    }
}
