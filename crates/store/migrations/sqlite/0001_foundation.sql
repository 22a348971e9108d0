CREATE TABLE companies (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    profile     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One row, written by the first start against an empty database: several nodes starting at
-- once must not each create a "Default" company.
CREATE TABLE bootstrap (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    company_id  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    first_name  TEXT,
    last_name   TEXT,
    email       TEXT,
    email_norm  TEXT,
    activated   BOOLEAN NOT NULL,
    profile     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    last_enter  INTEGER
);
CREATE UNIQUE INDEX users_company_email ON users (company_id, email_norm);
CREATE UNIQUE INDEX users_company_primary ON users (company_id) WHERE role = 'primary';

CREATE TABLE locations (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    details     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX locations_company ON locations (company_id);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    key_hash    TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX api_keys_company ON api_keys (company_id);

-- The per-company counter that makes event seq gapless: taken inside the writer's transaction.
CREATE TABLE company_counters (
    company_id  TEXT PRIMARY KEY,
    event_seq   INTEGER NOT NULL
);

CREATE TABLE events (
    company_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (company_id, seq)
);

CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    company_id    TEXT,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    -- While a worker holds the job, run_at is the end of its lease: a crashed worker's job
    -- simply becomes due again.
    run_at        INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    max_attempts  INTEGER NOT NULL,
    lease_token   TEXT,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'pending';
