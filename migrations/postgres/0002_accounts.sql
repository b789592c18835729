-- Accounts of a deployment whose nodes share PostgreSQL: bearer tokens (only the SHA-256 of
-- each token is kept) and browser sessions (the SHA-256 of the cookie), so that any node knows
-- a token or a session another one opened. Times are RFC 3339 text, as embedded.

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    "user" TEXT NOT NULL,
    roles TEXT NOT NULL,
    "groups" TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT,
    revoked TEXT
);

CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    token_id TEXT,
    csrf TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT NOT NULL
);
CREATE INDEX sessions_token ON sessions (token_id);
