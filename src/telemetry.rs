//! Logs and traces of the API: the shared `conduit_observability` crate under this service's
//! name (JSON lines on stdout, OTLP/HTTP trace export when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set; see docs/observability.md).

pub use conduit_observability::logs::subscriber;
pub use conduit_observability::traces::{Traces, TracesConfig};

/// Whether spans are being exported by this process.
pub mod traces {
    pub use conduit_observability::traces::active;
}

pub fn init() {
    conduit_observability::logs::init("conduit_api");
}

/// Starts exporting when `config` is `Some`; dropping the guard flushes and stops.
pub fn start_traces(config: Option<&TracesConfig>) -> anyhow::Result<Option<Traces>> {
    conduit_observability::traces::start(config, env!("CARGO_PKG_VERSION"))
}
