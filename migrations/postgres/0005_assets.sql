-- The assets table of a deployment whose nodes share PostgreSQL: each asset's state as the
-- listings read it (my assets, the moderators' queue, the sitemap), kept by the leading node
-- from the revision log and read by every node. Flags are 0 or 1, as in the data directory's
-- SQLite, so that each query is written once for both.
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    revision BIGINT NOT NULL,
    datestamp TEXT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    public BIGINT NOT NULL DEFAULT 0,
    public_datestamp TEXT NOT NULL DEFAULT '',
    ever_public BIGINT NOT NULL DEFAULT 0,
    published_here BIGINT NOT NULL DEFAULT 0,
    owner TEXT NOT NULL DEFAULT '',
    pending TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assets_datestamp ON assets (datestamp);
CREATE INDEX assets_revision ON assets (revision);
CREATE INDEX assets_public ON assets (public, id);
CREATE INDEX assets_owner ON assets (owner, revision);
CREATE INDEX assets_review ON assets (status, pending);
