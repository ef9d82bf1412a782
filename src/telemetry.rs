//! Structured logs: one JSON object per line on stdout, levels from `RUST_LOG` (default
//! `info`, which is one line per request plus warnings and errors).
//!
//! Every line carries `timestamp`, `level`, `target`, `message`, the event's fields, and the
//! fields of the spans it happened in, flattened: `trace_id` and `span_id` (W3C trace context,
//! see [`TraceContext`]) and `request_id`. Fields whose name suggests a secret or personal data
//! (password, token, secret, cookie, authorization, email) are written as `[redacted]`: a
//! safety net, the code does not log them in the first place.

use actix_web::http::header::HeaderMap;
use rand::RngCore;
use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// The filter from `RUST_LOG`, else `info`.
pub fn default_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The JSON-lines subscriber writing to `writer` (tests capture the output with it).
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

pub fn init() {
    // A second init (tests spawn several apps in one process) is harmless: keep the first.
    let _ = subscriber(default_filter(), std::io::stdout).try_init();
}

/// W3C trace context of a request: the caller's `traceparent` when valid (same trace, the
/// caller's span as parent), otherwise a new trace. `span_id` is always this server's own.
#[derive(Clone, Debug)]
pub struct TraceContext {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub sampled: bool,
}

impl TraceContext {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let parent = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_traceparent);
        let span_id = random_hex::<8>();
        match parent {
            Some((trace_id, parent_id, sampled)) => Self {
                trace_id,
                span_id,
                parent_span_id: Some(parent_id),
                sampled,
            },
            None => Self {
                trace_id: random_hex::<16>(),
                span_id,
                parent_span_id: None,
                sampled: false,
            },
        }
    }

    /// The `traceparent` header for calls this request makes to other services.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id,
            self.span_id,
            u8::from(self.sampled)
        )
    }
}

/// `version-traceid-parentid-flags`, lower-case hex; all-zero ids and version `ff` are invalid.
/// Versions above 00 may append fields, which are ignored.
fn parse_traceparent(value: &str) -> Option<(String, String, bool)> {
    let value = value.trim();
    let mut parts = value.split('-');
    let version = parts.next()?;
    let trace_id = parts.next()?;
    let parent_id = parts.next()?;
    let flags = parts.next()?;
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let nonzero = |s: &str| s.bytes().any(|b| b != b'0');
    if !hex(version, 2) || version == "ff" || (version == "00" && parts.next().is_some()) {
        return None;
    }
    if !hex(trace_id, 32) || !nonzero(trace_id) || !hex(parent_id, 16) || !nonzero(parent_id) {
        return None;
    }
    if !hex(flags, 2) {
        return None;
    }
    let sampled = u8::from_str_radix(flags, 16).ok()? & 1 == 1;
    Some((trace_id.to_string(), parent_id.to_string(), sampled))
}

fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    loop {
        rand::thread_rng().fill_bytes(&mut bytes);
        if bytes.iter().any(|&b| b != 0) {
            break;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const SENSITIVE: [&str; 6] = [
    "password",
    "token",
    "secret",
    "cookie",
    "authorization",
    "email",
];

fn sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| name.contains(s))
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
        let now = time::OffsetDateTime::now_utc();
        line.insert(
            "timestamp".into(),
            Value::String(
                now.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
        );
        line.insert("level".into(), Value::String(meta.level().to_string()));
        line.insert("target".into(), Value::String(meta.target().to_string()));
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
                    for (k, v) in fields {
                        let v = if sensitive(&k) {
                            Value::String("[redacted]".into())
                        } else {
                            v
                        };
                        line.insert(k, v);
                    }
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
        let value = if sensitive(name) {
            Value::String("[redacted]".into())
        } else {
            value
        };
        self.0.insert(name.to_string(), value);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_is_validated() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let (t, p, s) = parse_traceparent(good).unwrap();
        assert_eq!(t, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(p, "00f067aa0ba902b7");
        assert!(s);
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad}");
        }
        // A later version may append fields.
        assert!(
            parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x")
                .is_some()
        );
    }

    #[test]
    fn a_new_trace_is_generated_without_a_valid_header() {
        let ctx = TraceContext::from_headers(&HeaderMap::new());
        assert_eq!(ctx.trace_id.len(), 32);
        assert_eq!(ctx.span_id.len(), 16);
        assert!(ctx.parent_span_id.is_none());
        assert!(ctx
            .traceparent()
            .starts_with(&format!("00-{}-", ctx.trace_id)));
    }

    #[test]
    fn sensitive_field_names_are_recognised() {
        for name in [
            "password",
            "new_password",
            "token",
            "Authorization",
            "email",
            "set_cookie",
        ] {
            assert!(sensitive(name), "{name}");
        }
        for name in ["user_id", "route", "status", "request_id"] {
            assert!(!sensitive(name), "{name}");
        }
    }
}
