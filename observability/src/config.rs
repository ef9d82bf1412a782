//! The variables both services read: one `clap::Args` struct each binary flattens into its
//! command line (so `--help` lists them), parsed the same way in both.

use crate::traces::TracesConfig;

/// A variable with a value the service cannot use. The message names the variable and never
/// repeats a value that could be secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{name} is invalid: {reason}")]
pub struct VarError {
    pub name: &'static str,
    pub reason: String,
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
        Some(v) => Err(VarError {
            name,
            reason: format!("`{v}` is not true or false"),
        }),
    }
}
