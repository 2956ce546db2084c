-- The FTS5 index keeps no copy of any text. It used to store each chunk's text and its article's title once per
-- chunk (a 1,000,000-character title was stored 39 times over); now it reads them, when it needs them, from the
-- articles they come from through the chunk_texts view (an "external content" FTS5 table). The index itself is
-- the same: a chunk's title words still count for it (BM25 weighs them half), so ranking does not change.
DROP TABLE IF EXISTS chunks_fts;
CREATE VIEW IF NOT EXISTS chunk_texts AS
    SELECT c.rowid AS chunk_rowid, a.title AS title, substr(a.body, c.start + 1, c."end" - c.start) AS text
    FROM chunks c JOIN articles a ON a.id = c.article_id;
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    title, text, content = 'chunk_texts', content_rowid = 'chunk_rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');
