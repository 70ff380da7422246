-- Backtest and optimisation runs of the REST API: the request and the result as JSON text.
CREATE TABLE backtests (
    backtest_id TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (user_id),
    -- 'backtest' or 'optimization'
    kind        TEXT NOT NULL,
    -- queued, running, completed, failed or canceled
    status      TEXT NOT NULL,
    request     TEXT NOT NULL,
    result      TEXT,
    error       TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX backtests_user ON backtests (user_id, kind, created_at);
