-- +goose Up
-- Physical cards, offline purse spending and its anomalies.

-- A card is a chip UID belonging to a holder. A holder has at most one active
-- card; a replaced card stays, refused, so its offline spending still settles
-- and its purse balance can move to the new card after the waiting period.
CREATE TABLE cards (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id         BIGINT NOT NULL REFERENCES schools (id),
    holder_id         BIGINT NOT NULL REFERENCES holders (id),
    uid               TEXT NOT NULL CHECK (length(uid) BETWEEN 4 AND 32),
    status            TEXT NOT NULL CHECK (status IN ('active', 'lost', 'replaced', 'closed')),
    issued_at         DATETIME NOT NULL,
    replaced_at       DATETIME,
    replaced_by       BIGINT REFERENCES cards (id),
    -- The ledger purse when the card was replaced: what its chip held then.
    purse_at_replace  BIGINT NOT NULL DEFAULT 0,
    purse_moved       BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((status = 'replaced') = (replaced_at IS NOT NULL))
);
CREATE UNIQUE INDEX cards_uid ON cards (uid);
CREATE UNIQUE INDEX cards_one_active ON cards (holder_id) WHERE status = 'active';
CREATE INDEX cards_school ON cards (school_id, id);
CREATE INDEX cards_replaced ON cards (replaced_at) WHERE status = 'replaced' AND NOT purse_moved;

-- The denylist also names replaced cards, refused offline by uid.
ALTER TABLE denylist_events ADD COLUMN card_uid TEXT;

-- Offline purse debits uploaded by tills; each (terminal, card, counter)
-- settles once. debt_fen is the part that took the purse below zero.
CREATE TABLE offline_records (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id    BIGINT NOT NULL REFERENCES schools (id),
    terminal_id  TEXT NOT NULL REFERENCES terminals (id),
    card_id      BIGINT NOT NULL REFERENCES cards (id),
    holder_id    BIGINT NOT NULL REFERENCES holders (id),
    counter      BIGINT NOT NULL CHECK (counter >= 0),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen > 0),
    debt_fen     BIGINT NOT NULL CHECK (debt_fen >= 0 AND debt_fen <= amount_fen),
    entry_id     BIGINT NOT NULL REFERENCES entries (id),
    occurred_at  DATETIME NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX offline_records_key ON offline_records (terminal_id, card_id, counter);
CREATE INDEX offline_records_card ON offline_records (card_id, counter);
CREATE INDEX offline_records_holder ON offline_records (holder_id) WHERE debt_fen > 0;

-- Gaps and repeats in a card's transaction counter, for the card office.
CREATE TABLE offline_anomalies (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id    BIGINT NOT NULL REFERENCES schools (id),
    terminal_id  TEXT NOT NULL REFERENCES terminals (id),
    card_uid     TEXT NOT NULL,
    counter      BIGINT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'repeat')),
    detail       TEXT NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX offline_anomalies_once ON offline_anomalies (terminal_id, card_uid, counter, kind);
CREATE INDEX offline_anomalies_school ON offline_anomalies (school_id, id);

-- A card purse may go below zero, but only by settled offline spending, within
-- the school's offline cap (Verify checks the cap). SQLite cannot change a
-- CHECK in place: the accounts table is rebuilt with the same rows and ids;
-- the foreign keys to it are checked at commit.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE accounts_copy AS SELECT * FROM accounts;
DROP TABLE accounts;
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
    CHECK (holder_id IS NULL OR balance_fen - held_fen >= 0 OR (kind = 'purse' AND held_fen = 0))
);
INSERT INTO accounts (id, school_id, holder_id, merchant_id, kind, balance_fen, held_fen, created_at)
    SELECT id, school_id, holder_id, merchant_id, kind, balance_fen, held_fen, created_at FROM accounts_copy;
DROP TABLE accounts_copy;
CREATE UNIQUE INDEX accounts_holder_kind ON accounts (holder_id, kind) WHERE holder_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_merchant ON accounts (merchant_id) WHERE merchant_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_system_kind ON accounts (school_id, kind) WHERE holder_id IS NULL AND merchant_id IS NULL;

-- +goose Down
DROP TABLE offline_anomalies;
DROP TABLE offline_records;
ALTER TABLE denylist_events DROP COLUMN card_uid;
DROP TABLE cards;
