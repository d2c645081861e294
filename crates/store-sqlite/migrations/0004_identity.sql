-- kbgap schema, version 4: the built-in identity provider.
--
-- applications: the clients `kbgap app add` registers. The secret is kept only as a slow hash
-- (an argon2id PHC string); roles are a JSON array of Defender permission names.
-- signing_keys: the token-signing keys, newest first by id. The newest signs; older ones
-- still verify the tokens they signed until rotation prunes them, so a rotation does not
-- cut off tokens already handed out.

CREATE TABLE applications (
    client_id         TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    roles             TEXT NOT NULL,
    secret_hash       TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    secret_updated_at TEXT NOT NULL
);

CREATE TABLE signing_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    private_pem TEXT NOT NULL UNIQUE,
    -- Unix seconds.
    created_at  INTEGER NOT NULL
);

-- The single key earlier versions kept in the settings table stays the signing key, so
-- tokens it signed remain valid.
INSERT INTO signing_keys (private_pem, created_at)
    SELECT value, 0 FROM settings WHERE name = 'signing_key';
