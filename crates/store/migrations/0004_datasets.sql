-- Uploaded OHLCV data sets for backtests. `bars` holds the parsed bars, 48 bytes each
-- (little-endian: open time in microseconds as i64, then open, high, low, close, volume as f64).
CREATE TABLE datasets (
    dataset_id TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (user_id),
    name       TEXT NOT NULL,
    rows       BIGINT NOT NULL,
    start_time BIGINT NOT NULL,
    end_time   BIGINT NOT NULL,
    bars       BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX datasets_user ON datasets (user_id, created_at);
