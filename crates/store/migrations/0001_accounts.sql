-- Users, refresh tokens and paper trading accounts.
-- One schema for SQLite and PostgreSQL: portable types only (BIGINT, TEXT).
-- Exact amounts are BIGINT fixed-point values with eight decimals (1 unit = 100000000).
-- Times are BIGINT microseconds since the Unix epoch (UTC).

CREATE TABLE users (
    user_id       TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (user_id),
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE accounts (
    user_id     TEXT PRIMARY KEY NOT NULL REFERENCES users (user_id),
    quote_asset TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE balances (
    user_id  TEXT NOT NULL REFERENCES users (user_id),
    asset    TEXT NOT NULL,
    free     BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    PRIMARY KEY (user_id, asset)
);

-- Money that entered an account from outside (the starting cash). Together with the fees
-- paid it explains every balance: free + reserved + positions = deposits - fees.
CREATE TABLE deposits (
    deposit_id TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (user_id),
    asset      TEXT NOT NULL,
    amount     BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX deposits_user ON deposits (user_id);
