-- The OAI-PMH record log of a deployment whose nodes share PostgreSQL: every header a
-- harvester may see, with the revisions during which it held (rev_to 2^63-1: it holds now), so
-- that a harvest lists the catalogue as it stood when it began, whichever node answers each
-- page. The leading node keeps it from the revision log; every node reads it. `deleted` is 0
-- or 1, as in the data directory's SQLite, so that each query is written once for both.
CREATE TABLE oai_log (
    id TEXT NOT NULL,
    rev_from BIGINT NOT NULL,
    rev_to BIGINT NOT NULL,
    datestamp TEXT NOT NULL,
    deleted BIGINT NOT NULL
);
CREATE INDEX oai_log_order ON oai_log (datestamp, id);
CREATE INDEX oai_log_id ON oai_log (id, rev_to);
-- One current header a record.
CREATE UNIQUE INDEX oai_log_current ON oai_log (id) WHERE rev_to = 9223372036854775807;

-- The revision each projection kept here has applied, moved in the same transaction as its
-- rows.
CREATE TABLE projection_state (
    name TEXT PRIMARY KEY,
    revision BIGINT NOT NULL
);

-- The registry's own records (the registry, its authority, its TAP service), dated when the
-- catalogue was created.
INSERT INTO oai_log (id, rev_from, rev_to, datestamp, deleted)
SELECT own.id, 0, 9223372036854775807, m.value, 0
FROM (VALUES ('#registry'), ('#authority'), ('#tap')) AS own (id)
CROSS JOIN orrery_meta AS m
WHERE m.name = 'created';
