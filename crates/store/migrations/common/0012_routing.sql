-- Queues, the interactions routed through them, and each interaction's history of states and
-- routing decisions.
CREATE TABLE queues (
    id                  TEXT PRIMARY KEY,
    company_id          TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    strategy            TEXT NOT NULL,
    -- JSON arrays: user ids, and {source_id, category} feeds.
    members             TEXT NOT NULL,
    feeds               TEXT NOT NULL,
    offer_timeout_secs  INTEGER NOT NULL,
    -- JSON {queue_id, max_wait_secs}, or NULL.
    overflow            TEXT,
    -- The member offered last, where round robin goes on from.
    last_offered        TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE interactions (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    thread_id       TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    source_id       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    queue_id        TEXT,
    state           TEXT NOT NULL,
    agent_id        TEXT,
    offer_deadline  BIGINT,
    offers          INTEGER NOT NULL,
    -- JSON arrays and objects.
    declined_by     TEXT NOT NULL,
    workbin         TEXT,
    user_data       TEXT NOT NULL,
    queued_at       BIGINT NOT NULL,
    -- The queue position last told to the customer's channel (messaging.queuing_update).
    last_position   INTEGER,
    accepted_at     BIGINT,
    completed_at    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- A thread has at most one open interaction, whatever the race.
CREATE UNIQUE INDEX interactions_open_thread ON interactions (company_id, thread_id) WHERE state <> 'completed';
-- Routing reads the queued ones oldest first, and agents' loads.
CREATE INDEX interactions_by_state ON interactions (company_id, state, queued_at);
CREATE INDEX interactions_by_agent ON interactions (company_id, agent_id, state);

CREATE TABLE interaction_history (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    interaction_id  TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
    at              BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL,
    agent_id        TEXT,
    queue_id        TEXT,
    reason          TEXT NOT NULL,
    -- JSON array of {user_id, reason}: who a decision passed over, and why.
    skipped         TEXT NOT NULL
);

CREATE INDEX interaction_history_of ON interaction_history (interaction_id, at);

-- When each agent was last offered an interaction of each channel: what longest idle reads,
-- one row per agent and channel however long the history grows.
CREATE TABLE agent_last_offers (
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (company_id, user_id, channel)
);

-- How far routing has read each company's log (contents that open interactions). Its row is
-- also the lock every routing decision of the company takes, so that decisions, on any node,
-- happen one after the other.
CREATE TABLE routing_cursors (
    company_id  TEXT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    last_seq    BIGINT NOT NULL
);
