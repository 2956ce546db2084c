-- The injected sentences of each article (text addressed to a model, never evidence), found at ingest so that a
-- question does not run the classifier over every cited article again (qa.injection.article_injected_spans): JSON
-- {"model": ..., "spans": [[start, end], ...]}. NULL for rows stored before this column, and a value under another
-- model is stale: both are recomputed when read, and rewritten by the next ingest or `qa reindex`.
ALTER TABLE articles ADD COLUMN IF NOT EXISTS injected TEXT;
