-- Articles are found by their canonical URL when an upload has no id (ArticleStore.id_for_url).
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
