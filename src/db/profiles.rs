//! SQL for profiles and follows.

use super::error::{DbError, DbResult};
use crate::domain::{UserId, Username};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

/// A user as a viewer sees them; `following` is the viewer's flag.
pub struct ProfileRow {
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    pub following: bool,
}

impl ProfileRow {
    /// From a row with `username`, `bio`, `image` and `following` columns.
    pub(super) fn read(r: &Row) -> Self {
        Self {
            username: r.get("username"),
            bio: r.get("bio"),
            image: r.get("image"),
            following: r.get("following"),
        }
    }
}

/// The profile of `username` as `viewer` sees it, with the profile's user id.
pub async fn get(
    db: &impl GenericClient,
    username: &Username,
    viewer: Option<UserId>,
) -> DbResult<(UserId, ProfileRow)> {
    let _timed = super::timed("profiles_get");
    let stmt = db
        .prepare_cached(
            "SELECT u.id, u.username, u.bio, u.image,
                    EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $2 AND f.followee_id = u.id)
                        AS following
             FROM users u WHERE u.username = $1",
        )
        .await?;
    let row = db
        .query_opt(&stmt, &[&username.as_str(), &viewer.map(UserId::get)])
        .await?
        .ok_or(DbError::NotFound("profile"))?;
    Ok((UserId::new(row.get("id")), ProfileRow::read(&row)))
}

/// `follower` follows `username` (idempotent); following yourself is a field error.
pub async fn follow(
    db: &impl GenericClient,
    follower: UserId,
    username: &Username,
) -> DbResult<ProfileRow> {
    let _timed = super::timed("profiles_follow");
    let (id, profile) = get(db, username, Some(follower)).await?;
    if id == follower {
        return Err(DbError::invalid("profile", "you cannot follow yourself"));
    }
    let stmt = db
        .prepare_cached(
            "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .await?;
    db.execute(&stmt, &[&follower.get(), &id.get()]).await?;
    Ok(ProfileRow {
        following: true,
        ..profile
    })
}

pub async fn unfollow(
    db: &impl GenericClient,
    follower: UserId,
    username: &Username,
) -> DbResult<ProfileRow> {
    let _timed = super::timed("profiles_unfollow");
    let (id, profile) = get(db, username, Some(follower)).await?;
    let stmt = db
        .prepare_cached("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2")
        .await?;
    db.execute(&stmt, &[&follower.get(), &id.get()]).await?;
    Ok(ProfileRow {
        following: false,
        ..profile
    })
}
