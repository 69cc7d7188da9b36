-- +goose Up
-- Top-up orders: money entering from a payment provider. An order is credited
-- once (its credit entry's idempotency key is "topup:<order_no>"), refunded at
-- most once, and its status only moves forward:
--   created -> paid -> refunding -> refunded, or back to paid when the provider
--   refuses the refund. A refund holds the money in the holder's account first
--   (a two-phase transfer), so only unspent money can be refunded.
--   created -> closed (-> paid, when the provider did take the money after all)
CREATE TABLE topup_orders (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id          BIGINT NOT NULL REFERENCES schools (id),
    order_no           TEXT NOT NULL CHECK (length(order_no) BETWEEN 6 AND 32),
    holder_id          BIGINT NOT NULL REFERENCES holders (id),
    channel            TEXT NOT NULL CHECK (channel IN ('wechatpay', 'alipay', 'sandbox')),
    scene              TEXT NOT NULL CHECK (scene IN ('jsapi', 'h5', 'app')),
    payer              TEXT NOT NULL CHECK (payer IN ('holder', 'parent')),
    amount_fen         BIGINT NOT NULL CHECK (amount_fen > 0),
    to_card            BOOLEAN NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('created', 'paid', 'closed', 'refunding', 'refunded')),
    provider_txn_id    TEXT NOT NULL,
    credit_entry_id    BIGINT REFERENCES entries (id),
    refund_entry_id    BIGINT REFERENCES entries (id),
    refund_no          TEXT NOT NULL,
    refund_attempts    INTEGER NOT NULL CHECK (refund_attempts >= 0),
    provider_refund_id TEXT NOT NULL,
    client_ip          TEXT NOT NULL,
    phone              TEXT NOT NULL,
    created_at         DATETIME NOT NULL,
    expires_at         DATETIME NOT NULL,
    paid_at            DATETIME,
    closed_at          DATETIME,
    refunded_at        DATETIME,
    CHECK ((status IN ('paid', 'refunding', 'refunded')) = (credit_entry_id IS NOT NULL)),
    CHECK ((status IN ('refunding', 'refunded')) = (refund_entry_id IS NOT NULL))
);
CREATE UNIQUE INDEX topup_orders_no ON topup_orders (order_no);
CREATE UNIQUE INDEX topup_orders_credit ON topup_orders (credit_entry_id) WHERE credit_entry_id IS NOT NULL;
CREATE INDEX topup_orders_open ON topup_orders (status, created_at);
CREATE INDEX topup_orders_holder ON topup_orders (holder_id, id);
CREATE INDEX topup_orders_paid ON topup_orders (school_id, channel, paid_at);

-- Leases keep a scheduled job on one node at a time.
CREATE TABLE job_leases (
    name        TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    owner       TEXT NOT NULL,
    expires_at  DATETIME NOT NULL
);

-- Each reconciliation of a provider's daily bill against the ledger, with
-- its report (JSON), so the office can look back at what matched.
CREATE TABLE reconciliations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    provider        TEXT NOT NULL CHECK (provider IN ('wechatpay', 'alipay')),
    bill_date       TEXT NOT NULL,
    ok              BOOLEAN NOT NULL,
    bill_lines      INTEGER NOT NULL,
    ledger_records  INTEGER NOT NULL,
    matched         INTEGER NOT NULL,
    problems        INTEGER NOT NULL,
    report          TEXT NOT NULL,
    run_by          TEXT NOT NULL,
    created_at      DATETIME NOT NULL
);
CREATE INDEX reconciliations_date ON reconciliations (provider, bill_date);

-- Every admin action: who, what, when, from where, and the outcome.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id    BIGINT REFERENCES admins (id),
    username    TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    ip          TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX audit_log_admin ON audit_log (username, id);

-- +goose StatementBegin
CREATE TRIGGER audit_log_immutable_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_immutable_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_log_immutable_delete;
DROP TRIGGER audit_log_immutable_update;
DROP TABLE audit_log;
DROP TABLE reconciliations;
DROP TABLE job_leases;
DROP TABLE topup_orders;
