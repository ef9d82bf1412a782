-- The popular-tags list is read on every home page: counting each tag's links per read grows
-- with the number of articles, a count kept on the tag row does not. A trigger keeps it in
-- step with every change of article_tags, the cascades from deleted articles included.
ALTER TABLE tags ADD COLUMN article_count bigint NOT NULL DEFAULT 0 CHECK (article_count >= 0);

UPDATE tags t SET article_count = (SELECT count(*) FROM article_tags at WHERE at.tag_id = t.id);

CREATE INDEX tags_in_use_idx ON tags (article_count DESC, name) WHERE article_count > 0;

CREATE FUNCTION count_tag_uses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE tags SET article_count = article_count + 1 WHERE id = NEW.tag_id;
    ELSE
        UPDATE tags SET article_count = article_count - 1 WHERE id = OLD.tag_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER article_tags_count_uses AFTER INSERT OR DELETE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION count_tag_uses();
