//! Integration tests over real HTTP against the real API and a real PostgreSQL.

mod articles;
mod cli;
mod comments;
mod db_manifests;
mod db_roles;
mod db_support;
mod db_tls;
mod errors;
mod health;
mod helpers;
mod observability;
mod openapi;
mod profiles;
mod sessions_cache_limits;
mod users;
