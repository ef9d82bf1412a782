//! Telemetry shared by the Conduit API and the web server, so that both behave alike:
//!
//! - [`logs`]: one JSON object per line, span fields flattened in, secrets redacted;
//! - [`traces`]: W3C trace context (`TraceContextPropagator`) and OTLP/HTTP export through
//!   `tracing-opentelemetry`, switched on by the standard `OTEL_*` variables;
//! - [`http`]: the one request middleware (request id, trace context, RED metrics, the
//!   access-log line);
//! - [`metrics`]: the Prometheus registry with process and build-info metrics, and the admin
//!   listener serving `/metrics`;
//! - [`config`]: the variables both services read, declared once.
//!
//! Server-side only: the web client (wasm32) never links it.

pub mod config;
pub mod http;
pub mod logs;
pub mod metrics;
pub mod traces;

pub use config::{CommonArgs, VarError};
