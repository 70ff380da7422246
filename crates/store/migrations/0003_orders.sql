-- Orders, fills, positions and equity history. Amounts are BIGINT fixed-point (8 decimals),
-- times BIGINT microseconds.

-- The number that identifies an account inside the exchange (and its order books).
ALTER TABLE accounts ADD COLUMN account_no BIGINT;
ALTER TABLE accounts ADD COLUMN fees_paid BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX accounts_account_no ON accounts (account_no);

CREATE TABLE orders (
    order_id        TEXT PRIMARY KEY NOT NULL,
    -- Arrival order in the exchange: time priority when open orders are restored.
    seq             BIGINT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (user_id),
    client_order_id TEXT,
    bot_id          TEXT,
    symbol          TEXT NOT NULL REFERENCES symbols (symbol),
    side            TEXT NOT NULL,
    order_type      TEXT NOT NULL,
    price           BIGINT,
    stop_price      BIGINT,
    quantity        BIGINT NOT NULL,
    time_in_force   TEXT NOT NULL,
    post_only       BIGINT NOT NULL,
    status          TEXT NOT NULL,
    triggered       BIGINT NOT NULL,
    filled_quantity BIGINT NOT NULL,
    filled_notional BIGINT NOT NULL,
    fees            BIGINT NOT NULL,
    reserved        BIGINT NOT NULL,
    reject_reason   TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
-- Partial indexes: only the rows they serve, so that most orders cost one index entry fewer.
CREATE UNIQUE INDEX orders_client_order_id ON orders (user_id, client_order_id) WHERE client_order_id IS NOT NULL;
CREATE INDEX orders_user_created ON orders (user_id, created_at);
CREATE INDEX orders_open ON orders (seq) WHERE status IN ('new', 'partially_filled');

-- The users' side of each trade.
CREATE TABLE fills (
    trade_id  TEXT NOT NULL,
    order_id  TEXT NOT NULL REFERENCES orders (order_id),
    user_id   TEXT NOT NULL REFERENCES users (user_id),
    symbol    TEXT NOT NULL,
    side      TEXT NOT NULL,
    price     BIGINT NOT NULL,
    quantity  BIGINT NOT NULL,
    fee       BIGINT NOT NULL,
    liquidity TEXT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (trade_id, order_id)
);
CREATE INDEX fills_user_at ON fills (user_id, at);

CREATE TABLE positions (
    user_id      TEXT NOT NULL REFERENCES users (user_id),
    symbol       TEXT NOT NULL,
    quantity     BIGINT NOT NULL,
    cost         BIGINT NOT NULL,
    realized_pnl BIGINT NOT NULL,
    PRIMARY KEY (user_id, symbol)
);

CREATE TABLE equity_points (
    user_id        TEXT NOT NULL REFERENCES users (user_id),
    at             BIGINT NOT NULL,
    equity         BIGINT NOT NULL,
    cash           BIGINT NOT NULL,
    realized_pnl   BIGINT NOT NULL,
    unrealized_pnl BIGINT NOT NULL,
    PRIMARY KEY (user_id, at)
);
