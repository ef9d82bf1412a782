//! Structured logs: one JSON object per line on stdout, levels from `RUST_LOG` (default
//! `info`, which is one line per request plus warnings and errors).
//!
//! Every line carries `timestamp`, `level`, `target`, `message`, the event's fields, and the
//! fields of the spans it happened in, flattened: `trace_id` and `span_id` (W3C trace context,
//! see [`TraceContext`]) and `request_id`. Fields whose name suggests a secret or personal data
//! (password, token, secret, cookie, authorization, email) are written as `[redacted]`: a
//! safety net, the code does not log them in the first place.
//!
//! Traces (optional, see [`traces`]): with `OTEL_EXPORTER_OTLP_ENDPOINT` set, every request
//! becomes a server span exported over OTLP/HTTP with the same trace and span ids as its log
//! lines. Unset, nothing is exported and no exporter thread runs.

use actix_web::http::header::HeaderMap;
use rand::RngCore;
use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use traces::{start_traces, Traces, TracesConfig};

/// The filter from `RUST_LOG`, else `info`.
pub fn default_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The JSON-lines subscriber writing to `writer` (tests capture the output with it), with the
/// trace export layer, which stays idle until [`start_traces`] runs. `filter` applies to the
/// logs only: spans are exported whatever `RUST_LOG` says.
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let logs = tracing_subscriber::fmt::layer()
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines)
        .with_writer(writer)
        .with_filter(filter);
    let spans = traces::Layer.with_filter(
        tracing_subscriber::filter::Targets::new().with_target("conduit_api", tracing::Level::INFO),
    );
    tracing_subscriber::registry().with(logs).with(spans)
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
        let ctx = Self::new(headers);
        traces::incoming(&ctx);
        ctx
    }

    fn new(headers: &HeaderMap) -> Self {
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

/// OTLP trace export: configuration, the exporter pipeline and the layer that turns each
/// request's `http` span (opened by the metrics middleware with this request's W3C ids) into
/// an OpenTelemetry server span with the same ids.
pub mod traces {
    use super::TraceContext;
    use crate::config::ConfigError;
    use opentelemetry::trace::{
        Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId,
        TraceState, Tracer as _, TracerProvider as _,
    };
    use opentelemetry::{Context, KeyValue};
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{
        BatchSpanProcessor, IdGenerator, RandomIdGenerator, Sampler, SdkTracer, SdkTracerProvider,
        SpanData, SpanExporter,
    };
    use opentelemetry_sdk::Resource;
    use std::cell::{Cell, RefCell};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::RwLock;
    use std::time::Duration;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::Context as LayerContext;
    use tracing_subscriber::registry::LookupSpan;

    /// Where and how to export, from the standard OpenTelemetry variables.
    #[derive(Clone, Debug, PartialEq)]
    pub struct TracesConfig {
        /// The full URL spans are POSTed to (`…/v1/traces`).
        pub endpoint: String,
        pub service_name: String,
        /// Share of new traces (no sampled parent decision) that are exported, 0.0..=1.0.
        pub sample_ratio: f64,
    }

    impl TracesConfig {
        /// `None` when neither `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` nor
        /// `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or `OTEL_SDK_DISABLED=true`): no export.
        pub fn from_lookup(
            get: impl Fn(&str) -> Option<String>,
        ) -> Result<Option<Self>, ConfigError> {
            let var = |name: &str| {
                get(name)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            if var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                return Ok(None);
            }
            let endpoint = match (
                var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
                var("OTEL_EXPORTER_OTLP_ENDPOINT"),
            ) {
                // The signal's own URL is used as it is; the base URL gets `v1/traces`.
                (Some(url), _) => endpoint_url(&url, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", false)?,
                (None, Some(url)) => endpoint_url(&url, "OTEL_EXPORTER_OTLP_ENDPOINT", true)?,
                (None, None) => return Ok(None),
            };
            for name in [
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
            ] {
                if let Some(p) = var(name).filter(|p| p != "http/protobuf") {
                    return Err(ConfigError::Invalid {
                        name: if name.contains("TRACES") {
                            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
                        } else {
                            "OTEL_EXPORTER_OTLP_PROTOCOL"
                        },
                        reason: format!("`{p}` is not supported: only `http/protobuf`"),
                    });
                }
            }
            let sample_ratio = match var("OTEL_TRACES_SAMPLER_ARG") {
                None => 1.0,
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| ConfigError::Invalid {
                        name: "OTEL_TRACES_SAMPLER_ARG",
                        reason: format!("`{v}` is not a ratio between 0 and 1"),
                    })?,
            };
            Ok(Some(Self {
                endpoint,
                service_name: var("OTEL_SERVICE_NAME").unwrap_or_else(|| "conduit-api".into()),
                sample_ratio,
            }))
        }
    }

    /// An absolute http(s) URL without credentials (they would end up in error messages;
    /// authentication goes in `OTEL_EXPORTER_OTLP_HEADERS`).
    fn endpoint_url(value: &str, name: &'static str, base: bool) -> Result<String, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid { name, reason };
        let mut url = otlp_http::Url::parse(value)
            .map_err(|e| invalid(format!("not a URL ({e}); e.g. http://otel-collector:4318")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(invalid(
                "must be an http:// or https:// URL with a host".into(),
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "must not contain credentials; use OTEL_EXPORTER_OTLP_HEADERS".into(),
            ));
        }
        if base {
            let path = format!("{}/v1/traces", url.path().trim_end_matches('/'));
            url.set_path(&path);
        }
        Ok(url.into())
    }

    struct Pipeline {
        provider: SdkTracerProvider,
        tracer: SdkTracer,
    }

    /// The running export pipeline of this process, if any.
    static PIPELINE: RwLock<Option<Pipeline>> = RwLock::new(None);
    /// Mirrors `PIPELINE.is_some()` so that requests without export pay one atomic load.
    static ACTIVE: AtomicBool = AtomicBool::new(false);

    thread_local! {
        /// The trace context the metrics middleware made last on this thread; it opens its
        /// `http` span right after, on the same thread.
        static INCOMING: RefCell<Option<TraceContext>> = const { RefCell::new(None) };
        /// The ids the next span built on this thread must have (see [`RequestIds`]).
        static NEXT_IDS: Cell<Option<(TraceId, SpanId)>> = const { Cell::new(None) };
    }

    pub(super) fn incoming(ctx: &TraceContext) {
        if ACTIVE.load(Ordering::Relaxed) {
            INCOMING.with(|c| *c.borrow_mut() = Some(ctx.clone()));
        }
    }

    /// Whether spans are being exported by this process.
    pub fn active() -> bool {
        ACTIVE.load(Ordering::Relaxed)
    }

    /// Starts exporting (batch processor on its own thread) when `config` is `Some`; the
    /// returned guard flushes and stops the export when dropped. `None`: nothing starts.
    pub fn start_traces(config: Option<&TracesConfig>) -> anyhow::Result<Option<Traces>> {
        let Some(config) = config else {
            return Ok(None);
        };
        let mut pipeline = PIPELINE
            .write()
            .map_err(|_| anyhow::anyhow!("trace export state poisoned"))?;
        if pipeline.is_some() {
            anyhow::bail!("trace export is already running in this process");
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(http_client()?)
            .with_endpoint(config.endpoint.clone())
            .build()
            .map_err(|e| anyhow::anyhow!("OTLP trace exporter: {e}"))?;
        let provider = SdkTracerProvider::builder()
            .with_span_processor(
                BatchSpanProcessor::builder(Reporting {
                    inner: exporter,
                    failing: AtomicBool::new(false),
                })
                .build(),
            )
            // The caller's sampled flag decides; new traces are sampled at the ratio.
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                config.sample_ratio,
            ))))
            .with_id_generator(RequestIds)
            .with_resource(
                Resource::builder()
                    .with_service_name(config.service_name.clone())
                    .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
                    .build(),
            )
            .build();
        let tracer = provider.tracer("conduit-api");
        *pipeline = Some(Pipeline { provider, tracer });
        ACTIVE.store(true, Ordering::Relaxed);
        tracing::info!(
            endpoint = %config.endpoint,
            service = %config.service_name,
            sample_ratio = config.sample_ratio,
            "exporting traces over OTLP/HTTP"
        );
        Ok(Some(Traces { _private: () }))
    }

    /// HTTP/1.1 with rustls (ring) and the web PKI roots, like the database connections. The
    /// blocking client owns a runtime: it is built on a thread of its own so that starting
    /// from inside an async context works too.
    fn http_client() -> anyhow::Result<otlp_http::blocking::Client> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(
            rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        std::thread::spawn(move || {
            otlp_http::blocking::Client::builder()
                .tls_backend_preconfigured(tls)
                .timeout(Duration::from_secs(10))
                .build()
        })
        .join()
        .map_err(|_| anyhow::anyhow!("building the OTLP HTTP client panicked"))?
        .map_err(|e| anyhow::anyhow!("OTLP HTTP client: {e}"))
    }

    /// Running trace export; dropping it exports what is queued and stops the exporter thread.
    pub struct Traces {
        _private: (),
    }

    impl Traces {
        /// Exports every finished span now.
        pub fn flush(&self) {
            if let Ok(p) = PIPELINE.read() {
                if let Some(p) = p.as_ref() {
                    if let Err(e) = p.provider.force_flush() {
                        tracing::warn!(error = %e, "flushing traces failed");
                    }
                }
            }
        }
    }

    impl Drop for Traces {
        fn drop(&mut self) {
            let pipeline = PIPELINE.write().ok().and_then(|mut p| p.take());
            ACTIVE.store(false, Ordering::Relaxed);
            if let Some(p) = pipeline {
                if let Err(e) = p.provider.shutdown() {
                    tracing::warn!(error = %e, "flushing traces at shutdown failed");
                }
            }
        }
    }

    fn tracer() -> Option<SdkTracer> {
        if !ACTIVE.load(Ordering::Relaxed) {
            return None;
        }
        PIPELINE
            .read()
            .ok()
            .and_then(|p| p.as_ref().map(|p| p.tracer.clone()))
    }

    /// Hands the request's own ids to the SDK for the span being built on this thread,
    /// random ones otherwise.
    #[derive(Debug)]
    struct RequestIds;

    impl IdGenerator for RequestIds {
        fn new_trace_id(&self) -> TraceId {
            NEXT_IDS
                .with(Cell::get)
                .map(|(t, _)| t)
                .unwrap_or_else(|| RandomIdGenerator::default().new_trace_id())
        }
        fn new_span_id(&self) -> SpanId {
            NEXT_IDS
                .with(Cell::get)
                .map(|(_, s)| s)
                .unwrap_or_else(|| RandomIdGenerator::default().new_span_id())
        }
    }

    /// Logs when export starts failing and when it recovers, not once per batch.
    #[derive(Debug)]
    struct Reporting<E> {
        inner: E,
        failing: AtomicBool,
    }

    impl<E: SpanExporter> SpanExporter for Reporting<E> {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            let result = self.inner.export(batch).await;
            let failed = result.is_err();
            if self.failing.swap(failed, Ordering::Relaxed) != failed {
                match &result {
                    Err(e) => tracing::warn!(error = %e, "trace export failing"),
                    Ok(()) => tracing::info!("trace export recovered"),
                }
            }
            result
        }
        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.inner.shutdown_with_timeout(timeout)
        }
        fn force_flush(&self) -> OTelSdkResult {
            self.inner.force_flush()
        }
        fn set_resource(&mut self, resource: &Resource) {
            self.inner.set_resource(resource);
        }
    }

    /// The exported span of a request, kept in its `http` span until that closes.
    struct Exported(opentelemetry_sdk::trace::Span);

    /// Exports the `http` span of each request (see the module docs). Only the request line's
    /// method, route template and status become attributes: never headers, paths, queries or
    /// bodies.
    pub(super) struct Layer;

    impl<S> tracing_subscriber::Layer<S> for Layer
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
            if attrs.metadata().name() != "http" {
                return;
            }
            let Some(tracer) = tracer() else {
                return;
            };
            let mut fields = SpanIds::default();
            attrs.record(&mut fields);
            let (Some(trace_id), Some(span_id)) = (fields.trace_id, fields.span_id) else {
                return;
            };
            let incoming = INCOMING
                .with(|c| c.borrow_mut().take())
                .filter(|c| c.trace_id == fields.trace_hex && c.span_id == fields.span_hex);
            let parent = incoming.and_then(|c| {
                let parent = SpanId::from_hex(c.parent_span_id.as_deref()?).ok()?;
                let flags = if c.sampled {
                    TraceFlags::SAMPLED
                } else {
                    TraceFlags::default()
                };
                Some(Context::new().with_remote_span_context(SpanContext::new(
                    trace_id,
                    parent,
                    flags,
                    true,
                    TraceState::default(),
                )))
            });
            NEXT_IDS.with(|n| n.set(Some((trace_id, span_id))));
            let span = tracer
                .span_builder("HTTP")
                .with_kind(SpanKind::Server)
                .start_with_context(&tracer, &parent.unwrap_or_default());
            NEXT_IDS.with(|n| n.set(None));
            if span.is_recording() {
                if let Some(s) = ctx.span(id) {
                    s.extensions_mut().insert(Exported(span));
                }
            }
        }

        fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
            if event.metadata().target() != "conduit_api::middleware" {
                return;
            }
            let Some(scope) = ctx.event_scope(event) else {
                return;
            };
            let Some(http) = scope.into_iter().find(|s| s.name() == "http") else {
                return;
            };
            let mut ext = http.extensions_mut();
            let Some(Exported(span)) = ext.get_mut::<Exported>() else {
                return;
            };
            let mut line = RequestLine::default();
            event.record(&mut line);
            if line.message.as_deref() != Some("request") {
                return;
            }
            if let (Some(method), Some(route)) = (&line.method, &line.route) {
                span.update_name(format!("{method} {route}"));
            }
            if let Some(method) = line.method {
                span.set_attribute(KeyValue::new("http.request.method", method));
            }
            if let Some(route) = line.route {
                span.set_attribute(KeyValue::new("http.route", route));
            }
            if let Some(status) = line.status {
                span.set_attribute(KeyValue::new("http.response.status_code", status as i64));
                if status >= 500 {
                    span.set_status(Status::error(""));
                }
            }
        }

        fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
            if let Some(s) = ctx.span(&id) {
                if let Some(Exported(mut span)) = s.extensions_mut().remove::<Exported>() {
                    span.end();
                }
            }
        }
    }

    #[derive(Default)]
    struct SpanIds {
        trace_hex: String,
        span_hex: String,
        trace_id: Option<TraceId>,
        span_id: Option<SpanId>,
    }

    impl Visit for SpanIds {
        fn record_str(&mut self, field: &Field, value: &str) {
            match field.name() {
                "trace_id" => {
                    self.trace_id = TraceId::from_hex(value).ok();
                    self.trace_hex = value.to_string();
                }
                "span_id" => {
                    self.span_id = SpanId::from_hex(value).ok();
                    self.span_hex = value.to_string();
                }
                _ => {}
            }
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if matches!(field.name(), "trace_id" | "span_id") {
                self.record_str(field, &format!("{value:?}"));
            }
        }
    }

    /// The fields of the request log line.
    #[derive(Default)]
    struct RequestLine {
        message: Option<String>,
        method: Option<String>,
        route: Option<String>,
        status: Option<u64>,
    }

    impl Visit for RequestLine {
        fn record_str(&mut self, field: &Field, value: &str) {
            match field.name() {
                "method" => self.method = Some(value.to_string()),
                "route" => self.route = Some(value.to_string()),
                "message" => self.message = Some(value.to_string()),
                _ => {}
            }
        }
        fn record_u64(&mut self, field: &Field, value: u64) {
            if field.name() == "status" {
                self.status = Some(value);
            }
        }
        fn record_i64(&mut self, field: &Field, value: i64) {
            if field.name() == "status" {
                self.status = u64::try_from(value).ok();
            }
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if matches!(field.name(), "method" | "route" | "message") {
                self.record_str(field, &format!("{value:?}"));
            }
        }
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

    fn traces_config(vars: &[(&str, &str)]) -> Result<Option<TracesConfig>, String> {
        TracesConfig::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn traces_are_off_without_an_endpoint() {
        assert_eq!(traces_config(&[]), Ok(None));
        assert_eq!(
            traces_config(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", " "),
                ("OTEL_SERVICE_NAME", "x")
            ]),
            Ok(None)
        );
        assert_eq!(
            traces_config(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
                ("OTEL_SDK_DISABLED", "true")
            ]),
            Ok(None)
        );
    }

    #[test]
    fn the_traces_endpoint_follows_the_otlp_rules() {
        let on = |vars: &[(&str, &str)]| traces_config(vars).unwrap().unwrap();
        let c = on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]);
        assert_eq!(c.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(c.service_name, "conduit-api");
        assert_eq!(c.sample_ratio, 1.0);
        let c = on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example/base/")]);
        assert_eq!(c.endpoint, "https://otlp.example/base/v1/traces");
        // The signal's own variable wins and is used as it is.
        let c = on(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:4318/custom"),
            ("OTEL_SERVICE_NAME", "api-canary"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ]);
        assert_eq!(c.endpoint, "http://b:4318/custom");
        assert_eq!(c.service_name, "api-canary");
        assert_eq!(c.sample_ratio, 0.25);
    }

    #[test]
    fn bad_trace_settings_name_the_variable() {
        for (vars, name) in [
            (
                vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")],
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
            (
                vec![("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url")],
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            ),
            (
                vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:secret-pw@c:4318")],
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
            (
                vec![
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
                    ("OTEL_TRACES_SAMPLER_ARG", "2"),
                ],
                "OTEL_TRACES_SAMPLER_ARG",
            ),
            (
                vec![
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
                    ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                ],
                "OTEL_EXPORTER_OTLP_PROTOCOL",
            ),
        ] {
            let err = traces_config(&vars).expect_err(name);
            assert!(err.starts_with(name), "{err}");
            assert!(!err.contains("secret-pw"), "{err}");
        }
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
