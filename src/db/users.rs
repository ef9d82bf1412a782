//! SQL for accounts.

use super::error::{is_unique_violation, DbError, DbResult};
use crate::domain::{Bio, Email, ImageUrl, UserId, Username};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

pub struct UserRow {
    pub id: UserId,
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
            id: UserId::new(r.get("id")),
            username: r.get("username"),
            email: r.get("email"),
            password_hash: r.get("password_hash"),
            bio: r.get("bio"),
            image: r.get("image"),
        }
    }
}

/// Maps the unique constraints on `users` to the fields they concern.
fn taken(e: tokio_postgres::Error) -> DbError {
    if is_unique_violation(&e, "users_username_key") {
        DbError::invalid("username", "has already been taken")
    } else if is_unique_violation(&e, "users_email_key") {
        DbError::invalid("email", "has already been taken")
    } else {
        e.into()
    }
}

/// A new account; the password is already hashed.
pub struct NewUser<'a> {
    pub username: &'a Username,
    pub email: &'a Email,
    pub password_hash: &'a str,
}

pub async fn insert(db: &impl GenericClient, new: &NewUser<'_>) -> DbResult<UserRow> {
    let _timed = super::timed("users_insert");
    let stmt = db
        .prepare_cached(&format!(
            "INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
        ))
        .await?;
    let row = db
        .query_one(
            &stmt,
            &[
                &new.username.as_str(),
                &new.email.as_str(),
                &new.password_hash,
            ],
        )
        .await
        .map_err(taken)?;
    Ok(row.into())
}

pub async fn find_by_email(db: &impl GenericClient, email: &Email) -> DbResult<Option<UserRow>> {
    let _timed = super::timed("users_find_by_email");
    let stmt = db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1)"
        ))
        .await?;
    Ok(db
        .query_opt(&stmt, &[&email.as_str()])
        .await?
        .map(UserRow::from))
}

pub async fn find_by_id(db: &impl GenericClient, id: UserId) -> DbResult<Option<UserRow>> {
    let _timed = super::timed("users_find_by_id");
    let stmt = db
        .prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .await?;
    Ok(db.query_opt(&stmt, &[&id.get()]).await?.map(UserRow::from))
}

/// Only the `Some` fields change; `bio`/`image` of `Some(None)` are cleared.
#[derive(Default)]
pub struct UserChanges<'a> {
    pub username: Option<&'a Username>,
    pub email: Option<&'a Email>,
    pub password_hash: Option<&'a str>,
    pub bio: Option<Option<&'a Bio>>,
    pub image: Option<Option<&'a ImageUrl>>,
}

/// Applies the changes; `NotFound("user")` when the account no longer exists.
pub async fn update(db: &impl GenericClient, id: UserId, c: &UserChanges<'_>) -> DbResult<UserRow> {
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
                &id.get(),
                &c.username.map(Username::as_str),
                &c.email.map(Email::as_str),
                &c.password_hash,
                &c.bio.is_some(),
                &c.bio.flatten().map(Bio::as_str),
                &c.image.is_some(),
                &c.image.flatten().map(ImageUrl::as_str),
            ],
        )
        .await
        .map_err(taken)?;
    row.map(UserRow::from).ok_or(DbError::NotFound("user"))
}
