-- Postings for BM25 in SQL (qa/store/postgres.py): one row per (lexeme, chunk) with the lexeme's occurrences in the
-- chunk text (weight A) and in the title (weight B), so a question is scored by one indexed aggregate over its
-- lexemes' rows instead of ts_rank_cd on every matching chunk's tsvector. Counts, not a weighted term frequency: the
-- title's weight stays a tunable (qa/store/lexical.py) applied at query time. Written with the chunk rows and
-- removed with them (ON DELETE CASCADE, found through the primary key).
CREATE TABLE chunk_terms (
    article_id TEXT COLLATE "C" NOT NULL,
    chunk_index INTEGER NOT NULL,
    lexeme TEXT COLLATE "C" NOT NULL,
    n_text SMALLINT NOT NULL,
    n_title SMALLINT NOT NULL,
    PRIMARY KEY (article_id, chunk_index, lexeme),
    FOREIGN KEY (article_id, chunk_index) REFERENCES chunks (article_id, chunk_index) ON DELETE CASCADE
);
-- Existing chunks get their postings from their tsvectors (each position carries its label).
INSERT INTO chunk_terms (article_id, chunk_index, lexeme, n_text, n_title)
SELECT c.article_id, c.chunk_index, t.lexeme, COUNT(*) FILTER (WHERE w = 'A'), COUNT(*) FILTER (WHERE w = 'B')
FROM chunks c, unnest(c.tsv) AS t, unnest(t.weights) AS w
GROUP BY c.article_id, c.chunk_index, t.lexeme;
-- A question reads its lexemes' postings from this index alone (an index-only scan once the table is vacuumed).
CREATE INDEX chunk_terms_lexeme ON chunk_terms (lexeme) INCLUDE (article_id, chunk_index, n_text, n_title);
ANALYZE chunk_terms;
-- Lexical search no longer matches tsvectors (they remain the postings' source): their GIN index only cost writes.
DROP INDEX chunks_tsv;
