//! SQL for accounts.

use crate::error::{is_unique_violation, ApiError, ApiResult};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub bio: Option<String>,
    pub image: Option<String>,
}

const COLUMNS: &str = "id, username, email, password_hash, bio, image";

impl From<Row> for UserRow {
    fn from(r: Row) -> Self {
        Self {
            id: r.get(0),
            username: r.get(1),
            email: r.get(2),
            password_hash: r.get(3),
            bio: r.get(4),
            image: r.get(5),
        }
    }
}

/// Maps the unique constraints on `users` to the spec's 422 field errors.
fn taken(e: tokio_postgres::Error) -> ApiError {
    if is_unique_violation(&e, "users_username_key") {
        ApiError::invalid("username", "has already been taken")
    } else if is_unique_violation(&e, "users_email_key") {
        ApiError::invalid("email", "has already been taken")
    } else {
        e.into()
    }
}

pub async fn insert(
    db: &impl GenericClient,
    username: &str,
    email: &str,
    password_hash: &str,
) -> ApiResult<UserRow> {
    let _timed = super::timed("users_insert");
    let stmt = db
        .prepare_cached(&format!(
            "INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
        ))
        .await?;
    let row = db
        .query_one(&stmt, &[&username, &email, &password_hash])
        .await
        .map_err(taken)?;
    Ok(row.into())
}

pub async fn find_by_email(db: &impl GenericClient, email: &str) -> ApiResult<Option<UserRow>> {
    let _timed = super::timed("users_find_by_email");
    let stmt = db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1)"
        ))
        .await?;
    Ok(db.query_opt(&stmt, &[&email]).await?.map(UserRow::from))
}

pub async fn find_by_id(db: &impl GenericClient, id: i64) -> ApiResult<Option<UserRow>> {
    let _timed = super::timed("users_find_by_id");
    let stmt = db
        .prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .await?;
    Ok(db.query_opt(&stmt, &[&id]).await?.map(UserRow::from))
}

/// Only the `Some` fields change; `bio`/`image` of `Some(None)` are cleared.
pub struct UserChanges<'a> {
    pub username: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub bio: Option<Option<&'a str>>,
    pub image: Option<Option<&'a str>>,
}

pub async fn update(db: &impl GenericClient, id: i64, c: &UserChanges<'_>) -> ApiResult<UserRow> {
    let _timed = super::timed("users_update");
    let stmt = db
        .prepare_cached(&format!(
            "UPDATE users SET
                username = COALESCE($2, username),
                email = COALESCE($3, email),
                password_hash = COALESCE($4, password_hash),
                bio = CASE WHEN $5 THEN $6 ELSE bio END,
                image = CASE WHEN $7 THEN $8 ELSE image END,
                updated_at = now()
             WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .await?;
    let row = db
        .query_opt(
            &stmt,
            &[
                &id,
                &c.username,
                &c.email,
                &c.password_hash,
                &c.bio.is_some(),
                &c.bio.flatten(),
                &c.image.is_some(),
                &c.image.flatten(),
            ],
        )
        .await
        .map_err(taken)?;
    row.map(UserRow::from).ok_or(ApiError::Unauthorized)
}
