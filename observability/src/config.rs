//! The variables both services read: one `clap::Args` struct each binary flattens into its
//! command line (so `--help` lists them), parsed the same way in both.

/// A variable with a value the service cannot use. The message names the variable and never
/// repeats a value that could be secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{name} is invalid: {reason}")]
pub struct VarError {
    pub name: &'static str,
    pub reason: String,
}

fn invalid<T>(name: &'static str, reason: impl Into<String>) -> Result<T, VarError> {
    let reason = reason.into();
    Err(VarError { name, reason })
}

/// Common settings, as raw text: validation happens in [`CommonArgs::validate`] so that an
/// error message never echoes a value (an OTLP URL may carry credentials).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// Behind a TLS-terminating load balancer: send HSTS (and, in the API, mark cookies
    /// Secure). true/false, 1/0, yes/no.
    #[arg(long, env = "CONDUIT_BEHIND_TLS", value_name = "BOOL")]
    pub behind_tls: Option<String>,
    /// Base URL of an OTLP/HTTP collector (`/v1/traces` is appended); unset: no trace export.
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_name = "URL",
        hide_env_values = true
    )]
    pub otlp_endpoint: Option<String>,
    /// Full URL traces are sent to; wins over OTEL_EXPORTER_OTLP_ENDPOINT.
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        value_name = "URL",
        hide_env_values = true
    )]
    pub otlp_traces_endpoint: Option<String>,
    /// OTLP protocol: only `http/protobuf`.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_PROTOCOL", value_name = "PROTOCOL")]
    pub otlp_protocol: Option<String>,
    /// OTLP protocol of traces: only `http/protobuf`.
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        value_name = "PROTOCOL"
    )]
    pub otlp_traces_protocol: Option<String>,
    /// `service.name` of exported spans (default: the binary's name).
    #[arg(long, env = "OTEL_SERVICE_NAME", value_name = "NAME")]
    pub otel_service_name: Option<String>,
    /// Share of new traces exported, 0..=1 (default 1); callers' sampled flags are honoured.
    #[arg(long, env = "OTEL_TRACES_SAMPLER_ARG", value_name = "RATIO")]
    pub otel_sampler_ratio: Option<String>,
    /// `true`: no trace export whatever the endpoint says.
    #[arg(long, env = "OTEL_SDK_DISABLED", value_name = "BOOL")]
    pub otel_sdk_disabled: Option<String>,
}

/// The validated common settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    pub behind_tls: bool,
    /// `None`: no trace export.
    pub traces: Option<TracesConfig>,
}

impl CommonArgs {
    /// Validates: `service` is the default `service.name`.
    pub fn validate(&self, service: &str) -> Result<Common, VarError> {
        Ok(Common {
            behind_tls: flag(self.behind_tls.as_deref(), "CONDUIT_BEHIND_TLS", false)?,
            traces: TracesConfig::from_args(self, service)?,
        })
    }
}

/// Parses `T` from variables looked up through `get` (tests pass a map) instead of the
/// process environment: each argument's `env` name, from the one clap declaration, is looked
/// up and passed as `--long=value`; blank values count as unset.
pub fn args_from_lookup<T: clap::Args + clap::FromArgMatches>(
    get: impl Fn(&str) -> Option<String>,
) -> Result<T, clap::Error> {
    let cmd = T::augment_args(clap::Command::new("settings").no_binary_name(true));
    let argv: Vec<String> = cmd
        .get_arguments()
        .filter_map(|arg| {
            let value = get(arg.get_env()?.to_str()?).filter(|v| !v.trim().is_empty())?;
            Some(format!("--{}={value}", arg.get_long()?))
        })
        .collect();
    // Only `get` decides: the process environment is not read here.
    let cmd = cmd.mut_args(|arg| arg.env(None::<&str>));
    T::from_arg_matches(&cmd.try_get_matches_from(argv)?)
}

/// A boolean variable: true/1/yes or false/0/no (any case); unset or blank is `default`.
pub fn flag(value: Option<&str>, name: &'static str, default: bool) -> Result<bool, VarError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(v) => invalid(name, format!("`{v}` is not true or false")),
    }
}

/// Where to export (the full `…/v1/traces` URL) and the share of new traces sampled, from the
/// standard OpenTelemetry variables.
#[derive(Clone, Debug, PartialEq)]
pub struct TracesConfig {
    pub endpoint: String,
    pub service_name: String,
    pub sample_ratio: f64,
}

impl TracesConfig {
    /// `None` without an endpoint or with `OTEL_SDK_DISABLED=true`: no export.
    pub fn from_args(args: &CommonArgs, service: &str) -> Result<Option<Self>, VarError> {
        let set =
            |v: &Option<String>| Some(v.as_deref()?.trim().to_string()).filter(|v| !v.is_empty());
        if set(&args.otel_sdk_disabled).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return Ok(None);
        }
        // The signal's own URL is used as it is; the base URL gets `v1/traces`.
        let endpoint = match (set(&args.otlp_traces_endpoint), set(&args.otlp_endpoint)) {
            (Some(url), _) => endpoint_url(&url, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", false)?,
            (None, Some(url)) => endpoint_url(&url, "OTEL_EXPORTER_OTLP_ENDPOINT", true)?,
            (None, None) => return Ok(None),
        };
        let names = [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ];
        let protocols = [&args.otlp_traces_protocol, &args.otlp_protocol];
        for (name, value) in names.into_iter().zip(protocols) {
            if let Some(p) = set(value).filter(|p| p != "http/protobuf") {
                let reason = format!("`{p}` is not supported: only `http/protobuf`");
                return invalid(name, reason);
            }
        }
        let ratio = set(&args.otel_sampler_ratio).unwrap_or_else(|| "1".into());
        let Some(sample_ratio) = ratio.parse().ok().filter(|r| (0.0..=1.0).contains(r)) else {
            let reason = format!("`{ratio}` is not a ratio between 0 and 1");
            return invalid("OTEL_TRACES_SAMPLER_ARG", reason);
        };
        let service_name = set(&args.otel_service_name).unwrap_or_else(|| service.into());
        Ok(Some(Self {
            endpoint,
            service_name,
            sample_ratio,
        }))
    }
}

/// An absolute http(s) URL without credentials (they would end up in error messages;
/// authentication goes in `OTEL_EXPORTER_OTLP_HEADERS`).
fn endpoint_url(value: &str, name: &'static str, base: bool) -> Result<String, VarError> {
    let parsed = otlp_http::Url::parse(value);
    let parsed = parsed.map_err(|e| format!("not a URL ({e}); e.g. http://otel-collector:4318"));
    let mut url = match parsed {
        Ok(url) => url,
        Err(reason) => return invalid(name, reason),
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return invalid(name, "must be an http:// or https:// URL with a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        let reason = "must not contain credentials; use OTEL_EXPORTER_OTLP_HEADERS";
        return invalid(name, reason);
    }
    if base {
        let path = format!("{}/v1/traces", url.path().trim_end_matches('/'));
        url.set_path(&path);
    }
    Ok(url.into())
}
