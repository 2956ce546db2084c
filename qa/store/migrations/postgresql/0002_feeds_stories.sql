-- News feeds and stories (qa/feeds, qa/stories.py), as SQLite's migration 0004: followed feeds with their
-- validators, last poll outcome and lease; the entries already dealt with; each article's story, MinHash signature
-- and first-seen time; the LSH band keys that find near-duplicates in one indexed lookup.
CREATE TABLE feeds (
    id TEXT COLLATE "C" PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT,
    interval_s INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_polled_at TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ,
    last_error TEXT,
    last_error_at TIMESTAMPTZ,
    lease_owner TEXT,
    lease_expires DOUBLE PRECISION
);
CREATE TABLE feed_entries (
    feed_id TEXT COLLATE "C" NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    article_id TEXT COLLATE "C",
    status TEXT NOT NULL,
    reason TEXT,
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
CREATE INDEX feed_entries_article ON feed_entries (article_id);
CREATE TABLE article_stories (
    article_id TEXT COLLATE "C" PRIMARY KEY,
    story_id TEXT COLLATE "C" NOT NULL,
    signature BYTEA NOT NULL,
    source TEXT,
    first_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX article_stories_story ON article_stories (story_id);
CREATE INDEX article_stories_first_seen ON article_stories (first_seen_at);
CREATE TABLE story_bands (
    band_key TEXT COLLATE "C" NOT NULL,
    article_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (band_key, article_id)
);
CREATE INDEX story_bands_article ON story_bands (article_id);
