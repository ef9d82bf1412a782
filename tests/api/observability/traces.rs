//! OTLP trace export: the ids of the logs, parent-based sampling, child spans of SQL
//! statements, no export without an endpoint, flush at shutdown, a collector that is down.

use super::{captured_logs, log_lines};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The OTLP trace tests start and stop the process-wide exporter (and count its threads):
/// one at a time when the tests share a process.
static TRACE_EXPORT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the collector saw of one request: `METHOD /path`, content type, body.
type Received = (String, String, Vec<u8>);

/// A minimal OTLP/HTTP collector on loopback: records every request and answers 200 with an
/// empty body.
struct Collector {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Collector {
    fn start() -> Self {
        Self::on(std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port"))
    }

    fn on(listener: std::net::TcpListener) -> Self {
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let sink = sink.clone();
                std::thread::spawn(move || read_request(stream, &sink));
            }
        });
        Self { url, received }
    }

    /// The bodies POSTed to `/v1/traces` so far (anything else fails the test).
    fn exports(&self) -> Vec<Vec<u8>> {
        let received = self.received.lock().unwrap();
        received
            .iter()
            .map(|(path, content_type, body)| {
                assert_eq!(path, "POST /v1/traces", "unexpected request");
                assert_eq!(content_type, "application/x-protobuf");
                body.clone()
            })
            .collect()
    }
}

