-- +goose Up
-- The schema enforces what it can: unique idempotency keys, one holder number per
-- school, holder accounts that never go below zero, transfers that never change.

CREATE TABLE schools (
    id                           INTEGER PRIMARY KEY AUTOINCREMENT,
    code                         TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 32),
    name                         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    pinyin                       TEXT NOT NULL,
    timezone                     TEXT NOT NULL,
    per_payment_limit_fen        BIGINT NOT NULL CHECK (per_payment_limit_fen > 0),
    per_day_limit_fen            BIGINT NOT NULL CHECK (per_day_limit_fen > 0),
    login_max_failures           INTEGER NOT NULL CHECK (login_max_failures > 0),
    login_lockout_seconds        INTEGER NOT NULL CHECK (login_lockout_seconds > 0),
    pin_max_failures             INTEGER NOT NULL CHECK (pin_max_failures > 0),
    inactivity_freeze_days       INTEGER NOT NULL CHECK (inactivity_freeze_days > 0),
    replacement_wait_days        INTEGER NOT NULL CHECK (replacement_wait_days >= 0),
    replacement_fee_fen          BIGINT NOT NULL CHECK (replacement_fee_fen >= 0),
    code_lifetime_seconds        INTEGER NOT NULL CHECK (code_lifetime_seconds BETWEEN 10 AND 600),
    offline_cap_per_payment_fen  BIGINT NOT NULL CHECK (offline_cap_per_payment_fen >= 0),
    offline_cap_per_holder_fen   BIGINT NOT NULL CHECK (offline_cap_per_holder_fen >= 0),
    topup_min_fen                BIGINT NOT NULL CHECK (topup_min_fen > 0),
    topup_max_fen                BIGINT NOT NULL CHECK (topup_max_fen >= topup_min_fen),
    initial_password_rule        TEXT NOT NULL,
    frozen_may_pass_gates        BOOLEAN NOT NULL,
    created_at                   DATETIME NOT NULL
);

CREATE TABLE holders (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id              BIGINT NOT NULL REFERENCES schools (id),
    number                 TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 32),
    name                   TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    kind                   TEXT NOT NULL CHECK (kind IN ('student', 'staff', 'visitor')),
    status                 TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'closed')),
    lost                   BOOLEAN NOT NULL,
    expires_at             DATETIME,
    dorm_building          TEXT NOT NULL,
    password_hash          TEXT NOT NULL,
    pin_hash               TEXT NOT NULL,
    must_change_password   BOOLEAN NOT NULL,
    must_change_pin        BOOLEAN NOT NULL,
    per_payment_limit_fen  BIGINT CHECK (per_payment_limit_fen > 0),
    per_day_limit_fen      BIGINT CHECK (per_day_limit_fen > 0),
    login_failures         INTEGER NOT NULL CHECK (login_failures >= 0),
    locked_until           DATETIME,
    pin_failures           INTEGER NOT NULL CHECK (pin_failures >= 0),
    last_active_at         DATETIME,
    created_at             DATETIME NOT NULL,
    updated_at             DATETIME NOT NULL,
    UNIQUE (school_id, number)
);

CREATE TABLE merchants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id   BIGINT NOT NULL REFERENCES schools (id),
    code        TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 32),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    status      TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at  DATETIME NOT NULL,
    UNIQUE (school_id, code)
);

CREATE TABLE terminals (
    id            TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    school_id     BIGINT NOT NULL REFERENCES schools (id),
    kind          TEXT NOT NULL CHECK (kind IN ('pos', 'gate', 'kiosk')),
    merchant_id   BIGINT REFERENCES merchants (id),
    place         TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at    DATETIME NOT NULL,
    CHECK (kind <> 'pos' OR merchant_id IS NOT NULL)
);

CREATE TABLE admins (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('superadmin', 'operator', 'auditor')),
    login_failures  INTEGER NOT NULL CHECK (login_failures >= 0),
    locked_until    DATETIME,
    created_at      DATETIME NOT NULL
);

-- Accounts: balance_fen moves only through transfers; held_fen is the part of it
-- reserved by unresolved holds. Holder accounts never go below zero.
CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id    BIGINT NOT NULL REFERENCES schools (id),
    holder_id    BIGINT REFERENCES holders (id),
    merchant_id  BIGINT REFERENCES merchants (id),
    kind         TEXT NOT NULL CHECK (kind IN ('wallet', 'subsidy', 'pending', 'purse', 'merchant',
                     'wechatpay', 'alipay', 'sandbox', 'bank', 'cash', 'subsidy_fund', 'fees')),
    balance_fen  BIGINT NOT NULL,
    held_fen     BIGINT NOT NULL CHECK (held_fen >= 0),
    created_at   DATETIME NOT NULL,
    CHECK ((kind IN ('wallet', 'subsidy', 'pending', 'purse')) = (holder_id IS NOT NULL)),
    CHECK ((kind = 'merchant') = (merchant_id IS NOT NULL)),
    CHECK (holder_id IS NULL OR balance_fen - held_fen >= 0)
);
CREATE UNIQUE INDEX accounts_holder_kind ON accounts (holder_id, kind) WHERE holder_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_merchant ON accounts (merchant_id) WHERE merchant_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_system_kind ON accounts (school_id, kind) WHERE holder_id IS NULL AND merchant_id IS NULL;

