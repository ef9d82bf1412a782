//! Telemetry shared by the Conduit API and web servers so both behave alike: JSON logs
//! ([`logs`]), W3C trace context and OTLP export ([`traces`]), the request middleware
//! ([`http`]), the Prometheus registry and admin listener ([`metrics`]) and the variables both
//! read ([`config`]). Server-side only: the wasm client never links it.

pub mod config;
pub mod http;
pub mod logs;
pub mod metrics;
pub mod traces;

pub use config::{CommonArgs, VarError};
