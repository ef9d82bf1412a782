//! Traces: while [`start`] runs, `tracing-opentelemetry` turns each request's span into a
//! server span, SQL and Redis spans into its children, exported over OTLP/HTTP. Otherwise no
//! span reaches OpenTelemetry (they cost nothing) and the request middleware makes the ids
//! that log lines and outgoing calls carry ([`local`]). The `tracing` subscriber is global, so
//! one tracer provider lives as long as the process and export is a switch inside it.

pub use crate::config::TracesConfig;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{Link, SpanContext, SpanKind, TraceContextExt, TraceFlags, TraceId};
use opentelemetry::{trace::TracerProvider as _, Context, KeyValue};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{BatchSpanProcessor, IdGenerator, RandomIdGenerator, Sampler};
use opentelemetry_sdk::trace::{SamplingResult, SdkTracer, SdkTracerProvider, ShouldSample};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use opentelemetry_sdk::Resource;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

/// The only span attributes that leave the process: request line and statement names,
/// never headers, paths, queries, bodies or statement values.
const EXPORTED: [&str; 6] = [
    "http.request.method",
    "http.route",
    "http.response.status_code",
    "db.system.name",
    "db.operation.name",
    "db.collection.name",
];

/// The running export, if any, whether there is one (read per request), and the ratio new
/// traces are sampled at.
static EXPORT: RwLock<Option<BatchSpanProcessor>> = RwLock::new(None);
static ACTIVE: AtomicBool = AtomicBool::new(false);
static RATIO_BITS: AtomicU64 = AtomicU64::new(0x3FF0_0000_0000_0000); // 1.0

/// The process's tracer, for the `tracing-opentelemetry` layer.
pub(crate) fn tracer() -> SdkTracer {
    static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
    let provider = SdkTracerProvider::builder().with_span_processor(Switch);
    let provider = PROVIDER.get_or_init(|| provider.with_sampler(Ratio).build());
    provider.tracer("conduit")
}

/// Whether spans are being exported by this process.
pub fn active() -> bool {
    ACTIVE.load(Relaxed)
}

fn running<T>(f: impl FnOnce(&BatchSpanProcessor) -> T) -> Option<T> {
    EXPORT.read().ok()?.as_ref().map(f)
}

/// Spans reach the OpenTelemetry layer only while exporting: its filter reads [`active`] and
/// is cached per call site (`FilterFn::is_callsite_enabled` returns always/never:
/// tracing-subscriber 0.3.23 src/filter/filter_fn.rs, as in tokio-rs/tracing@3fdecb822659),
/// hence the rebuild. (A `reload` layer would not do: it forwards no `downcast_raw`, which
/// `OpenTelemetrySpanExt` needs; tracing-subscriber 0.3.23 src/reload.rs.)
fn set_active(active: bool) {
    ACTIVE.store(active, Relaxed);
    tracing::callsite::rebuild_interest_cache();
}

/// Hands finished spans to the running export, keeping only the [`EXPORTED`] attributes.
#[derive(Debug)]
struct Switch;

impl SpanProcessor for Switch {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}
    fn on_end(&self, mut span: SpanData) {
        span.attributes
            .retain(|kv| EXPORTED.contains(&kv.key.as_str()));
        running(|p| p.on_end(span));
    }
    fn force_flush(&self) -> OTelSdkResult {
        running(|p| p.force_flush()).unwrap_or(Ok(()))
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// The caller's sampled flag decides; new traces are sampled at the configured ratio.
#[derive(Debug, Clone)]
struct Ratio;

impl ShouldSample for Ratio {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let ratio = f64::from_bits(RATIO_BITS.load(Relaxed));
        Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio)))
            .should_sample(parent, trace_id, name, kind, attributes, links)
    }
}

/// Running trace export; dropping it exports what is queued and stops the exporter thread.
pub struct Traces(());

impl Traces {
    /// Exports every finished span now.
    pub fn flush(&self) {
        if let Err(e) = Switch.force_flush() {
            tracing::warn!(error = %e, "flushing traces failed");
        }
    }
}

