-- The verifier's sentence vectors of each article (qa/sentence_vectors.py), computed at ingest and written in the
-- transaction that makes the article ready, so that checking an LLM answer never waits for its sources to be
-- embedded. content_hash names the version of the article they were computed from: vectors of another version are
-- never used. Stores from before have none: the verifier embeds on demand and the answer engine stores them.
CREATE TABLE IF NOT EXISTS sentence_vectors (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    encoder TEXT NOT NULL,
    spans BLOB NOT NULL,
    vectors BLOB NOT NULL
);
