//! Logs: one JSON object per line (`timestamp`, `level`, `target`, `message`, the event's fields
//! and its spans' flattened in, such as `request_id` and `trace_id`), levels from `RUST_LOG`.
//! Dotted span fields (`http.route`) are trace attributes and stay out. Fields named like a
//! secret or personal data are `[redacted]`: a safety net, the code does not log them.

use serde_json::{Map, Value};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::{filter_fn, FilterExt};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The JSON-lines subscriber writing to `writer` (tests capture the output with it), and the
/// OpenTelemetry layer for the spans of Conduit's crates while they are exported (see
/// [`crate::traces`]). `filter` applies to the logs only.
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // A span whose fields are all trace attributes (dotted: SQL, Redis) adds nothing to a line.
    let fields = |meta: &Metadata| meta.fields().iter().any(|f| !f.name().contains('.'));
    let logs = tracing_subscriber::fmt::layer()
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines)
        .with_writer(writer)
        .with_filter(filter.and(filter_fn(move |meta| !meta.is_span() || fields(meta))));
    // Spans only (events would become span events carrying field values), INFO and up.
    let ours = filter_fn(|meta| {
        let conduit = meta.is_span() && meta.target().starts_with("conduit_");
        conduit && *meta.level() <= Level::INFO && crate::traces::active()
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

/// Logs to stdout at `RUST_LOG`'s levels, else `info` for `service` (a crate name) and this
/// crate. A second call (tests spawn several apps in one process) keeps the first.
pub fn init(service: &str) {
    let filter = EnvFilter::try_from_default_env();
    let default = || EnvFilter::new(format!("warn,{service}=info,conduit_observability=info"));
    let _ = subscriber(filter.unwrap_or_else(|_| default()), std::io::stdout).try_init();
}

pub fn sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    const SENSITIVE: [&str; 6] = [
        "password",
        "token",
        "secret",
        "cookie",
        "authorization",
        "email",
    ];
    SENSITIVE.iter().any(|s| name.contains(s))
}

/// One JSON object per event, span fields flattened into it.
struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let now = time::OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let mut line = Map::new();
        line.insert("timestamp".into(), now.into());
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        // Fields as `JsonFields` writes them: the spans' (kept in their extensions), then the
        // event's own, which win.
        let mut event_fields = String::new();
        ctx.format_fields(Writer::new(&mut event_fields), event)?;
        let spans = ctx.event_scope().into_iter().flat_map(|s| s.from_root());
        let span_fields = spans.filter_map(|span| {
            let ext = span.extensions();
            Some(ext.get::<FormattedFields<JsonFields>>()?.fields.clone())
        });
        for fields in span_fields.chain([event_fields]) {
            let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&fields) else {
                continue;
            };
            for (k, v) in fields.into_iter().filter(|(k, _)| !k.contains('.')) {
                let redacted = sensitive(&k).then(|| "[redacted]".into());
                line.insert(k, redacted.unwrap_or(v));
            }
        }
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}