impl Drop for Traces {
    fn drop(&mut self) {
        let stopped = EXPORT.write().ok().and_then(|mut e| e.take());
        set_active(false);
        if let Err(e) = stopped.map_or(Ok(()), |p| p.shutdown()) {
            tracing::warn!(error = %e, "flushing traces at shutdown failed");
        }
    }
}

/// Starts exporting (batch processor on its own thread) when `config` is `Some`.
pub fn start(config: Option<&TracesConfig>, version: &str) -> anyhow::Result<Option<Traces>> {
    let Some(config) = config else {
        return Ok(None);
    };
    let mut export = EXPORT.write().unwrap_or_else(|p| p.into_inner());
    if export.is_some() {
        anyhow::bail!("trace export is already running in this process");
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(http_client()?)
        .with_endpoint(config.endpoint.clone())
        .build()
        .map_err(|e| anyhow::anyhow!("OTLP trace exporter: {e}"))?;
    let mut processor =
        BatchSpanProcessor::builder(Reporting(exporter, AtomicBool::new(false))).build();
    processor.set_resource(
        &Resource::builder()
            .with_service_name(config.service_name.clone())
            .with_attribute(KeyValue::new("service.version", version.to_string()))
            .build(),
    );
    RATIO_BITS.store(config.sample_ratio.to_bits(), Relaxed);
    *export = Some(processor);
    drop(export);
    set_active(true);
    tracing::info!(
        endpoint = %config.endpoint,
        service = %config.service_name,
        sample_ratio = config.sample_ratio,
        "exporting traces over OTLP/HTTP"
    );
    Ok(Some(Traces(())))
}

/// HTTP/1.1 with rustls (ring) and the web PKI roots. The blocking client owns a runtime:
/// it is built on a thread of its own so that starting inside an async context works too.
fn http_client() -> anyhow::Result<otlp_http::blocking::Client> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let ring = rustls::crypto::ring::default_provider().into();
    let tls = rustls::ClientConfig::builder_with_provider(ring)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let timeout = Duration::from_secs(10);
    let build = move || {
        otlp_http::blocking::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(timeout)
            .build()
    };
    let client = std::thread::spawn(build).join();
    let client = client.map_err(|_| anyhow::anyhow!("building the OTLP HTTP client panicked"))?;
    client.map_err(|e| anyhow::anyhow!("OTLP HTTP client: {e}"))
}

/// Logs when export starts failing and when it recovers, not once per batch.
#[derive(Debug)]
struct Reporting<E>(E, AtomicBool);

impl<E: SpanExporter> SpanExporter for Reporting<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let result = self.0.export(batch).await;
        if self.1.swap(result.is_err(), Relaxed) != result.is_err() {
            match &result {
                Err(e) => tracing::warn!(error = %e, "trace export failing"),
                Ok(()) => tracing::info!("trace export recovered"),
            }
        }
        result
    }
    // The OTLP exporter keeps the defaults of shutdown and flush (nothing buffered); the
    // resource must reach it.
    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// A request's context while nothing is exported: the caller's trace (and sampled flag)
/// continues under a new span id, as the SDK's tracer does for a child, or a new trace starts,
/// sampled like the default ratio of 1 (opentelemetry_sdk 0.33.1 src/trace/tracer.rs,
/// `build_with_context`; open-telemetry/opentelemetry-rust@0b12dbc8d3de).
pub(crate) fn local(parent: Context) -> Context {
    let ids = RandomIdGenerator::default();
    let caller = parent.span().span_context().clone();
    let (trace_id, flags) = match caller.is_valid() {
        true => (caller.trace_id(), caller.trace_flags()),
        false => (ids.new_trace_id(), TraceFlags::SAMPLED),
    };
    let state = caller.trace_state().clone();
    let span = SpanContext::new(trace_id, ids.new_span_id(), flags, false, state);
    parent.with_remote_span_context(span)
}

/// The caller's W3C trace context (`traceparent`, `tracestate`); empty when absent or invalid.
pub fn extract(headers: &actix_web::http::header::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&Headers(headers))
}

/// The `traceparent` (and `tracestate`) headers that continue `cx` in another service.
pub fn inject(cx: &Context) -> HashMap<String, String> {
    let mut headers = HashMap::new();
    TraceContextPropagator::new().inject_context(cx, &mut headers);
    headers
}

struct Headers<'a>(&'a actix_web::http::header::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}
