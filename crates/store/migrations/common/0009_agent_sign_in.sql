-- Agents sign in to the GWS facade with their email and a password. Only an argon2id hash of
-- the password is kept (a PHC string: algorithm, parameters, salt and hash).
CREATE TABLE user_passwords (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- A signed-in agent's HTTP session (the JSESSIONID cookie), kept here rather than in a node's
-- memory so that every node serves it. The id is the SHA-256 of the cookie's token: the table
-- cannot be used to sign in. `delivered_seq` is the company's event seq up to which the
-- session's CometD clients were sent their messages, so that a new client of the same session
-- resumes after it.
CREATE TABLE gws_sessions (
    id             TEXT PRIMARY KEY,
    company_id     TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token     TEXT NOT NULL,
    delivered_seq  BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL
);
CREATE INDEX gws_sessions_user ON gws_sessions (company_id, user_id);

-- Failed sign-ins in a row, per account (`account:<email>`) and per client address
-- (`address:<ip>`): past a few, the next attempt must wait, on every node alike.
CREATE TABLE sign_in_failures (
    subject         TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failed_at  BIGINT NOT NULL
);
