-- +goose Up
-- A pay code pays once even if Redis forgets it: its (holder, sequence) is
-- recorded on the payment under a unique index.
ALTER TABLE entries ADD COLUMN code_seq BIGINT;
CREATE UNIQUE INDEX entries_code ON entries (holder_id, code_seq) WHERE code_seq IS NOT NULL;

-- Every gate passage and refusal.
CREATE TABLE passages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id    BIGINT NOT NULL REFERENCES schools (id),
    terminal_id  TEXT NOT NULL REFERENCES terminals (id),
    holder_id    BIGINT REFERENCES holders (id),
    request_id   TEXT NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('allow', 'deny')),
    reason       TEXT NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX passages_request ON passages (terminal_id, request_id);
CREATE INDEX passages_holder ON passages (holder_id, id);

-- The denylist terminals keep offline: each loss report and cancellation is an
-- event; a terminal asks for the events after the version it has.
CREATE TABLE denylist_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id   BIGINT NOT NULL REFERENCES schools (id),
    holder_id   BIGINT NOT NULL REFERENCES holders (id),
    action      TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    created_at  DATETIME NOT NULL
);
CREATE INDEX denylist_events_school ON denylist_events (school_id, id);

-- +goose Down
DROP TABLE denylist_events;
DROP TABLE passages;
DROP INDEX entries_code;
ALTER TABLE entries DROP COLUMN code_seq;
