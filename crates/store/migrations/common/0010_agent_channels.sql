-- Agents (users) on each channel they take interactions on: ready or not, why not, and how
-- many interactions of the channel they handle at once. A missing row is an agent who was
-- never ready on the channel: NotReady with the channel's default capacity.
CREATE TABLE agent_channels (
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT,
    capacity    INTEGER NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (company_id, user_id, channel)
);

-- Routing looks for the ready agents of a channel.
CREATE INDEX agent_channels_ready ON agent_channels (company_id, channel, state);
