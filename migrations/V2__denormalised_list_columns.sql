-- Lists show each article's tags and favourite count. Keeping both on the article row (kept
-- in step by the statements that change them) spares two correlated subqueries per listed row.
ALTER TABLE articles
    ADD COLUMN favorites_count bigint NOT NULL DEFAULT 0 CHECK (favorites_count >= 0),
    ADD COLUMN tag_list text[] NOT NULL DEFAULT '{}';

UPDATE articles a SET
    favorites_count = (SELECT count(*) FROM favorites f WHERE f.article_id = a.id),
    tag_list = ARRAY(SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
                     WHERE at.article_id = a.id ORDER BY t.name);
