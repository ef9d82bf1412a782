//! SQL for tags.

use super::error::DbResult;
use crate::domain::{ArticleId, Tag};
use deadpool_postgres::GenericClient;

/// Tags in use, most used first.
pub async fn in_use(db: &impl GenericClient) -> DbResult<Vec<String>> {
    let _timed = super::timed("tags_in_use");
    let stmt = db
        .prepare_cached(
            "SELECT t.name FROM tags t JOIN article_tags at ON at.tag_id = t.id
             GROUP BY t.id, t.name ORDER BY count(*) DESC, t.name",
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
    let tags: Vec<&str> = tags.iter().map(Tag::as_str).collect();
    let _timed = super::timed("tags_set_for_article");
    let insert = db
        .prepare_cached(
            "INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING",
        )
        .await?;
    let unlink = db
        .prepare_cached("DELETE FROM article_tags WHERE article_id = $1")
        .await?;
    let link = db
        .prepare_cached("INSERT INTO article_tags (article_id, tag_id) SELECT $1, id FROM tags WHERE name = ANY($2)")
        .await?;
    // The article row keeps a sorted copy for lists.
    let copy = db
        .prepare_cached(
            "UPDATE articles SET tag_list = ARRAY(SELECT t.name FROM article_tags at
                 JOIN tags t ON t.id = at.tag_id WHERE at.article_id = $1 ORDER BY t.name)
             WHERE id = $1",
        )
        .await?;
    db.execute(&unlink, &[&article_id]).await?;
    if !tags.is_empty() {
        db.execute(&insert, &[&tags]).await?;
        db.execute(&link, &[&article_id, &tags]).await?;
    }
    db.execute(&copy, &[&article_id]).await?;
    Ok(())
}
