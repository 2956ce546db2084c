-- Articles, chunk offsets and the FTS5 index for BM25 (IF NOT EXISTS: stores made before versioning adopt it).
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT,
    source TEXT,
    url TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    n_chunks INTEGER NOT NULL DEFAULT 0,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published_at);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_state ON articles(state);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    UNIQUE(article_id, chunk_index)
);
-- BM25 over chunk text and the article title (porter stemming); rowid = chunks.rowid.
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(title, text, tokenize = 'porter unicode61 remove_diacritics 2');
