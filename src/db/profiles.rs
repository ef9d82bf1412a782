//! SQL for profiles and follows.

use crate::error::{ApiError, ApiResult};
use conduit_types::Profile;
use deadpool_postgres::GenericClient;

/// The profile of `username` as `viewer` sees it, with the profile's user id.
pub async fn get(
    db: &impl GenericClient,
    username: &str,
    viewer: Option<i64>,
) -> ApiResult<(i64, Profile)> {
    let _timed = super::timed("profiles_get");
    let stmt = db
        .prepare_cached(
            "SELECT u.id, u.username, u.bio, u.image,
                    EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $2 AND f.followee_id = u.id)
             FROM users u WHERE u.username = $1",
        )
        .await?;
    let row = db
        .query_opt(&stmt, &[&username, &viewer])
        .await?
        .ok_or(ApiError::NotFound("profile"))?;
    Ok((
        row.get(0),
        Profile {
            username: row.get(1),
            bio: row.get(2),
            image: row.get(3),
            following: row.get(4),
        },
    ))
}

pub async fn follow(db: &impl GenericClient, follower: i64, username: &str) -> ApiResult<Profile> {
    let _timed = super::timed("profiles_follow");
    let (id, profile) = get(db, username, Some(follower)).await?;
    if id == follower {
        return Err(ApiError::invalid("profile", "you cannot follow yourself"));
    }
    let stmt = db
        .prepare_cached(
            "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .await?;
    db.execute(&stmt, &[&follower, &id]).await?;
    Ok(Profile {
        following: true,
        ..profile
    })
}

pub async fn unfollow(
    db: &impl GenericClient,
    follower: i64,
    username: &str,
) -> ApiResult<Profile> {
    let _timed = super::timed("profiles_unfollow");
    let (id, profile) = get(db, username, Some(follower)).await?;
    let stmt = db
        .prepare_cached("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2")
        .await?;
    db.execute(&stmt, &[&follower, &id]).await?;
    Ok(Profile {
        following: false,
        ..profile
    })
}
