//! SQL for articles and favourites.
//!
//! Lists are one page query plus one count query, pipelined on one connection: authors,
//! tags, favourite counts and the viewer's `favorited`/`following` flags come from
//! correlated subqueries, so a page costs the same two round trips whatever its size.

use super::error::{is_unique_violation, DbError, DbResult};
use super::profiles::ProfileRow;
use super::tags;
use crate::domain::{slug, ArticleBody, ArticleId, Description, Page, Slug, Tag, Title, UserId};
use deadpool_postgres::{GenericClient, Transaction};
use time::OffsetDateTime;
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

/// An article as a viewer sees it; `body` only for single articles.
pub struct ArticleRow {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub body: Option<String>,
    pub tag_list: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub favorited: bool,
    pub favorites_count: i64,
    pub author: ProfileRow,
}

impl ArticleRow {
    fn read(r: &Row, with_body: bool) -> Self {
        Self {
            slug: r.get("slug"),
            title: r.get("title"),
            description: r.get("description"),
            body: with_body.then(|| r.get("body")),
            tag_list: r.get("tag_list"),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
            favorited: r.get("favorited"),
            favorites_count: r.get("favorites_count"),
            author: ProfileRow::read(r),
        }
    }
}

/// Which articles a list shows.
#[derive(Default)]
pub struct Filter<'a> {
    /// Filters are matched as given: a value no article has simply finds nothing.
    pub tag: Option<&'a str>,
    pub author: Option<&'a str>,
    pub favorited_by: Option<&'a str>,
    /// The feed: only authors this user follows.
    pub followed_by: Option<UserId>,
}

/// One page of articles (newest first) and the number of articles matching the filter.
pub async fn list(
    db: &impl GenericClient,
    filter: &Filter<'_>,
    viewer: Option<UserId>,
    page: Page,
) -> DbResult<(Vec<ArticleRow>, i64)> {
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
    let follower = filter.followed_by.map(UserId::get);
    if let Some(follower) = &follower {
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
    let count_sql = format!(
        "SELECT count(*) AS count FROM articles a JOIN users u ON u.id = a.author_id{where_clause}"
    );
    let (page_stmt, count_stmt) =
        tokio::try_join!(db.prepare_cached(&page_sql), db.prepare_cached(&count_sql))?;
    let (limit, offset) = (page.limit(), page.offset());
    let viewer = viewer.map(UserId::get);
    let mut page_params = params.clone();
    page_params.extend([&limit as &(dyn ToSql + Sync), &offset]);
    if let Some(v) = &viewer {
        page_params.push(v);
    }
    let (rows, count) = tokio::try_join!(
        db.query(&page_stmt, &page_params),
        db.query_one(&count_stmt, &params)
    )?;
    Ok((
        rows.iter().map(|r| ArticleRow::read(r, false)).collect(),
        count.get("count"),
    ))
}

/// The article at `slug`, with its body, as `viewer` sees it.
pub async fn get(
    db: &impl GenericClient,
    slug: &Slug,
    viewer: Option<UserId>,
) -> DbResult<ArticleRow> {
    let slug = slug.as_str();
    let _timed = super::timed("articles_get");
    let row = match viewer {
        Some(v) => {
            let stmt = db
                .prepare_cached(&format!("{} WHERE a.slug = $1", select(Some("$2"), true)))
                .await?;
            db.query_opt(&stmt, &[&slug, &v.get()]).await?
        }
        None => {
            let stmt = db
                .prepare_cached(&format!("{} WHERE a.slug = $1", select(None, true)))
                .await?;
            db.query_opt(&stmt, &[&slug]).await?
        }
    };
    let row = row.ok_or(DbError::NotFound("article"))?;
    Ok(ArticleRow::read(&row, true))
}

/// The id and author of the article at `slug`.
pub async fn find(db: &impl GenericClient, slug: &Slug) -> DbResult<(ArticleId, UserId)> {
    let _timed = super::timed("articles_find");
    let stmt = db
        .prepare_cached("SELECT id, author_id FROM articles WHERE slug = $1")
        .await?;
    let row = db
        .query_opt(&stmt, &[&slug.as_str()])
        .await?
        .ok_or(DbError::NotFound("article"))?;
    Ok((
        ArticleId::new(row.get("id")),
        UserId::new(row.get("author_id")),
    ))
}

pub struct NewArticle<'a> {
    pub author: UserId,
    pub title: &'a Title,
    pub description: &'a Description,
    pub body: &'a ArticleBody,
    pub tags: &'a [Tag],
}

