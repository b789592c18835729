-- What every node of a deployment must agree on beyond the log and the accounts.
--
-- The keys that sign OAI-PMH resumption tokens and search cursors: a harvester or a portal
-- page behind a load balancer resumes on whichever node answers next. Drawn here, once, from
-- the server's strong random generator (gen_random_uuid: 122 random bits each, 244 a key),
-- so that a reader on a standby, which writes nothing, reads the same keys as everyone.
INSERT INTO orrery_meta (name, value)
VALUES ('oai_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')),
       ('cursor_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

-- Where each harvested OAI-PMH source stands (`orrery harvest`), whichever machine runs it:
-- the `from` of the next run, and the resumption token of a run that was interrupted.
CREATE TABLE harvest_state (
    source TEXT PRIMARY KEY,
    next_from TEXT,
    token TEXT,
    run_from TEXT,
    run_started TEXT
);
