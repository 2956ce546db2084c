-- BM25 from the postings alone (qa/store/postgres.py). Each posting carries its chunk's length (chunks are only
-- ever inserted and deleted, never changed, so the copy can't go stale), in the lexeme index with the counts: a
-- question's chunks are scored from an index-only scan of its lexemes' postings, and joined to their articles
-- once per scored chunk, not to their chunk row once per posting. Measured at 100k chunks: the chunk lookups were
-- most of the query (6,140 postings: 25 ms, 9 ms without them). The table is rebuilt rather than updated in place
-- (no dead copy of every posting), keeping its columns' order; its indexes and cascade as migration 0005 left them.
CREATE TABLE chunk_terms_lengths (
    article_id TEXT COLLATE "C" NOT NULL,
    chunk_index INTEGER NOT NULL,
    lexeme TEXT COLLATE "C" NOT NULL,
    n_text SMALLINT NOT NULL,
    n_title SMALLINT NOT NULL,
    n_tokens INTEGER NOT NULL
);
INSERT INTO chunk_terms_lengths (article_id, chunk_index, lexeme, n_text, n_title, n_tokens)
SELECT p.article_id, p.chunk_index, p.lexeme, p.n_text, p.n_title, c.n_tokens
FROM chunk_terms p JOIN chunks c ON c.article_id = p.article_id AND c.chunk_index = p.chunk_index;
DROP TABLE chunk_terms;
ALTER TABLE chunk_terms_lengths RENAME TO chunk_terms;
ALTER TABLE chunk_terms ADD CONSTRAINT chunk_terms_pkey
    PRIMARY KEY (lexeme, article_id, chunk_index) INCLUDE (n_text, n_title, n_tokens);
CREATE INDEX chunk_terms_chunk ON chunk_terms (article_id, chunk_index);
ALTER TABLE chunk_terms ADD CONSTRAINT chunk_terms_chunk_fkey
    FOREIGN KEY (article_id, chunk_index) REFERENCES chunks (article_id, chunk_index) ON DELETE CASCADE;
-- What lexical search reads of an article (its state and the filters' columns), by id, without its row: the BM25
-- query hashes the articles its filters keep from an index-only scan of this (1 ms at 11k articles; 4 ms from the
-- table, whose rows carry the bodies).
CREATE INDEX articles_filter ON articles (id) INCLUDE (state, published_at, source);
ANALYZE chunk_terms;
ANALYZE articles;