/// Inserts the article under a slug derived from its title; a taken slug (even one taken
/// by a concurrent insert) gets a random suffix instead of an error.
pub async fn insert(tx: &Transaction<'_>, a: &NewArticle<'_>) -> DbResult<Slug> {
    let _timed = super::timed("articles_insert");
    let stmt = tx
        .prepare_cached(
            "INSERT INTO articles (slug, author_id, title, description, body) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (slug) DO NOTHING RETURNING id",
        )
        .await?;
    for candidate in slug::candidates(a.title.as_str()) {
        if let Some(row) = tx
            .query_opt(
                &stmt,
                &[
                    &candidate.as_str(),
                    &a.author.get(),
                    &a.title.as_str(),
                    &a.description.as_str(),
                    &a.body.as_str(),
                ],
            )
            .await?
        {
            tags::set_for_article(tx, ArticleId::new(row.get("id")), a.tags).await?;
            return Ok(candidate);
        }
    }
    Err(DbError::Other(anyhow::anyhow!(
        "no free slug for the title after several attempts"
    )))
}

pub struct ArticleChanges<'a> {
    pub title: Option<&'a Title>,
    pub description: Option<&'a Description>,
    pub body: Option<&'a ArticleBody>,
    pub tags: Option<&'a [Tag]>,
}

/// Applies the changes; a new title moves the article to a new slug, which is returned.
pub async fn update(
    tx: &mut Transaction<'_>,
    id: ArticleId,
    current_slug: &Slug,
    c: &ArticleChanges<'_>,
) -> DbResult<Slug> {
    let _timed = super::timed("articles_update");
    let fields = tx
        .prepare_cached(
            "UPDATE articles SET title = COALESCE($2, title), description = COALESCE($3, description),
                    body = COALESCE($4, body), updated_at = now() WHERE id = $1",
        )
        .await?;
    tx.execute(
        &fields,
        &[
            &id.get(),
            &c.title.map(Title::as_str),
            &c.description.map(Description::as_str),
            &c.body.map(ArticleBody::as_str),
        ],
    )
    .await?;
    if let Some(tags) = c.tags {
        tags::set_for_article(&*tx, id, tags).await?;
    }
    let Some(title) = c.title else {
        return Ok(current_slug.clone());
    };
    if slug::candidates(title.as_str()).next().as_ref() == Some(current_slug) {
        return Ok(current_slug.clone());
    }
    let move_slug = tx
        .prepare_cached("UPDATE articles SET slug = $2 WHERE id = $1")
        .await?;
    for candidate in slug::candidates(title.as_str()) {
        // A savepoint per attempt: a unique violation must not abort the whole transaction.
        let attempt = tx.transaction().await?;
        match attempt
            .execute(&move_slug, &[&id.get(), &candidate.as_str()])
            .await
        {
            Ok(_) => {
                attempt.commit().await?;
                return Ok(candidate);
            }
            Err(e) if is_unique_violation(&e, "articles_slug_key") => attempt.rollback().await?,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DbError::Other(anyhow::anyhow!(
        "no free slug for the new title after several attempts"
    )))
}

/// Deletes the article with its links to tags, which go first and in the lock order of
/// [`tags::set_for_article`] (the cascade would unlink them in no set order); in the caller's
/// transaction, so that the article keeps its tags if the delete fails.
pub async fn delete(tx: &Transaction<'_>, id: ArticleId) -> DbResult<()> {
    tags::set_for_article(tx, id, &[]).await?;
    let _timed = super::timed("articles_delete");
    let stmt = tx
        .prepare_cached("DELETE FROM articles WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&id.get()]).await?;
    Ok(())
}

/// Favourites (`on`) or unfavourites the article, idempotently; the count on the article row
/// moves only when a favourite row was really added or removed.
pub async fn set_favorite(
    db: &impl GenericClient,
    user: UserId,
    article_id: ArticleId,
    on: bool,
) -> DbResult<()> {
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
    db.execute(&stmt, &[&user.get(), &article_id.get()]).await?;
    Ok(())
}
