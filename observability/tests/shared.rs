//! The shared telemetry crate through its public interface: configuration, trace context,
//! log redaction, metrics.

use actix_web::http::Method;
use conduit_observability::config::{args_from_lookup, CommonArgs};
use conduit_observability::http::method_label;
use conduit_observability::logs::sensitive;
use conduit_observability::metrics::{build_info, render};
use conduit_observability::traces::{extract, TracesConfig};

#[test]
fn both_services_read_behind_tls_alike() {
    let common = |v: &str| {
        args_from_lookup::<CommonArgs>(|k| (k == "CONDUIT_BEHIND_TLS").then(|| v.to_string()))
            .unwrap()
            .validate("x")
    };
    for v in ["true", "1", "yes", "YES"] {
        assert!(common(v).unwrap().behind_tls, "{v}");
    }
    for v in ["false", "0", "no", " "] {
        assert!(!common(v).unwrap().behind_tls, "{v}");
    }
    let err = common("maybe").unwrap_err().to_string();
    assert!(err.starts_with("CONDUIT_BEHIND_TLS"), "{err}");
}

#[test]
fn lookups_fill_the_clap_declaration_and_nothing_else() {
    let args: CommonArgs = args_from_lookup(|k| match k {
        "OTEL_SERVICE_NAME" => Some("from-lookup".into()),
        "OTEL_TRACES_SAMPLER_ARG" => Some(" ".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(args.otel_service_name.as_deref(), Some("from-lookup"));
    assert_eq!(args.otel_sampler_ratio, None, "blank is unset");
    assert_eq!(args.behind_tls, None);
}

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::trace::TraceContextExt;

fn parent(traceparent: &str) -> Option<(String, String, bool)> {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("traceparent"),
        HeaderValue::from_str(traceparent).ok()?,
    );
    let cx = extract(&headers);
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| {
        (
            sc.trace_id().to_string(),
            sc.span_id().to_string(),
            sc.is_sampled(),
        )
    })
}

#[test]
fn traceparent_is_validated() {
    let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (t, p, s) = parent(good).unwrap();
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
        assert!(parent(bad).is_none(), "{bad}");
    }
    // A later version may append fields.
    assert!(parent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x").is_some());
}

fn config(vars: &[(&str, &str)]) -> Result<Option<TracesConfig>, String> {
    let args: CommonArgs = args_from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    TracesConfig::from_args(&args, "svc").map_err(|e| e.to_string())
}

#[test]
fn traces_are_off_without_an_endpoint() {
    assert_eq!(config(&[]), Ok(None));
    let blank = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", " "),
        ("OTEL_SERVICE_NAME", "x"),
    ];
    assert_eq!(config(&blank), Ok(None));
    let disabled = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        ("OTEL_SDK_DISABLED", "true"),
    ];
    assert_eq!(config(&disabled), Ok(None));
}

#[test]
fn the_traces_endpoint_follows_the_otlp_rules() {
    let on = |vars: &[(&str, &str)]| config(vars).unwrap().unwrap();
    let c = on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]);
    assert_eq!(c.endpoint, "http://collector:4318/v1/traces");
    assert_eq!((c.service_name.as_str(), c.sample_ratio), ("svc", 1.0));
    let c = on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example/base/")]);
    assert_eq!(c.endpoint, "https://otlp.example/base/v1/traces");
    let c = on(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:4318/custom"),
        ("OTEL_SERVICE_NAME", "api-canary"),
        ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
    ]);
    assert_eq!(c.endpoint, "http://b:4318/custom");
    assert_eq!(
        (c.service_name.as_str(), c.sample_ratio),
        ("api-canary", 0.25)
    );
}

#[test]
fn bad_trace_settings_name_the_variable() {
    let endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
    for (vars, name) in [
        (vec![(endpoint, "collector:4318")], endpoint),
        (
            vec![("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url")],
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ),
        (vec![(endpoint, "http://u:secret-pw@c:4318")], endpoint),
        (
            vec![
                (endpoint, "http://c:4318"),
                ("OTEL_TRACES_SAMPLER_ARG", "2"),
            ],
            "OTEL_TRACES_SAMPLER_ARG",
        ),
        (
            vec![
                (endpoint, "http://c:4317"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ],
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
    ] {
        let err = config(&vars).expect_err(name);
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

#[test]
fn the_scrape_has_http_process_and_build_metrics() {
    build_info("test_build_info", &[("service", "t")], "1.2.3", None);
    let text = render();
    for name in [
        "http_server_active_requests{http_request_method=\"GET\"} 0",
        "test_build_info{revision=\"unknown\",service=\"t\",version=\"1.2.3\"} 1",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_start_time_seconds ",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

#[test]
fn methods_outside_the_standard_set_are_other() {
    assert_eq!(method_label(&Method::GET), "GET");
    let propfind = Method::from_bytes(b"PROPFIND").unwrap();
    assert_eq!(method_label(&propfind), "_OTHER");
}
