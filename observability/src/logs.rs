//! Structured logs: one JSON object per line, levels from `RUST_LOG` (default: `info` for the
//! service and this crate, `warn` for libraries).
//!
//! Every line carries `timestamp`, `level`, `target`, `message`, the event's fields and the
//! fields of the spans it happened in, flattened (the request's `request_id`, `trace_id`,
//! `span_id`). Span fields with a dot in their name are OpenTelemetry attributes for the
//! trace (`http.route`, `otel.name`) and stay out of the line. Fields whose name suggests a
//! secret or personal data are written as `[redacted]`: a safety net, the code does not log
//! them in the first place.

use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The filter from `RUST_LOG`, else `info` for `service` (a crate name) and this crate.
pub fn default_filter(service: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!("warn,{service}=info,conduit_observability=info"))
    })
}

/// The JSON-lines subscriber writing to `writer` (tests capture the output with it), and the
/// OpenTelemetry layer for the spans of Conduit's crates (see [`crate::traces`]). `filter`
/// applies to the logs only: spans get their ids whatever `RUST_LOG` says.
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let logs = tracing_subscriber::fmt::layer()
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines)
        .with_writer(writer)
        .with_filter(filter);
    // Spans only (events would become span events carrying field values), INFO and up.
    let ours = filter_fn(|meta| {
        meta.is_span()
            && *meta.level() <= tracing::Level::INFO
            && meta.target().starts_with("conduit_")
    });
    let spans = tracing_opentelemetry::layer()
        .with_tracer(crate::traces::tracer())
        .with_location(false)
        .with_threads(false)
        .with_level(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_filter(ours);
    tracing_subscriber::registry().with(logs).with(spans)
}

/// Logs to stdout; a second call (tests spawn several apps in one process) keeps the first.
pub fn init(service: &str) {
    let _ = subscriber(default_filter(service), std::io::stdout).try_init();
}

const SENSITIVE: [&str; 6] = [
    "password",
    "token",
    "secret",
    "cookie",
    "authorization",
    "email",
];

pub fn sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| name.contains(s))
}

fn redacted(name: &str, value: Value) -> Value {
    if sensitive(name) {
        Value::String("[redacted]".into())
    } else {
        value
    }
}

/// One JSON object per event, span fields flattened into it.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        line.insert("timestamp".into(), Value::String(now));
        line.insert("level".into(), Value::String(meta.level().to_string()));
        line.insert("target".into(), Value::String(meta.target().to_string()));
        for span in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
            let extensions = span.extensions();
            let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                continue;
            };
            if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
                for (k, v) in fields.into_iter().filter(|(k, _)| !k.contains('.')) {
                    let v = redacted(&k, v);
                    line.insert(k, v);
                }
            }
        }
        event.record(&mut Fields(&mut line));
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        self.0.insert(name.to_string(), redacted(name, value));
    }
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, serde_json::json!(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // The whole cause chain, outermost first.
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.put(field, text.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}
