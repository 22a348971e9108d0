-- Secrets are stored sealed (store/src/secrets.rs). The ids of the keys nodes seal with (a
-- fingerprint of each key, never the key): a node registers its own at start and is refused
-- when another node registered a key it does not have, before it seals secrets the others
-- cannot open. Values stored in clear before this version are sealed by the first start.
CREATE TABLE secret_keys (
    id          TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);
