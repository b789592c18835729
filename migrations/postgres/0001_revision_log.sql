-- The revision log: the truth of a deployment whose nodes share PostgreSQL.
--
-- orrery_head holds the last revision in its one row. A writer takes that row's lock, checks
-- the current state of the assets it changes, numbers its changes from the head, inserts them,
-- moves the head and commits: revisions are gap-free and in commit order (a sequence would not
-- be: a reader could see revision n+1 committed before n and skip n).

CREATE TABLE orrery_head (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    revision BIGINT NOT NULL
);
INSERT INTO orrery_head (one, revision) VALUES (TRUE, 0);

-- Every change: what every node applies (the change as JSON, `op` naming its kind), who made
-- it and when (RFC 3339, as the store records it).
CREATE TABLE orrery_revisions (
    revision BIGINT PRIMARY KEY,
    asset TEXT NOT NULL,
    operation TEXT NOT NULL,
    document TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    committed TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orrery_revisions_asset ON orrery_revisions (asset, revision);

-- The current assets: each one's last revision (what If-Match compares) and whether it is
-- deleted (a tombstone).
CREATE TABLE orrery_assets (
    id TEXT PRIMARY KEY,
    revision BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL
);

-- What every node shares about the catalogue itself: when it was created (the OAI-PMH
-- earliest datestamp, the registry's creation date) and the log's name.
CREATE TABLE orrery_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO orrery_meta (name, value)
VALUES ('created', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
       -- Names this log: a node's store remembers which log it follows.
       ('id', md5(random()::text || clock_timestamp()::text));
