-- +goose Up
-- When the gateway last heard from a terminal, for the office's list; written
-- at most once a minute per terminal.
ALTER TABLE terminals ADD COLUMN last_seen_at TIMESTAMPTZ;

-- The per-merchant daily settlement report reads a school's entries by time.
CREATE INDEX entries_school_time ON entries (school_id, created_at);

-- +goose Down
DROP INDEX entries_school_time;
ALTER TABLE terminals DROP COLUMN last_seen_at;
