//! SQL for articles and favourites.
//!
//! Lists are one page query plus one count query, pipelined on one connection: authors,
//! tags, favourite counts and the viewer's `favorited`/`following` flags come from
//! correlated subqueries, so a page costs the same two round trips whatever its size.

use super::{tags, timestamp};
use crate::error::{is_unique_violation, ApiError, ApiResult};
use crate::slug;
use conduit_types::{Article, ArticleSummary, Profile};
use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

/// Columns shared by lists and single articles (the body is added only for single ones:
/// lists do not return it). `{favorited}` and `{following}` are the viewer's flags.
const SELECT: &str = "SELECT a.slug, a.title, a.description, a.created_at, a.updated_at,
        a.tag_list, a.favorites_count,
        {favorited} AS favorited,
        u.username, u.bio, u.image,
        {following} AS following{body}
    FROM articles a JOIN users u ON u.id = a.author_id";

/// The SELECT for a viewer whose id is the parameter `viewer` (e.g. `$1`), or for an
/// anonymous reader, whose flags are constants (no lookups at all).
fn select(viewer: Option<&str>, with_body: bool) -> String {
    let (favorited, following) = match viewer {
        Some(p) => (
            format!("EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = {p})"),
            format!("EXISTS (SELECT 1 FROM follows fo WHERE fo.follower_id = {p} AND fo.followee_id = u.id)"),
        ),
        None => ("false".to_string(), "false".to_string()),
    };
    SELECT
        .replace("{favorited}", &favorited)
        .replace("{following}", &following)
        .replace("{body}", if with_body { ", a.body" } else { "" })
}

fn author(r: &Row) -> Profile {
    Profile {
        username: r.get(8),
        bio: r.get(9),
        image: r.get(10),
        following: r.get(11),
    }
}

fn summary(r: &Row) -> ArticleSummary {
    ArticleSummary {
        slug: r.get(0),
        title: r.get(1),
        description: r.get(2),
        created_at: timestamp(r.get(3)),
        updated_at: timestamp(r.get(4)),
        tag_list: r.get(5),
        favorites_count: r.get(6),
        favorited: r.get(7),
        author: author(r),
    }
}

fn article(r: &Row) -> Article {
    let s = summary(r);
    Article {
        slug: s.slug,
        title: s.title,
        description: s.description,
        body: r.get(12),
        tag_list: s.tag_list,
        created_at: s.created_at,
        updated_at: s.updated_at,
        favorited: s.favorited,
        favorites_count: s.favorites_count,
        author: s.author,
    }
}

/// Which articles a list shows.
#[derive(Default)]
pub struct Filter<'a> {
    pub tag: Option<&'a str>,
    pub author: Option<&'a str>,
    pub favorited_by: Option<&'a str>,
    /// The feed: only authors this user follows.
    pub followed_by: Option<i64>,
}

pub async fn list(
    db: &impl GenericClient,
    filter: &Filter<'_>,
    viewer: Option<i64>,
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<ArticleSummary>, i64)> {
    let _timed = super::timed("articles_list");
    // The WHERE clause is assembled from fixed fragments (only the values are parameters),
    // so each filter combination gets its own prepared statement and a plan that fits it.
    let mut conditions = Vec::new();
    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
    if let Some(tag) = &filter.tag {
        params.push(tag);
        conditions.push(format!(
            "a.id IN (SELECT at.article_id FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE t.name = ${})",
            params.len()
        ));
    }
    if let Some(author) = &filter.author {
        params.push(author);
        conditions.push(format!("u.username = ${}", params.len()));
    }
    if let Some(user) = &filter.favorited_by {
        params.push(user);
        conditions.push(format!(
            "a.id IN (SELECT f.article_id FROM favorites f JOIN users fu ON fu.id = f.user_id WHERE fu.username = ${})",
            params.len()
        ));
    }
    if let Some(follower) = &filter.followed_by {
        params.push(follower);
        conditions.push(format!(
            "a.author_id IN (SELECT followee_id FROM follows WHERE follower_id = ${})",
            params.len()
        ));
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let n = params.len();
    let viewer_param = format!("${}", n + 3);
    let page_sql = format!(
        "{}{where_clause} ORDER BY a.created_at DESC, a.id DESC LIMIT ${} OFFSET ${}",
        select(viewer.map(|_| viewer_param.as_str()), false),
        n + 1,
        n + 2
    );
    let count_sql =
        format!("SELECT count(*) FROM articles a JOIN users u ON u.id = a.author_id{where_clause}");
    let (page_stmt, count_stmt) =
        tokio::try_join!(db.prepare_cached(&page_sql), db.prepare_cached(&count_sql))?;
    let mut page_params = params.clone();
    page_params.extend([&limit as &(dyn ToSql + Sync), &offset]);
    if let Some(v) = &viewer {
        page_params.push(v);
    }
    let (rows, count) = tokio::try_join!(
        db.query(&page_stmt, &page_params),
        db.query_one(&count_stmt, &params)
    )?;
    Ok((rows.iter().map(summary).collect(), count.get(0)))
}

pub async fn get(db: &impl GenericClient, slug: &str, viewer: Option<i64>) -> ApiResult<Article> {
    let _timed = super::timed("articles_get");
    let row = match viewer {
        Some(v) => {
            let stmt = db
                .prepare_cached(&format!("{} WHERE a.slug = $1", select(Some("$2"), true)))
                .await?;
            db.query_opt(&stmt, &[&slug, &v]).await?
        }
        None => {
            let stmt = db
                .prepare_cached(&format!("{} WHERE a.slug = $1", select(None, true)))
                .await?;
            db.query_opt(&stmt, &[&slug]).await?
        }
    };
    Ok(article(&row.ok_or(ApiError::NotFound("article"))?))
}

/// The id and author of the article at `slug`.
pub async fn find(db: &impl GenericClient, slug: &str) -> ApiResult<(i64, i64)> {
    let _timed = super::timed("articles_find");
    let stmt = db
        .prepare_cached("SELECT id, author_id FROM articles WHERE slug = $1")
        .await?;
    let row = db
        .query_opt(&stmt, &[&slug])
        .await?
        .ok_or(ApiError::NotFound("article"))?;
    Ok((row.get(0), row.get(1)))
}

pub struct NewArticle<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub body: &'a str,
    pub tags: &'a [String],
}

