-- Symbols and their one-minute candles.
-- Sizes, prices and fee rates are BIGINT fixed-point values with eight decimals
-- (a fee rate of 0.001 = 0.1% is stored as 100000).

CREATE TABLE symbols (
    symbol         TEXT PRIMARY KEY NOT NULL,
    base_asset     TEXT NOT NULL,
    quote_asset    TEXT NOT NULL,
    tick_size      BIGINT NOT NULL,
    lot_size       BIGINT NOT NULL,
    min_notional   BIGINT NOT NULL,
    maker_fee_rate BIGINT NOT NULL,
    taker_fee_rate BIGINT NOT NULL,
    initial_price  BIGINT NOT NULL,
    -- 'trading' or 'halted'. A removed symbol is halted; its history stays.
    status         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE candles (
    symbol      TEXT NOT NULL REFERENCES symbols (symbol),
    open_time   BIGINT NOT NULL,
    open        BIGINT NOT NULL,
    high        BIGINT NOT NULL,
    low         BIGINT NOT NULL,
    close       BIGINT NOT NULL,
    volume      BIGINT NOT NULL,
    trade_count BIGINT NOT NULL,
    PRIMARY KEY (symbol, open_time)
);
