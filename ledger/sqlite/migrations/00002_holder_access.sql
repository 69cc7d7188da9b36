-- +goose Up
-- WeChat binding: one openid (per mini-program) names at most one holder.
ALTER TABLE holders ADD COLUMN wechat_openid TEXT;
CREATE UNIQUE INDEX holders_wechat_openid ON holders (wechat_openid) WHERE wechat_openid IS NOT NULL;

-- Outbox: notices written in the same transaction as the money they announce,
-- delivered at least once by a sender that never blocks or undoes money.
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id       BIGINT NOT NULL REFERENCES schools (id),
    holder_id       BIGINT NOT NULL REFERENCES holders (id),
    entry_id        BIGINT REFERENCES entries (id),
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    sent_at         DATETIME,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL
);
CREATE INDEX notices_due ON notices (next_attempt_at) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE notices;
DROP INDEX holders_wechat_openid;
ALTER TABLE holders DROP COLUMN wechat_openid;