/// Records one HTTP/1.1 request with a `Content-Length` body, then answers (so the exporter
/// only sees success once the request is recorded) and closes the connection.
fn read_request(mut stream: std::net::TcpStream, sink: &Mutex<Vec<Received>>) -> Option<()> {
    use std::io::{BufRead, BufReader, Read};
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let target = format!("{} {}", parts.next()?, parts.next()?);
    let (mut length, mut content_type) = (0usize, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "content-type" => content_type = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    sink.lock().unwrap().push((target, content_type, body));
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .ok()
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Names of this process's threads (Linux; the kernel keeps the first 15 bytes).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .map(|n| n.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn exporter_threads() -> Vec<String> {
    thread_names()
        .into_iter()
        .filter(|n| n.starts_with("OpenTelemetry") || n.starts_with("reqwest-intern"))
        .collect()
}

/// A decoded span with what the assertions need.
struct ExportedSpan {
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    name: String,
    kind: i32,
    attributes: Vec<(String, String)>,
    resource: Vec<(String, String)>,
}

fn attributes(kvs: &[opentelemetry_proto::tonic::common::v1::KeyValue]) -> Vec<(String, String)> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
    kvs.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(V::StringValue(s)) => s.clone(),
                Some(V::IntValue(i)) => i.to_string(),
                Some(V::BoolValue(b)) => b.to_string(),
                Some(V::DoubleValue(d)) => d.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn decode_spans(exports: &[Vec<u8>]) -> Vec<ExportedSpan> {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    let mut spans = Vec::new();
    for body in exports {
        let request = ExportTraceServiceRequest::decode(body.as_slice()).expect("OTLP protobuf");
        for rs in request.resource_spans {
            let resource = attributes(&rs.resource.map(|r| r.attributes).unwrap_or_default());
            for ss in rs.scope_spans {
                for s in ss.spans {
                    spans.push(ExportedSpan {
                        trace_id: to_hex(&s.trace_id),
                        span_id: to_hex(&s.span_id),
                        parent_span_id: to_hex(&s.parent_span_id),
                        name: s.name,
                        kind: s.kind,
                        attributes: attributes(&s.attributes),
                        resource: resource.clone(),
                    });
                }
            }
        }
    }
    spans
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The request log line of `request_id`.
fn request_line(logs: &Arc<Mutex<Vec<u8>>>, request_id: &str) -> Value {
    log_lines(logs)
        .into_iter()
        .find(|l| l["request_id"] == request_id && l["message"] == "request")
        .unwrap_or_else(|| panic!("no request line for {request_id}"))
}

#[tokio::test]
async fn traces_are_exported_over_otlp_with_the_ids_of_the_logs() {
    let _one_at_a_time = TRACE_EXPORT.lock().await;
    let logs = captured_logs();
    let collector = Collector::start();
    let app = spawn_app_with(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url),
        ("OTEL_SERVICE_NAME", "conduit-api-otlp-test"),
    ])
    .await;
    assert!(app.traces.is_some(), "the endpoint starts the export");
    assert!(conduit_api::telemetry::traces::active());
    // A new thread names itself once it runs: give it a moment.
    let mut waited = 0;
    while !exporter_threads()
        .iter()
        .any(|n| n.starts_with("OpenTelemetry"))
    {
        assert!(
            waited < 50,
            "no batch exporter thread: {:?}",
            thread_names()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }

    let token = app.register("otlpjake").await;
    // A sampled caller: its trace continues here, its span is the parent.
    let (trace_id, parent) = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
    let traced = app
        .request_with(
            reqwest::Method::GET,
            "/api/user",
            Some(&token),
            None,
            &[("traceparent", &format!("00-{trace_id}-{parent}-01"))],
        )
        .await;
    assert_eq!(traced.status, StatusCode::OK);
    let traced_id = traced.headers["x-request-id"].to_str().unwrap().to_string();
    // A caller that did not sample: parent-based sampling exports nothing of that trace.
    let unsampled_trace = "5b8efff798038103d269b633813fc60c";
    let res = app
        .request_with(
            reqwest::Method::GET,
            "/api/tags",
            None,
            None,
            &[(
                "traceparent",
                &format!("00-{unsampled_trace}-eee19b7ec3c1b174-00"),
            )],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    // No caller context: a new trace, sampled at the default ratio of 1.
    let root = app.get("/no/such/route-otlp", None).await;
    assert_eq!(root.status, StatusCode::NOT_FOUND);
    let root_id = root.headers["x-request-id"].to_str().unwrap().to_string();

    app.traces.as_ref().unwrap().flush();
    let exports = collector.exports();
    assert!(!exports.is_empty(), "nothing reached the collector");
    let spans = decode_spans(&exports);

    // The caller's trace: same trace id and span id as the request's log line.
    let line = request_line(&logs, &traced_id);
    assert_eq!(line["trace_id"], trace_id);
    let span = spans
        .iter()
        .find(|s| s.trace_id == trace_id && s.kind == 2)
        .unwrap_or_else(|| panic!("trace {trace_id} not exported"));
    assert!(
        exports
            .iter()
            .any(|b| b.windows(16).any(|w| w == hex_bytes(trace_id))),
        "the raw export lacks the trace id bytes"
    );
    assert_eq!(span.span_id, line["span_id"].as_str().unwrap());
    assert_eq!(span.parent_span_id, parent);
    assert_eq!(span.name, "GET /api/user");
    assert_eq!(span.kind, 2, "SPAN_KIND_SERVER");
    assert_eq!(attr(&span.attributes, "http.route"), Some("/api/user"));
    assert_eq!(attr(&span.attributes, "http.request.method"), Some("GET"));
    assert_eq!(
        attr(&span.attributes, "http.response.status_code"),
        Some("200")
    );
    assert_eq!(
        attr(&span.resource, "service.name"),
        Some("conduit-api-otlp-test")
    );
    assert_eq!(
        attr(&span.resource, "service.version"),
        Some(env!("CARGO_PKG_VERSION"))
    );

    // A new trace: exported with the ids its log line shows, without a parent.
    let line = request_line(&logs, &root_id);
    let root_span = spans
        .iter()
        .find(|s| s.trace_id == line["trace_id"].as_str().unwrap() && s.kind == 2)
        .unwrap_or_else(|| panic!("the new trace of {line} was not exported"));
    assert_eq!(root_span.span_id, line["span_id"].as_str().unwrap());
    assert!(root_span.parent_span_id.is_empty());
    assert_eq!(root_span.name, "GET unmatched");
    assert_eq!(
        attr(&root_span.attributes, "http.response.status_code"),
        Some("404")
    );
    assert!(!exports
        .iter()
        .any(|b| String::from_utf8_lossy(b).contains("route-otlp")));

    assert!(
        !spans.iter().any(|s| s.trace_id == unsampled_trace),
        "an unsampled caller's trace was exported"
    );
    // The SQL statements of the request are client spans under its server span, named by
    // statement, with the semantic conventions' attributes and no statement values.
    let statement = spans
        .iter()
        .find(|s| s.trace_id == trace_id && s.parent_span_id == span.span_id)
        .unwrap_or_else(|| panic!("no child span of {}", span.span_id));
    assert_eq!(statement.kind, 3, "SPAN_KIND_CLIENT");
    assert_eq!(
        attr(&statement.attributes, "db.system.name"),
        Some("postgresql")
    );
    assert_eq!(
        attr(&statement.attributes, "db.collection.name"),
        Some("users")
    );
    assert_eq!(
        attr(&statement.attributes, "db.operation.name"),
        Some(statement.name.as_str())
    );
    // Only the method, route template and status, and the statement names: no headers,
    // tokens, bodies or values.
    for s in &spans {
        for (key, _) in &s.attributes {
            assert!(
                [
                    "http.request.method",
                    "http.route",
                    "http.response.status_code",
                    "db.system.name",
                    "db.operation.name",
                    "db.collection.name",
                ]
                .contains(&key.as_str()),
                "unexpected attribute {key}"
            );
        }
    }
    for body in &exports {
        let text = String::from_utf8_lossy(body);
        for secret in [
            token.as_str(),
            "Token ",
            "otlpjake@example.com",
            "password-",
        ] {
            assert!(!text.contains(secret), "the export contains {secret:?}");
        }
    }

    // Dropping the app stops the export and its threads.
    drop(app);
    assert!(!conduit_api::telemetry::traces::active());
    assert!(
        exporter_threads().is_empty(),
        "{:?} still running",
        exporter_threads()
    );
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_exported() {
    let _one_at_a_time = TRACE_EXPORT.lock().await;
    // Where an OTLP SDK sends by default; another process may hold it, then that part is skipped.
    let default_collector = std::net::TcpListener::bind("127.0.0.1:4318")
        .ok()
        .map(Collector::on);
    // The other OTEL variables alone, and an empty endpoint (as a template renders it), are off.
    let app = spawn_app_with(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
        ("OTEL_SERVICE_NAME", "conduit-api-otlp-test"),
        ("OTEL_TRACES_SAMPLER_ARG", "1"),
    ])
    .await;
    assert!(app.traces.is_none());
    assert!(!conduit_api::telemetry::traces::active());
    let res = app
        .request_with(
            reqwest::Method::GET,
            "/api/tags",
            None,
            None,
            &[(
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            )],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        exporter_threads().is_empty(),
        "exporter threads without an endpoint: {:?}",
        exporter_threads()
    );
    match default_collector {
        Some(collector) => {
            // Longer than a batch processor's default 5 s delay.
            tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
            assert!(
                collector.received.lock().unwrap().is_empty(),
                "something was sent to the default OTLP port"
            );
        }
        None => eprintln!("127.0.0.1:4318 is in use: skipping the default-port check"),
    }
}

#[test]
fn a_bad_otlp_endpoint_stops_the_start_with_a_clear_error() {
    for (name, value) in [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector:4318"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://user:hunter2-secret@collector:4318",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_conduit-api"))
            .env_clear()
            .env("DATABASE_URL", "postgres://u@127.0.0.1:1/db")
            .env(name, value)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}={value}: {err}");
        assert!(err.contains(name), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!err.contains("hunter2-secret"), "credentials echoed: {err}");
    }
}

/// `conduit-api serve` exports what is still queued when it is stopped: the batch delay is
/// set far beyond the test, so only the flush at shutdown can deliver the span.
#[test]
fn the_server_exports_queued_spans_when_it_stops() {
    use std::io::{BufRead, BufReader};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(fresh_database());
    let collector = Collector::start();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_conduit-api"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .env("CONDUIT_LISTEN", "127.0.0.1:0")
        .env("CONDUIT_ADMIN_LISTEN", "127.0.0.1:0")
        .env("CONDUIT_MIGRATE_ON_START", "false")
        .env("CONDUIT_SHUTDOWN_TIMEOUT_SECS", "1")
        .env("CONDUIT_WORKERS", "1")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url)
        .env("OTEL_BSP_SCHEDULE_DELAY", "600000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("the server logs that it listens")
            .unwrap();
        let line: Value = serde_json::from_str(&line).unwrap();
        if line["message"] == "listening" {
            break line["port"].as_u64().unwrap();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    let drain = std::thread::spawn(move || lines.count());
    let trace_id = "3d1f0e5d8a6b4c2e9f7a1b3c5d7e9f01";
    let status = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/api/tags"))
            .header("traceparent", format!("00-{trace_id}-1a2b3c4d5e6f7a8b-01"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, StatusCode::OK);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        collector.received.lock().unwrap().is_empty(),
        "exported before shutdown: the batch delay was not in effect"
    );
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not stop on SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit}");
    drain.join().unwrap();
    let spans = decode_spans(&collector.exports());
    assert!(
        spans
            .iter()
            .any(|s| s.trace_id == trace_id && s.name == "GET /api/tags"),
        "the span was not flushed at shutdown"
    );
}

/// A collector that is down costs the API nothing: requests still succeed, and the failure is
/// one warning in the logs, not one per batch.
#[tokio::test]
async fn a_collector_that_is_down_is_logged_and_does_not_affect_requests() {
    let _one_at_a_time = TRACE_EXPORT.lock().await;
    let logs = captured_logs();
    // A port that refuses connections: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_app_with(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &endpoint)]).await;
    assert!(conduit_api::telemetry::traces::active());
    for _ in 0..2 {
        for _ in 0..3 {
            assert_eq!(app.get("/api/tags", None).await.status, StatusCode::OK);
        }
        app.traces.as_ref().unwrap().flush();
    }
    let failing = log_lines(&logs)
        .into_iter()
        .filter(|l| l["message"] == "trace export failing")
        .collect::<Vec<_>>();
    assert_eq!(failing.len(), 1, "{failing:?}");
    assert_eq!(failing[0]["level"], "WARN");
    assert!(failing[0]["error"].is_string(), "{}", failing[0]);
}
