-- BM25 in SQL (qa/store/postgres.py) needs each chunk's length in indexed words (title and text, stop words left
-- out), as FTS5 keeps it for SQLite. Existing rows get it from their tsvector.
ALTER TABLE chunks ADD COLUMN n_tokens INTEGER;
UPDATE chunks SET n_tokens = (SELECT COALESCE(SUM(array_length(positions, 1)), 0) FROM unnest(tsv));
ALTER TABLE chunks ALTER COLUMN n_tokens SET NOT NULL;
