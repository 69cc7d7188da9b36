-- +goose Up
-- Subsidy batches: the office grants a batch of subsidies once per
-- idempotency key; each line is a grant entry from the school's subsidy fund
-- to one holder's subsidy account. A line tracks where its money went:
--   amount = spent (by payments, FIFO by expiry) + expired (back to the fund
--   by the expiry job) + returned (back to the fund when the account closed)
--   + remaining.
CREATE TABLE subsidy_batches (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id        BIGINT NOT NULL REFERENCES schools (id),
    name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    idempotency_key  TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    fingerprint      TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('issued')),
    line_count       INTEGER NOT NULL CHECK (line_count > 0),
    issued_fen       BIGINT NOT NULL CHECK (issued_fen > 0),
    created_by       TEXT NOT NULL,
    created_at       DATETIME NOT NULL
);
CREATE UNIQUE INDEX subsidy_batches_key ON subsidy_batches (school_id, idempotency_key);
CREATE INDEX subsidy_batches_school ON subsidy_batches (school_id, id);

CREATE TABLE subsidy_lines (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id         BIGINT NOT NULL REFERENCES subsidy_batches (id),
    school_id        BIGINT NOT NULL REFERENCES schools (id),
    holder_id        BIGINT NOT NULL REFERENCES holders (id),
    line_no          INTEGER NOT NULL CHECK (line_no > 0),
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    spent_fen        BIGINT NOT NULL CHECK (spent_fen >= 0),
    expired_fen      BIGINT NOT NULL CHECK (expired_fen >= 0),
    returned_fen     BIGINT NOT NULL CHECK (returned_fen >= 0),
    remaining_fen    BIGINT NOT NULL CHECK (remaining_fen >= 0),
    expires_at       DATETIME NOT NULL,
    grant_entry_id   BIGINT NOT NULL REFERENCES entries (id),
    created_at       DATETIME NOT NULL,
    CHECK (spent_fen + expired_fen + returned_fen + remaining_fen = amount_fen)
);
CREATE UNIQUE INDEX subsidy_lines_batch ON subsidy_lines (batch_id, line_no);
CREATE UNIQUE INDEX subsidy_lines_grant ON subsidy_lines (grant_entry_id);
CREATE INDEX subsidy_lines_holder ON subsidy_lines (holder_id, expires_at, id) WHERE remaining_fen > 0;
CREATE INDEX subsidy_lines_due ON subsidy_lines (expires_at, id) WHERE remaining_fen > 0;

-- Which lines a payment spent (positive) and a refund gave back (negative),
-- so a refund restores exactly the lines its payment used.
CREATE TABLE subsidy_uses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    line_id     BIGINT NOT NULL REFERENCES subsidy_lines (id),
    entry_id    BIGINT NOT NULL REFERENCES entries (id),
    payment_id  BIGINT NOT NULL REFERENCES entries (id),
    amount_fen  BIGINT NOT NULL CHECK (amount_fen <> 0)
);
CREATE INDEX subsidy_uses_payment ON subsidy_uses (payment_id, line_id);
CREATE INDEX subsidy_uses_line ON subsidy_uses (line_id);

-- A closed account (graduation, a visitor leaving): what was paid out at the
-- counter, how, and the receipt. One per holder: closing twice answers this.
CREATE TABLE holder_closings (
    holder_id             BIGINT PRIMARY KEY REFERENCES holders (id),
    school_id             BIGINT NOT NULL REFERENCES schools (id),
    method                TEXT NOT NULL CHECK (method IN ('cash', 'bank')),
    reference             TEXT NOT NULL CHECK (length(reference) <= 64),
    receipt               TEXT NOT NULL,
    wallet_refund_fen     BIGINT NOT NULL CHECK (wallet_refund_fen >= 0),
    pending_refund_fen    BIGINT NOT NULL CHECK (pending_refund_fen >= 0),
    purse_refund_fen      BIGINT NOT NULL CHECK (purse_refund_fen >= 0),
    subsidy_returned_fen  BIGINT NOT NULL CHECK (subsidy_returned_fen >= 0),
    payout_entry_id       BIGINT REFERENCES entries (id),
    subsidy_entry_id      BIGINT REFERENCES entries (id),
    closed_by             TEXT NOT NULL,
    created_at            DATETIME NOT NULL
);
CREATE UNIQUE INDEX holder_closings_receipt ON holder_closings (receipt);

-- The inactivity freeze job looks for active holders by last activity.
CREATE INDEX holders_activity ON holders (school_id, status, last_active_at);
CREATE INDEX holders_kind ON holders (school_id, kind, id);

-- +goose Down
DROP INDEX holders_kind;
DROP INDEX holders_activity;
DROP TABLE holder_closings;
DROP TABLE subsidy_uses;
DROP TABLE subsidy_lines;
DROP TABLE subsidy_batches;
