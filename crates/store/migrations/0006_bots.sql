-- Trading bots and strategy runs: their settings, and the books of their current or last run,
-- which the exchange's group commit updates together with the fills that change them.
CREATE TABLE bots (
    bot_id          TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (user_id),
    name            TEXT NOT NULL,
    -- 'bot' (BotService.CreateBot) or 'run' (TradingService.StartStrategy)
    kind            TEXT NOT NULL,
    strategy        TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    -- JSON object: parameter name -> number, defaults included
    parameters      TEXT NOT NULL,
    capital         BIGINT NOT NULL,
    -- JSON object: the risk limits
    risk            TEXT NOT NULL,
    -- created, running, stopped or error
    state           TEXT NOT NULL,
    message         TEXT NOT NULL,
    started_at      BIGINT,
    cash            BIGINT NOT NULL,
    position        BIGINT NOT NULL,
    cost            BIGINT NOT NULL,
    realized_pnl    BIGINT NOT NULL,
    fees            BIGINT NOT NULL,
    trade_count     BIGINT NOT NULL,
    peak_equity     BIGINT NOT NULL,
    last_signal     TEXT NOT NULL,
    orders_sent     BIGINT NOT NULL,
    -- when the status last changed
    status_at       BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- when the settings or the state last changed
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX bots_user_name ON bots (user_id, name);
CREATE INDEX bots_state ON bots (state);
