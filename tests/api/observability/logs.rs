//! The JSON request logs: trace context, fields, and no passwords, tokens or email addresses
//! anywhere.

use super::{captured_logs, drive_traffic, log_lines};
use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn logs_are_json_with_trace_context_and_no_secrets() {
    let logs = captured_logs();
    let app = spawn_app().await;
    let secrets = drive_traffic(&app).await;

    // A caller's W3C trace context is continued: same trace id, a new span id.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = "00f067aa0ba902b7";
    let traced = app
        .http
        .get(format!("{}/api/tags", app.address))
        .header("traceparent", format!("00-{trace_id}-{parent}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(traced.status(), StatusCode::OK);
    let request_id = traced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let untraced = app
        .http
        .get(format!("{}/api/tags", app.address))
        .header("traceparent", "garbage")
        .send()
        .await
        .unwrap();
    let untraced_id = untraced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();

    let lines = log_lines(&logs);
    let find = |id: &str| {
        lines
            .iter()
            .find(|l| l["request_id"] == id && l["message"] == "request")
            .unwrap_or_else(|| panic!("no request line for {id}"))
            .clone()
    };
    let line = find(&request_id);
    for key in [
        "timestamp",
        "level",
        "target",
        "message",
        "request_id",
        "trace_id",
        "span_id",
        "method",
        "route",
        "status",
        "latency_ms",
    ] {
        assert!(line.get(key).is_some(), "{key} missing from {line}");
    }
    assert_eq!(line["trace_id"], trace_id);
    assert_ne!(line["span_id"], parent);
    assert_eq!(line["span_id"].as_str().unwrap().len(), 16);
    assert_eq!(line["route"], "/api/tags");
    assert_eq!(line["status"], 200);
    assert_eq!(line["level"], "INFO");
    assert!(
        time::OffsetDateTime::parse(
            line["timestamp"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok(),
        "{line}"
    );
    // An invalid header starts a new trace.
    let other = find(&untraced_id);
    let new_trace = other["trace_id"].as_str().unwrap();
    assert_eq!(new_trace.len(), 32);
    assert_ne!(new_trace, trace_id);
    // Events inside a handler carry the same ids as the request line.
    let registered = lines
        .iter()
        .find(|l| l["message"] == "user registered")
        .expect("a user registered line");
    assert!(registered["trace_id"].is_string() && registered["request_id"].is_string());

    // Nothing secret or personal, in any line of the process so far.
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "the logs contain {secret}");
    }
    for pattern in ["@example.com", "password-", "Token ", "eyJ"] {
        assert!(
            !text.contains(pattern),
            "the logs contain {pattern:?}: {}",
            text.lines().find(|l| l.contains(pattern)).unwrap()
        );
    }
}
