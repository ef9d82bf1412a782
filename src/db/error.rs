//! What a query can fail with, in the database's own terms: the HTTP layer decides what each
//! means to a client.

use crate::domain::FieldErrors;
use tokio_postgres::error::SqlState;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No row: the named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A constraint turned into the field it concerns (a taken username, following yourself).
    #[error("invalid fields: {0:?}")]
    Invalid(FieldErrors),
    /// PostgreSQL is down, saturated, cancelled the statement or chose it as a deadlock's
    /// victim: worth retrying later.
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("database error")]
    Other(#[source] anyhow::Error),
}

pub type DbResult<T> = Result<T, DbError>;

impl DbError {
    pub fn invalid(field: &str, message: &str) -> Self {
        DbError::Invalid(FieldErrors::single(field, message))
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        // Every pool failure (timeout, refused connection, closed pool) means "database
        // unavailable", which deserves a fast retry-later rather than a hung request.
        DbError::Unavailable(e.into())
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        let unavailable = e.is_closed()
            || e.code().is_some_and(|c| {
                [
                    SqlState::QUERY_CANCELED,
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::TOO_MANY_CONNECTIONS,
                    // Transient conflicts between transactions: the same request succeeds
                    // when sent again.
                    SqlState::T_R_DEADLOCK_DETECTED,
                    SqlState::T_R_SERIALIZATION_FAILURE,
                ]
                .contains(c)
                    || c.code().starts_with("08") // connection exceptions
            });
        if unavailable {
            DbError::Unavailable(e.into())
        } else {
            DbError::Other(e.into())
        }
    }
}

/// Whether a database error is a unique-constraint violation on `constraint`.
pub(crate) fn is_unique_violation(e: &tokio_postgres::Error, constraint: &str) -> bool {
    e.as_db_error().is_some_and(|db| {
        db.code() == &SqlState::UNIQUE_VIOLATION && db.constraint() == Some(constraint)
    })
}
