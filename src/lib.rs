//! Conduit API: the RealWorld backend on actix-web and PostgreSQL.
//!
//! Map: [`config`] (environment) → [`startup`] (pool, servers, middleware) → [`routes`]
//! (one module per resource) → [`db`] (the SQL of each resource). [`error`] maps every
//! failure to the spec's JSON error body.

pub mod admin;
pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod error;
pub mod kv;
pub mod memory;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ratelimit;
pub mod routes;
pub mod sessions;
pub mod slug;
pub mod startup;
pub mod telemetry;
pub mod validation;
