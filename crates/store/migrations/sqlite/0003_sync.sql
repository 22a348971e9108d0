-- How Switchboard writes requests to the source's connector and checks its answers (JSON).
ALTER TABLE sources ADD COLUMN sdk_settings TEXT NOT NULL DEFAULT '{}';

-- One polling synchronisation of a source: queued, running, then succeeded or failed.
CREATE TABLE sync_runs (
    id           TEXT PRIMARY KEY,
    company_id   TEXT NOT NULL,
    source_id    TEXT NOT NULL REFERENCES sources (id),
    trigger      TEXT NOT NULL,
    status       TEXT NOT NULL,
    error        TEXT,
    counts       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER
);
CREATE INDEX sync_runs_source ON sync_runs (source_id, created_at);

-- The since_id of each collection: the newest item imported from it.
CREATE TABLE sync_cursors (
    source_id   TEXT NOT NULL REFERENCES sources (id),
    collection  TEXT NOT NULL,
    since_id    TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (source_id, collection)
);

-- The one scheduled sync job of each polled source. A scheduled job carries on the schedule
-- only while it is the job named here, so a job run twice (a lost lease) or a second schedule
-- started concurrently never doubles the polling.
CREATE TABLE sync_schedules (
    source_id   TEXT PRIMARY KEY REFERENCES sources (id),
    company_id  TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Contents are looked up by (source, foreign id) across kinds: a unique index that leads with
-- them. (0002 is left as it shipped, so databases that applied it keep their checksum; SQLite
-- cannot drop its original constraint without rebuilding the table.)
CREATE UNIQUE INDEX contents_source_foreign_kind ON contents (source_id, foreign_id, kind);
