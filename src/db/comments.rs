//! SQL for comments.

use super::timestamp;
use crate::error::{ApiError, ApiResult};
use conduit_types::{Comment, Profile};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

fn comment(r: &Row) -> Comment {
    Comment {
        id: r.get(0),
        created_at: timestamp(r.get(1)),
        updated_at: timestamp(r.get(2)),
        body: r.get(3),
        author: Profile {
            username: r.get(4),
            bio: r.get(5),
            image: r.get(6),
            following: r.get(7),
        },
    }
}

/// Comments of an article, newest first, with each author as `viewer` sees them.
pub async fn list(
    db: &impl GenericClient,
    article_id: i64,
    viewer: Option<i64>,
) -> ApiResult<Vec<Comment>> {
    let _timed = super::timed("comments_list");
    let stmt = db
        .prepare_cached(
            "SELECT c.id, c.created_at, c.updated_at, c.body, u.username, u.bio, u.image,
                    EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $2 AND f.followee_id = u.id)
             FROM comments c JOIN users u ON u.id = c.author_id
             WHERE c.article_id = $1 ORDER BY c.created_at DESC, c.id DESC",
        )
        .await?;
    Ok(db
        .query(&stmt, &[&article_id, &viewer])
        .await?
        .iter()
        .map(comment)
        .collect())
}

pub async fn insert(
    db: &impl GenericClient,
    article_id: i64,
    author: i64,
    body: &str,
) -> ApiResult<Comment> {
    let _timed = super::timed("comments_insert");
    let stmt = db
        .prepare_cached(
            "WITH c AS (INSERT INTO comments (article_id, author_id, body) VALUES ($1, $2, $3)
                        RETURNING id, created_at, updated_at, body, author_id)
             SELECT c.id, c.created_at, c.updated_at, c.body, u.username, u.bio, u.image, false
             FROM c JOIN users u ON u.id = c.author_id",
        )
        .await?;
    Ok(comment(
        &db.query_one(&stmt, &[&article_id, &author, &body]).await?,
    ))
}

/// Deletes comment `id` of the article if `user` wrote it.
pub async fn delete(db: &impl GenericClient, article_id: i64, id: i64, user: i64) -> ApiResult<()> {
    let _timed = super::timed("comments_delete");
    let find = db
        .prepare_cached("SELECT author_id FROM comments WHERE id = $1 AND article_id = $2")
        .await?;
    let author: i64 = db
        .query_opt(&find, &[&id, &article_id])
        .await?
        .ok_or(ApiError::NotFound("comment"))?
        .get(0);
    if author != user {
        return Err(ApiError::Forbidden);
    }
    let delete = db
        .prepare_cached("DELETE FROM comments WHERE id = $1")
        .await?;
    db.execute(&delete, &[&id]).await?;
    Ok(())
}
