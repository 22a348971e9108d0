-- Texting on the core (issue 11). A texting number is a source of kind 'sms': its E.164 number
-- (one live source per number in the whole installation, since carriers deliver by number) and
-- its settings (carrier, owners, rate) as JSON; the carrier's credentials are the source's
-- sealed secret, in access_token.
ALTER TABLE sources ADD COLUMN sms_number TEXT;
ALTER TABLE sources ADD COLUMN sms TEXT;
CREATE UNIQUE INDEX sources_sms_number ON sources (sms_number) WHERE deleted_at IS NULL;

-- A texting contact is an identity, one per company and number, shared by all its numbers.
ALTER TABLE identities ADD COLUMN sms_number TEXT;
CREATE UNIQUE INDEX identities_sms_number ON identities (company_id, sms_number);

-- A publish repeated with the same stamp_id is one message.
ALTER TABLE contents ADD COLUMN stamp_id TEXT;
CREATE UNIQUE INDEX contents_stamp ON contents (source_id, stamp_id);

-- Contacts that answered STOP to a number: nothing more is sent to them from it until START.
CREATE TABLE sms_opt_outs (
    source_id    TEXT NOT NULL REFERENCES sources (id),
    identity_id  TEXT NOT NULL REFERENCES identities (id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (source_id, identity_id)
);

-- The sending rate of each number: when its next message may leave. Messages over the rate
-- are queued for their slot, never refused. A row, not process memory, so that the rate holds
-- across nodes.
CREATE TABLE sms_send_slots (
    source_id  TEXT PRIMARY KEY REFERENCES sources (id),
    next_at    BIGINT NOT NULL
);

-- Full-text search of messages: an FTS5 index (ranked by bm25, prefix queries). PostgreSQL
-- keeps a tsvector table with a GIN index instead: the only part of this version that differs.
-- Accents are kept, as PostgreSQL's 'simple' configuration keeps them, so both find the same.
CREATE VIRTUAL TABLE texting_search USING fts5 (
    body,
    content_id UNINDEXED,
    company_id UNINDEXED,
    thread_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 0'
);
