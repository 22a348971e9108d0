CREATE TABLE sources (
    id            TEXT PRIMARY KEY,
    company_id    TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    base_uri      TEXT,
    access_token  TEXT NOT NULL,
    capabilities  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    -- Deleted sources keep their conversations; they just stop existing for the APIs.
    deleted_at    BIGINT
);
CREATE INDEX sources_company ON sources (company_id, id);

CREATE TABLE identities (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL,
    source_id   TEXT NOT NULL REFERENCES sources (id),
    foreign_id  TEXT NOT NULL,
    profile     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (source_id, foreign_id)
);
CREATE INDEX identities_company ON identities (company_id, id);

CREATE TABLE threads (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL,
    source_id   TEXT NOT NULL REFERENCES sources (id),
    foreign_id  TEXT,
    title       TEXT,
    details     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (source_id, foreign_id)
);
CREATE INDEX threads_company ON threads (company_id, id);

CREATE TABLE contents (
    id                     TEXT PRIMARY KEY,
    company_id             TEXT NOT NULL,
    source_id              TEXT NOT NULL REFERENCES sources (id),
    thread_id              TEXT NOT NULL REFERENCES threads (id),
    foreign_id             TEXT,
    kind                   TEXT NOT NULL,
    direction              TEXT NOT NULL,
    author_identity_id     TEXT REFERENCES identities (id),
    recipient_identity_id  TEXT REFERENCES identities (id),
    in_reply_to_id         TEXT REFERENCES contents (id),
    body                   TEXT,
    format                 TEXT NOT NULL,
    attachments            TEXT NOT NULL,
    structured_content     TEXT,
    details                TEXT NOT NULL,
    is_read                BOOLEAN NOT NULL,
    export_status          TEXT,
    export_attempts        INTEGER NOT NULL,
    export_error           TEXT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    -- Per kind: a connector's messages, private messages and threads are separate
    -- collections whose ids may overlap (a blog's post 5 and comment 5).
    UNIQUE (source_id, kind, foreign_id)
);
-- Newest-first keyset pagination, for the company and per source.
CREATE INDEX contents_company_created ON contents (company_id, created_at, id);
CREATE INDEX contents_source_created ON contents (source_id, created_at, id);
CREATE INDEX contents_thread ON contents (thread_id, created_at);

-- typing.start is limited per thread; a row remembers the last accepted one. A database row
-- rather than process memory, so that the limit holds across nodes.
CREATE TABLE typing_limits (
    source_id          TEXT NOT NULL,
    thread_foreign_id  TEXT NOT NULL,
    last_start_at      BIGINT NOT NULL,
    PRIMARY KEY (source_id, thread_foreign_id)
);
