//! SQL for tags.

use super::error::DbResult;
use crate::domain::{ArticleId, Tag};
use deadpool_postgres::GenericClient;

/// Tags in use, most used first: an index scan of the counts the schema keeps on each tag
/// (migration V3), instead of counting every article's links on every read.
pub async fn in_use(db: &impl GenericClient) -> DbResult<Vec<String>> {
    let _timed = super::timed("tags_in_use");
    let stmt = db
        .prepare_cached(
            "SELECT name FROM tags WHERE article_count > 0 ORDER BY article_count DESC, name",
        )
        .await?;
    Ok(db
        .query(&stmt, &[])
        .await?
        .into_iter()
        .map(|r| r.get("name"))
        .collect())
}

/// Makes sure every tag exists and links exactly these tags to the article.
pub async fn set_for_article(
    db: &impl GenericClient,
    article_id: ArticleId,
    tags: &[Tag],
) -> DbResult<()> {
    let article_id = article_id.get();
    // In one order for every writer: two inserting the same new tags in opposite orders would
    // each wait for the other's uncommitted row (a deadlock).
    let mut tags: Vec<&str> = tags.iter().map(Tag::as_str).collect();
    tags.sort_unstable();
    tags.dedup();
    let _timed = super::timed("tags_set_for_article");
    let insert = db
        .prepare_cached(
            "INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING",
        )
        .await?;
    // Linking and unlinking move the tags' use counts (a trigger): lock those rows first, in
    // id order, so that two writers sharing tags wait for each other instead of deadlocking.
    let lock = db
        .prepare_cached(
            "SELECT 1 FROM tags WHERE name = ANY($2)
                OR id IN (SELECT tag_id FROM article_tags WHERE article_id = $1)
             ORDER BY id FOR NO KEY UPDATE",
        )
        .await?;
    let unlink = db
        .prepare_cached("DELETE FROM article_tags WHERE article_id = $1")
        .await?;
    let link = db
        .prepare_cached("INSERT INTO article_tags (article_id, tag_id) SELECT $1, id FROM tags WHERE name = ANY($2) ORDER BY id")
        .await?;
    // The article row keeps a sorted copy for lists.
    let copy = db
        .prepare_cached(
            "UPDATE articles SET tag_list = ARRAY(SELECT t.name FROM article_tags at
                 JOIN tags t ON t.id = at.tag_id WHERE at.article_id = $1 ORDER BY t.name)
             WHERE id = $1",
        )
        .await?;
    if !tags.is_empty() {
        db.execute(&insert, &[&tags]).await?;
    }
    db.execute(&lock, &[&article_id, &tags]).await?;
    db.execute(&unlink, &[&article_id]).await?;
    if !tags.is_empty() {
        db.execute(&link, &[&article_id, &tags]).await?;
    }
    db.execute(&copy, &[&article_id]).await?;
    Ok(())
}
