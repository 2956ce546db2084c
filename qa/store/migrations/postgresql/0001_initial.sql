-- Articles, chunk offsets and the lexical index (a tsvector per chunk, GIN-indexed), as SQLite's schema 3.
-- Ids sort bytewise (COLLATE "C"), like SQLite's, whatever the database's locale.
CREATE TABLE articles (
    id TEXT COLLATE "C" PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at DATE,
    source TEXT,
    url TEXT,
    authors TEXT[] NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('indexing', 'ready', 'deleting')),
    n_chunks INTEGER NOT NULL DEFAULT 0,
    ingested_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX articles_published ON articles (published_at);
CREATE INDEX articles_source ON articles (source);
CREATE INDEX articles_state ON articles (state);
CREATE INDEX articles_url ON articles (url);
-- One row per chunk: its offsets in the article body and its words (title weight B, chunk text weight A), written
-- in the same transaction as the article row, so lexical search never disagrees with the stored text.
CREATE TABLE chunks (
    article_id TEXT COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    tsv TSVECTOR NOT NULL,
    PRIMARY KEY (article_id, chunk_index)
);
CREATE INDEX chunks_tsv ON chunks USING GIN (tsv);
