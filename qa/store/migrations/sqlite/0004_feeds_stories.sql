-- News feeds (qa/feeds): one row per followed feed, with its conditional-GET validators, the outcome of its last
-- poll and the lease a running poll holds on it (so a poll is never started twice, across processes too).
CREATE TABLE IF NOT EXISTS feeds (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT,
    interval_s INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_polled_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    lease_owner TEXT,
    lease_expires REAL
);
-- The entries of a feed already dealt with (stored, unchanged, or skipped with a reason): never fetched again.
CREATE TABLE IF NOT EXISTS feed_entries (
    feed_id TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    article_id TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
CREATE INDEX IF NOT EXISTS feed_entries_article ON feed_entries(article_id);
-- Stories (qa/stories.py): each article's MinHash signature, the story it belongs to, when it was first seen (an
-- update keeps it) and its LSH band keys, so near-duplicates are found by one indexed lookup.
CREATE TABLE IF NOT EXISTS article_stories (
    article_id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL,
    signature BLOB NOT NULL,
    source TEXT,
    first_seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS article_stories_story ON article_stories(story_id);
CREATE INDEX IF NOT EXISTS article_stories_first_seen ON article_stories(first_seen_at);
CREATE TABLE IF NOT EXISTS story_bands (
    band_key TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (band_key, article_id)
);
CREATE INDEX IF NOT EXISTS story_bands_article ON story_bands(article_id);