/// Inserts the article under a slug derived from its title; a taken slug (even one taken
/// by a concurrent insert) gets a random suffix instead of an error.
pub async fn insert(tx: &Transaction<'_>, author: i64, a: &NewArticle<'_>) -> ApiResult<String> {
    let _timed = super::timed("articles_insert");
    let stmt = tx
        .prepare_cached(
            "INSERT INTO articles (slug, author_id, title, description, body) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (slug) DO NOTHING RETURNING id",
        )
        .await?;
    for candidate in slug::candidates(a.title) {
        if let Some(row) = tx
            .query_opt(
                &stmt,
                &[&candidate, &author, &a.title, &a.description, &a.body],
            )
            .await?
        {
            tags::set_for_article(tx, row.get(0), a.tags).await?;
            return Ok(candidate);
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no free slug for the title after several attempts"
    )))
}

pub struct ArticleChanges<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub body: Option<&'a str>,
    pub tags: Option<&'a [String]>,
}

/// Applies the changes; a new title moves the article to a new slug, which is returned.
pub async fn update(
    tx: &mut Transaction<'_>,
    id: i64,
    current_slug: &str,
    c: &ArticleChanges<'_>,
) -> ApiResult<String> {
    let _timed = super::timed("articles_update");
    let fields = tx
        .prepare_cached(
            "UPDATE articles SET title = COALESCE($2, title), description = COALESCE($3, description),
                    body = COALESCE($4, body), updated_at = now() WHERE id = $1",
        )
        .await?;
    tx.execute(&fields, &[&id, &c.title, &c.description, &c.body])
        .await?;
    if let Some(tags) = c.tags {
        tags::set_for_article(&*tx, id, tags).await?;
    }
    let Some(title) = c.title else {
        return Ok(current_slug.to_string());
    };
    if slug::candidates(title).next().as_deref() == Some(current_slug) {
        return Ok(current_slug.to_string());
    }
    let move_slug = tx
        .prepare_cached("UPDATE articles SET slug = $2 WHERE id = $1")
        .await?;
    for candidate in slug::candidates(title) {
        // A savepoint per attempt: a unique violation must not abort the whole transaction.
        let attempt = tx.transaction().await?;
        match attempt.execute(&move_slug, &[&id, &candidate]).await {
            Ok(_) => {
                attempt.commit().await?;
                return Ok(candidate);
            }
            Err(e) if is_unique_violation(&e, "articles_slug_key") => attempt.rollback().await?,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no free slug for the new title after several attempts"
    )))
}

pub async fn delete(db: &impl GenericClient, id: i64) -> ApiResult<()> {
    let _timed = super::timed("articles_delete");
    let stmt = db
        .prepare_cached("DELETE FROM articles WHERE id = $1")
        .await?;
    db.execute(&stmt, &[&id]).await?;
    Ok(())
}

/// Favourites (`on`) or unfavourites the article, idempotently; the count on the article row
/// moves only when a favourite row was really added or removed.
pub async fn set_favorite(
    db: &impl GenericClient,
    user: i64,
    article_id: i64,
    on: bool,
) -> ApiResult<()> {
    let _timed = super::timed(if on {
        "articles_favorite"
    } else {
        "articles_unfavorite"
    });
    let sql = if on {
        "WITH changed AS (INSERT INTO favorites (user_id, article_id) VALUES ($1, $2)
                          ON CONFLICT DO NOTHING RETURNING article_id)
         UPDATE articles SET favorites_count = favorites_count + 1
         WHERE id IN (SELECT article_id FROM changed)"
    } else {
        "WITH changed AS (DELETE FROM favorites WHERE user_id = $1 AND article_id = $2
                          RETURNING article_id)
         UPDATE articles SET favorites_count = favorites_count - 1
         WHERE id IN (SELECT article_id FROM changed)"
    };
    let stmt = db.prepare_cached(sql).await?;
    db.execute(&stmt, &[&user, &article_id]).await?;
    Ok(())
}
