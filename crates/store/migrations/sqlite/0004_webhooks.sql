-- Where a company's events are pushed (native /v1/webhooks).
CREATE TABLE webhook_endpoints (
    id                       TEXT PRIMARY KEY,
    company_id               TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    url                      TEXT NOT NULL,
    events                   TEXT NOT NULL,
    source_ids               TEXT,
    verify_token             TEXT,
    secret                   TEXT,
    signing_secret           TEXT NOT NULL,
    previous_signing_secret  TEXT,
    previous_until           INTEGER,
    status                   TEXT NOT NULL,
    disabled_reason          TEXT,
    start_seq                INTEGER NOT NULL,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, id);

-- How far the webhook dispatcher has turned each company's event log into deliveries. It is
-- advanced in the transaction that creates the deliveries, so an event becomes deliveries
-- exactly once whatever crashes, and however many nodes tail the log.
CREATE TABLE webhook_cursors (
    company_id  TEXT PRIMARY KEY,
    last_seq    INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id             TEXT PRIMARY KEY,
    company_id     TEXT NOT NULL,
    endpoint_id    TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq      INTEGER NOT NULL,
    event_type     TEXT NOT NULL,
    ordering_key   TEXT,
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    last_error     TEXT,
    response_code  INTEGER,
    -- Retries go on for the retry window from here: the first attempt, or the last redelivery.
    retry_from     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    delivered_at   INTEGER,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, ordering_key, event_seq) WHERE status = 'pending';

-- The RingPlan facade's webhook: the company's one callback URL is the endpoint named here,
-- and the event types it subscribed are that endpoint's events.
CREATE TABLE ringplan_callback_urls (
    company_id   TEXT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE
);

CREATE TABLE ringplan_callbacks (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (company_id, event_type)
);