-- Entries: one per operation (a payment, a top-up, a refund ...), unique by
-- idempotency key. refunded_fen is the only column that changes after insert.
CREATE TABLE entries (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id          BIGINT NOT NULL REFERENCES schools (id),
    idempotency_key    TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    fingerprint        TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('topup', 'payment', 'refund', 'grant', 'move', 'reserve', 'post', 'void')),
    channel            TEXT NOT NULL,
    holder_id          BIGINT REFERENCES holders (id),
    merchant_id        BIGINT REFERENCES merchants (id),
    terminal_id        TEXT,
    amount_fen         BIGINT NOT NULL CHECK (amount_fen > 0),
    refunded_fen       BIGINT NOT NULL CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
    refund_of          BIGINT REFERENCES entries (id),
    hold_of            BIGINT REFERENCES entries (id),
    balance_after_fen  BIGINT NOT NULL,
    memo               TEXT NOT NULL,
    created_at         DATETIME NOT NULL,
    CHECK ((kind = 'refund') = (refund_of IS NOT NULL)),
    CHECK ((kind IN ('post', 'void')) = (hold_of IS NOT NULL))
);
CREATE UNIQUE INDEX entries_idempotency_key ON entries (idempotency_key);
-- A hold is resolved once: posted or voided, never both, never twice.
CREATE UNIQUE INDEX entries_hold_resolution ON entries (hold_of) WHERE hold_of IS NOT NULL;
CREATE INDEX entries_holder ON entries (holder_id, id);
CREATE INDEX entries_merchant ON entries (merchant_id, id);
CREATE INDEX entries_refund_of ON entries (refund_of) WHERE refund_of IS NOT NULL;

CREATE TABLE transfers (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id         BIGINT NOT NULL REFERENCES entries (id),
    school_id        BIGINT NOT NULL REFERENCES schools (id),
    from_account_id  BIGINT NOT NULL REFERENCES accounts (id),
    to_account_id    BIGINT NOT NULL REFERENCES accounts (id),
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    created_at       DATETIME NOT NULL,
    CHECK (from_account_id <> to_account_id)
);
CREATE INDEX transfers_entry ON transfers (entry_id);
CREATE INDEX transfers_from ON transfers (from_account_id);
CREATE INDEX transfers_to ON transfers (to_account_id);

-- A hold reserves amount_fen of from_account until it is posted or voided.
CREATE TABLE holds (
    entry_id         BIGINT PRIMARY KEY REFERENCES entries (id),
    school_id        BIGINT NOT NULL REFERENCES schools (id),
    from_account_id  BIGINT NOT NULL REFERENCES accounts (id),
    to_account_id    BIGINT NOT NULL REFERENCES accounts (id),
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    expires_at       DATETIME NOT NULL,
    CHECK (from_account_id <> to_account_id)
);

-- Spending per holder per school-local day, for the per-day limit.
CREATE TABLE spending_days (
    holder_id  BIGINT NOT NULL REFERENCES holders (id),
    day        TEXT NOT NULL,
    spent_fen  BIGINT NOT NULL CHECK (spent_fen >= 0),
    PRIMARY KEY (holder_id, day)
);

-- +goose StatementBegin
CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'transfers rows are immutable'); END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN SELECT RAISE(ABORT, 'transfers rows are immutable'); END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER holds_no_update BEFORE UPDATE ON holds
BEGIN SELECT RAISE(ABORT, 'holds rows are immutable'); END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER holds_no_delete BEFORE DELETE ON holds
BEGIN SELECT RAISE(ABORT, 'holds rows are immutable'); END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries rows are immutable'); END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER entries_guard BEFORE UPDATE ON entries
WHEN NEW.idempotency_key <> OLD.idempotency_key OR NEW.kind <> OLD.kind OR NEW.amount_fen <> OLD.amount_fen
  OR NEW.school_id <> OLD.school_id OR NEW.created_at <> OLD.created_at OR NEW.refunded_fen < OLD.refunded_fen
BEGIN SELECT RAISE(ABORT, 'entries change only by growing refunded_fen'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE spending_days;
DROP TABLE holds;
DROP TABLE transfers;
DROP TABLE entries;
DROP TABLE accounts;
DROP TABLE admins;
DROP TABLE terminals;
DROP TABLE merchants;
DROP TABLE holders;
DROP TABLE schools;
