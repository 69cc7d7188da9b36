-- +goose Up
-- Issuer keys sign the dynamic codes (Ed25519). A school has one active key;
-- retired keys stay for verification, named in each code by kid. The private
-- key is stored sealed (AES-GCM, aad "issuer-key:<school>:<kid>").
CREATE TABLE issuer_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id       BIGINT NOT NULL REFERENCES schools (id),
    kid             INTEGER NOT NULL CHECK (kid BETWEEN 1 AND 65535),
    public_key      BLOB NOT NULL CHECK (length(public_key) = 32),
    private_sealed  TEXT NOT NULL,
    active          BOOLEAN NOT NULL,
    created_at      DATETIME NOT NULL
);
CREATE UNIQUE INDEX issuer_keys_kid ON issuer_keys (school_id, kid);
CREATE UNIQUE INDEX issuer_keys_active ON issuer_keys (school_id) WHERE active;

-- +goose Down
DROP TABLE issuer_keys;
