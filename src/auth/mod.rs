//! Credentials: password hashing and JWTs. No HTTP here: the extractors that read them from
//! requests are in [`crate::http`].

pub mod jwt;
pub mod password;
