//! SQL for comments.

use super::error::{DbError, DbResult};
use super::profiles::ProfileRow;
use crate::domain::{ArticleId, CommentBody, CommentId, UserId};
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;

pub struct CommentRow {
    pub id: CommentId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub body: String,
    pub author: ProfileRow,
}

impl CommentRow {
    fn read(r: &Row) -> Self {
        Self {
            id: CommentId::new(r.get("id")),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
            body: r.get("body"),
            author: ProfileRow::read(r),
        }
    }
}

/// Comments of an article, newest first, with each author as `viewer` sees them.
pub async fn list(
    db: &impl GenericClient,
    article_id: ArticleId,
    viewer: Option<UserId>,
) -> DbResult<Vec<CommentRow>> {
    let _timed = super::timed("comments_list");
    let stmt = db
        .prepare_cached(
            "SELECT c.id, c.created_at, c.updated_at, c.body, u.username, u.bio, u.image,
                    EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $2 AND f.followee_id = u.id)
                        AS following
             FROM comments c JOIN users u ON u.id = c.author_id
             WHERE c.article_id = $1 ORDER BY c.created_at DESC, c.id DESC",
        )
        .await?;
    Ok(db
        .query(&stmt, &[&article_id.get(), &viewer.map(UserId::get)])
        .await?
        .iter()
        .map(CommentRow::read)
        .collect())
}

pub async fn insert(
    db: &impl GenericClient,
    article_id: ArticleId,
    author: UserId,
    body: &CommentBody,
) -> DbResult<CommentRow> {
    let _timed = super::timed("comments_insert");
    let stmt = db
        .prepare_cached(
            "WITH c AS (INSERT INTO comments (article_id, author_id, body) VALUES ($1, $2, $3)
                        RETURNING id, created_at, updated_at, body, author_id)
             SELECT c.id, c.created_at, c.updated_at, c.body, u.username, u.bio, u.image,
                    false AS following
             FROM c JOIN users u ON u.id = c.author_id",
        )
        .await?;
    let row = db
        .query_one(&stmt, &[&article_id.get(), &author.get(), &body.as_str()])
        .await?;
    Ok(CommentRow::read(&row))
}

/// The author of comment `id` on the article.
pub async fn author(
    db: &impl GenericClient,
    article_id: ArticleId,
    id: CommentId,
) -> DbResult<UserId> {
    let _timed = super::timed("comments_author");
    let find = db
        .prepare_cached("SELECT author_id FROM comments WHERE id = $1 AND article_id = $2")
        .await?;
    let row = db
        .query_opt(&find, &[&id.get(), &article_id.get()])
        .await?
        .ok_or(DbError::NotFound("comment"))?;
    Ok(UserId::new(row.get("author_id")))
}

pub async fn delete(db: &impl GenericClient, id: CommentId) -> DbResult<()> {
    let _timed = super::timed("comments_delete");
    let delete = db
        .prepare_cached("DELETE FROM comments WHERE id = $1")
        .await?;
    db.execute(&delete, &[&id.get()]).await?;
    Ok(())
}
