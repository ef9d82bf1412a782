//! Conduit API: the RealWorld backend on actix-web and PostgreSQL.
//!
//! Layers, each importing only those below it (checked by `.semgrep/rust-layers.yaml`,
//! see docs/architecture.md):
//!
//! 1. [`config`]: the environment; imports nothing of the crate.
//! 2. `domain`: types parsed once at the boundary (`Username`, `Slug`, `Page`, ids, …).
//! 3. [`db`] (the SQL of each resource, its own `DbError`) and the infrastructure —
//!    `kv`, `cache`, `ratelimit`, `sessions`, `auth`, metrics and telemetry;
//!    none of them knows HTTP.
//! 4. `http`: `AppState`, one module per resource (handlers, routes, OpenAPI paths), the
//!    extractors and the one error → JSON mapping; with [`middleware`] and [`admin`], the
//!    only code that knows actix.
//! 5. [`startup`]: builds the pool, the state and the servers.
//!
//! Only what the integration tests use is `pub`: configuration, the database setup, the
//! application and telemetry (and, until they move to the shared observability crate, the
//! metrics and middleware modules).

pub mod admin;
mod auth;
mod cache;
pub mod config;
pub mod db;
mod domain;
mod http;
mod kv;
pub mod memory;
pub mod metrics;
pub mod middleware;
mod ratelimit;
mod sessions;
pub mod startup;
pub mod telemetry;
