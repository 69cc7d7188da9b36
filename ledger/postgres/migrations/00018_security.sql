-- +goose Up
-- A ceiling above every code sequence Redis may have handed out per holder
-- (qrcode/sqlseq): Redis reserves blocks below it, and starts above it when
-- it has forgotten its counter.
CREATE TABLE code_sequences (
    school_id  BIGINT NOT NULL,
    holder_id  BIGINT NOT NULL,
    ceiling    BIGINT NOT NULL CHECK (ceiling > 0),
    PRIMARY KEY (school_id, holder_id)
);

-- Durable floors (unix seconds) below which nothing Redis-backed is trusted:
-- "redis" is the moment a node saw that Redis had lost its state; terminal
-- requests signed before it are refused.
CREATE TABLE state_floors (
    name   TEXT PRIMARY KEY,
    floor  BIGINT NOT NULL
);

-- Server-side admin sessions: an admin token is good only while its session
-- is open; logout, a password reset and a role change end it.
CREATE TABLE admin_sessions (
    id          TEXT PRIMARY KEY,
    admin_id    BIGINT NOT NULL REFERENCES admins (id),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);

-- Failed sign-ins per (source address, account), known or not: the lockout
-- stops the guesser at its address, not the owner elsewhere.
CREATE TABLE login_throttle (
    scope         TEXT NOT NULL,
    account       TEXT NOT NULL,
    source        TEXT NOT NULL,
    failures      INTEGER NOT NULL,
    locked_until  TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, account, source)
);

-- +goose Down
DROP TABLE login_throttle;
DROP TABLE admin_sessions;
DROP TABLE state_floors;
DROP TABLE code_sequences;
