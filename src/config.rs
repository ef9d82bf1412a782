//! Configuration from environment variables (12-factor), validated once at start-up.
//!
//! Every variable is documented in the README's configuration table. A bad value stops the
//! server with a message naming the variable; secrets are never echoed back.

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is required{hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl From<conduit_observability::VarError> for ConfigError {
    fn from(e: conduit_observability::VarError) -> Self {
        Self::Invalid {
            name: e.name,
            reason: e.reason,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone)]
pub struct Settings {
    pub environment: Environment,
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub jwt: JwtSettings,
    pub rate_limits: Rules,
    /// Take the client address from the last `X-Forwarded-For` hop (behind the ALB).
    pub trust_forwarded_for: bool,
    /// Behind a TLS-terminating load balancer: send HSTS, mark cookies `Secure`.
    pub behind_tls: bool,
    /// Origins allowed to call the API from a browser; empty = CORS off (same-origin only).
    pub cors_allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub shutdown_timeout: Duration,
    pub workers: usize,
    pub migrate_on_start: bool,
    /// OTLP trace export (`OTEL_EXPORTER_OTLP_ENDPOINT` …); `None` = off.
    pub traces: Option<conduit_observability::traces::TracesConfig>,
}

#[derive(Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: usize,
    /// How long a request waits for a free connection before it gets a 503.
    pub pool_timeout: Duration,
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
    /// PEM file with the CA that signs the server certificate (e.g. the RDS bundle) for
    /// `sslmode=verify-full`; without it, the web PKI roots are used.
    pub ca_file: Option<String>,
    /// JSON file with `username` and `password`, read for every new connection (a mounted
    /// Secret that rotation rewrites); `None` = the credentials in `DATABASE_URL`.
    pub credentials_file: Option<String>,
    /// `migrate` only: the runtime login role (JSON `username`/`password`) that the role
    /// bootstrap creates or updates; `None` = migrate as the connecting user, no roles.
    pub runtime_credentials_file: Option<String>,
    /// Connections older than this are replaced when they return to the pool.
    pub max_connection_age: Duration,
}

#[derive(Clone)]
pub struct RedisSettings {
    pub url: Option<String>,
    /// Namespace of every key, so several deployments can share one Redis.
    pub key_prefix: String,
    /// Bound on every Redis command: the API never hangs on Redis.
    pub timeout: Duration,
    pub cache_ttl: Duration,
    pub cache_enabled: bool,
}

#[derive(Clone)]
pub struct JwtSettings {
    pub secret: Vec<u8>,
    pub ttl: Duration,
    /// True when no secret was configured and a random one was made (development only).
    pub ephemeral: bool,
}

impl std::fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSettings")
            .field("secret", &"<redacted>")
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// Every variable of the API, declared once: `conduit-api --help` lists them with their
/// variables (docs/configuration.md is checked against it). Raw text: [`Settings::from_args`]
/// validates, with messages that name the variable and never echo a secret.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SettingsArgs {
    /// `development` (default) or `production` (requires CONDUIT_JWT_SECRET).
    #[arg(
        long,
        env = "CONDUIT_ENV",
        value_name = "CONDUIT_ENV",
        hide_env_values = true
    )]
    pub environment: Option<String>,
    /// Public listener, ip:port (default 127.0.0.1:8080).
    #[arg(
        long,
        env = "CONDUIT_LISTEN",
        value_name = "CONDUIT_LISTEN",
        hide_env_values = true
    )]
    pub listen: Option<String>,
    /// Admin listener for /metrics and /healthz, ip:port (default 127.0.0.1:9464).
    #[arg(
        long,
        env = "CONDUIT_ADMIN_LISTEN",
        value_name = "CONDUIT_ADMIN_LISTEN",
        hide_env_values = true
    )]
    pub admin_listen: Option<String>,
    /// PostgreSQL URL, postgres://… (required).
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Connections in the pool, 1..=512 (default 16).
    #[arg(
        long,
        env = "CONDUIT_DB_POOL_SIZE",
        value_name = "CONDUIT_DB_POOL_SIZE",
        hide_env_values = true
    )]
    pub db_pool_size: Option<String>,
    /// Wait for a free connection before 503, ms (default 2000).
    #[arg(
        long,
        env = "CONDUIT_DB_POOL_TIMEOUT_MS",
        value_name = "CONDUIT_DB_POOL_TIMEOUT_MS",
        hide_env_values = true
    )]
    pub db_pool_timeout_ms: Option<String>,
    /// Connect timeout, ms (default 3000).
    #[arg(
        long,
        env = "CONDUIT_DB_CONNECT_TIMEOUT_MS",
        value_name = "CONDUIT_DB_CONNECT_TIMEOUT_MS",
        hide_env_values = true
    )]
    pub db_connect_timeout_ms: Option<String>,
    /// Statement timeout, ms (default 5000).
    #[arg(
        long,
        env = "CONDUIT_DB_STATEMENT_TIMEOUT_MS",
        value_name = "CONDUIT_DB_STATEMENT_TIMEOUT_MS",
        hide_env_values = true
    )]
    pub db_statement_timeout_ms: Option<String>,
    /// PEM CA bundle for sslmode=verify-full (default: web PKI roots).
    #[arg(
        long,
        env = "CONDUIT_DB_CA_FILE",
        value_name = "CONDUIT_DB_CA_FILE",
        hide_env_values = true
    )]
    pub db_ca_file: Option<String>,
    /// JSON username/password file read for every new connection.
    #[arg(
        long,
        env = "CONDUIT_DB_CREDENTIALS_FILE",
        value_name = "CONDUIT_DB_CREDENTIALS_FILE",
        hide_env_values = true
    )]
    pub db_credentials_file: Option<String>,
    /// `migrate` only: the runtime login role the role bootstrap creates or updates.
    #[arg(
        long,
        env = "CONDUIT_DB_RUNTIME_CREDENTIALS_FILE",
        value_name = "CONDUIT_DB_RUNTIME_CREDENTIALS_FILE",
        hide_env_values = true
    )]
    pub db_runtime_credentials_file: Option<String>,
    /// Replace connections older than this, s (default 900).
    #[arg(
        long,
        env = "CONDUIT_DB_MAX_CONNECTION_AGE_SECS",
        value_name = "CONDUIT_DB_MAX_CONNECTION_AGE_SECS",
        hide_env_values = true
    )]
    pub db_max_connection_age_secs: Option<String>,
    /// redis:// or rediss:// URL; unset: in-process sessions, cache and limits.
    #[arg(
        long,
        env = "REDIS_URL",
        value_name = "REDIS_URL",
        hide_env_values = true
    )]
    pub redis_url: Option<String>,
    /// Namespace of every Redis key (default conduit).
    #[arg(
        long,
        env = "CONDUIT_REDIS_KEY_PREFIX",
        value_name = "CONDUIT_REDIS_KEY_PREFIX",
        hide_env_values = true
    )]
    pub redis_key_prefix: Option<String>,
    /// Bound on every Redis command, ms (default 250).
    #[arg(
        long,
        env = "CONDUIT_REDIS_TIMEOUT_MS",
        value_name = "CONDUIT_REDIS_TIMEOUT_MS",
        hide_env_values = true
    )]
    pub redis_timeout_ms: Option<String>,
    /// Cache entry lifetime, s (default 60).
    #[arg(
        long,
        env = "CONDUIT_CACHE_TTL_SECS",
        value_name = "CONDUIT_CACHE_TTL_SECS",
        hide_env_values = true
    )]
    pub cache_ttl_secs: Option<String>,
    /// Cache article and tag reads (default true).
    #[arg(
        long,
        env = "CONDUIT_CACHE_ENABLED",
        value_name = "CONDUIT_CACHE_ENABLED",
        hide_env_values = true
    )]
    pub cache_enabled: Option<String>,
    /// Logins per client address, count/seconds (default 20/60).
    #[arg(
        long,
        env = "CONDUIT_RATE_LIMIT_LOGIN_PER_IP",
        value_name = "CONDUIT_RATE_LIMIT_LOGIN_PER_IP",
        hide_env_values = true
    )]
    pub rate_limit_login_per_ip: Option<String>,
    /// Logins per account, count/seconds (default 10/300).
    #[arg(
        long,
        env = "CONDUIT_RATE_LIMIT_LOGIN_PER_ACCOUNT",
        value_name = "CONDUIT_RATE_LIMIT_LOGIN_PER_ACCOUNT",
        hide_env_values = true
    )]
    pub rate_limit_login_per_account: Option<String>,
    /// Sign-ups per client address, count/seconds (default 20/3600).
    #[arg(
        long,
        env = "CONDUIT_RATE_LIMIT_REGISTER_PER_IP",
        value_name = "CONDUIT_RATE_LIMIT_REGISTER_PER_IP",
        hide_env_values = true
    )]
    pub rate_limit_register_per_ip: Option<String>,
    /// Writes per user, count/seconds (default 120/60).
    #[arg(
        long,
        env = "CONDUIT_RATE_LIMIT_WRITES_PER_USER",
        value_name = "CONDUIT_RATE_LIMIT_WRITES_PER_USER",
        hide_env_values = true
    )]
    pub rate_limit_writes_per_user: Option<String>,
    /// HS256 key, at least 32 bytes (required in production).
    #[arg(
        long,
        env = "CONDUIT_JWT_SECRET",
        value_name = "CONDUIT_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,
    /// Token and session lifetime, s (default 7 days).
    #[arg(
        long,
        env = "CONDUIT_JWT_TTL_SECS",
        value_name = "CONDUIT_JWT_TTL_SECS",
        hide_env_values = true
    )]
    pub jwt_ttl_secs: Option<String>,
    /// Comma-separated http(s) origins allowed by CORS (default: none).
    #[arg(
        long,
        env = "CONDUIT_CORS_ALLOWED_ORIGINS",
        value_name = "CONDUIT_CORS_ALLOWED_ORIGINS",
        hide_env_values = true
    )]
    pub cors_allowed_origins: Option<String>,
    /// Take the client address from X-Forwarded-For (default false).
    #[arg(
        long,
        env = "CONDUIT_TRUST_FORWARDED_FOR",
        value_name = "CONDUIT_TRUST_FORWARDED_FOR",
        hide_env_values = true
    )]
    pub trust_forwarded_for: Option<String>,
    /// Largest request body, bytes (default 65536).
    #[arg(
        long,
        env = "CONDUIT_MAX_BODY_BYTES",
        value_name = "CONDUIT_MAX_BODY_BYTES",
        hide_env_values = true
    )]
    pub max_body_bytes: Option<String>,
    /// Drain time on SIGTERM, s (default 20).
    #[arg(
        long,
        env = "CONDUIT_SHUTDOWN_TIMEOUT_SECS",
        value_name = "CONDUIT_SHUTDOWN_TIMEOUT_SECS",
        hide_env_values = true
    )]
    pub shutdown_timeout_secs: Option<String>,
    /// HTTP worker threads (default: the CPUs).
    #[arg(
        long,
        env = "CONDUIT_WORKERS",
        value_name = "CONDUIT_WORKERS",
        hide_env_values = true
    )]
    pub workers: Option<String>,
    /// Apply migrations when serving starts (default true).
    #[arg(
        long,
        env = "CONDUIT_MIGRATE_ON_START",
        value_name = "CONDUIT_MIGRATE_ON_START",
        hide_env_values = true
    )]
    pub migrate_on_start: Option<String>,
    #[command(flatten)]
    pub common: conduit_observability::CommonArgs,
}

/// Minimum length of `CONDUIT_JWT_SECRET`: HS256 wants a key at least as long as its output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get`, so tests can pass a map instead of the environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let args =
            conduit_observability::config::args_from_lookup::<SettingsArgs>(get).map_err(|e| {
                ConfigError::Invalid {
                    name: "arguments",
                    reason: e.to_string(),
                }
            })?;
        Self::from_args(&args)
    }

    /// Validates the arguments (as parsed by clap from the command line and environment).
    pub fn from_args(a: &SettingsArgs) -> Result<Self, ConfigError> {
        // The variables the web server reads too (CONDUIT_BEHIND_TLS, OTEL_*), parsed alike.
        let common = a.common.validate("conduit-api")?;
        let var = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        let environment = match var(&a.environment).as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "CONDUIT_ENV",
                    reason: format!("`{other}` is not `development` or `production`"),
                })
            }
        };
        let listen = parse(
            var(&a.listen),
            "CONDUIT_LISTEN",
            "127.0.0.1:8080".parse().ok(),
        )?;
        let admin_listen = parse(
            var(&a.admin_listen),
            "CONDUIT_ADMIN_LISTEN",
            "127.0.0.1:9464".parse().ok(),
        )?;
        let url = var(&a.database_url).ok_or(ConfigError::Missing {
            name: "DATABASE_URL",
            hint: " (e.g. postgres://user:password@host:5432/conduit); `cargo xtask dev` starts a local database",
        })?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                reason: "must start with postgres://".into(),
            });
        }
        let database = DatabaseSettings {
            url,
            pool_size: bounded(var(&a.db_pool_size), "CONDUIT_DB_POOL_SIZE", 16, 1, 512)?,
            pool_timeout: millis(
                var(&a.db_pool_timeout_ms),
                "CONDUIT_DB_POOL_TIMEOUT_MS",
                2_000,
            )?,
            connect_timeout: millis(
                var(&a.db_connect_timeout_ms),
                "CONDUIT_DB_CONNECT_TIMEOUT_MS",
                3_000,
            )?,
            statement_timeout: millis(
                var(&a.db_statement_timeout_ms),
                "CONDUIT_DB_STATEMENT_TIMEOUT_MS",
                5_000,
            )?,
            ca_file: var(&a.db_ca_file),
            credentials_file: var(&a.db_credentials_file),
            runtime_credentials_file: var(&a.db_runtime_credentials_file),
            max_connection_age: Duration::from_secs(bounded(
                var(&a.db_max_connection_age_secs),
                "CONDUIT_DB_MAX_CONNECTION_AGE_SECS",
                900,
                1,
                86_400,
            )? as u64),
        };
        let redis_url = var(&a.redis_url);
        let key_prefix = var(&a.redis_key_prefix).unwrap_or_else(|| "conduit".into());
        if !key_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ConfigError::Invalid {
                name: "CONDUIT_REDIS_KEY_PREFIX",
                reason: "letters, digits, '-', '_' and '.' only".into(),
            });
        }
        let redis = RedisSettings {
            url: redis_url.clone(),
            key_prefix,
            timeout: millis(var(&a.redis_timeout_ms), "CONDUIT_REDIS_TIMEOUT_MS", 250)?,
            cache_ttl: Duration::from_secs(bounded(
                var(&a.cache_ttl_secs),
                "CONDUIT_CACHE_TTL_SECS",
                60,
                1,
                3600,
            )? as u64),
            cache_enabled: boolean(var(&a.cache_enabled), "CONDUIT_CACHE_ENABLED", true)?,
        };
        let rule = |value: &Option<String>,
                    name: &'static str,
                    default: &str|
         -> Result<Rule, ConfigError> {
            var(value)
                .as_deref()
                .unwrap_or(default)
                .parse()
                .map_err(|reason| ConfigError::Invalid { name, reason })
        };
        let rate_limits = Rules {
            login_per_ip: rule(
                &a.rate_limit_login_per_ip,
                "CONDUIT_RATE_LIMIT_LOGIN_PER_IP",
                "20/60",
            )?,
            login_per_account: rule(
                &a.rate_limit_login_per_account,
                "CONDUIT_RATE_LIMIT_LOGIN_PER_ACCOUNT",
                "10/300",
            )?,
            register_per_ip: rule(
                &a.rate_limit_register_per_ip,
                "CONDUIT_RATE_LIMIT_REGISTER_PER_IP",
                "20/3600",
            )?,
            writes_per_user: rule(
                &a.rate_limit_writes_per_user,
                "CONDUIT_RATE_LIMIT_WRITES_PER_USER",
                "120/60",
            )?,
        };
        if let Some(r) = &redis_url {
            if !(r.starts_with("redis://") || r.starts_with("rediss://")) {
                return Err(ConfigError::Invalid {
                    name: "REDIS_URL",
                    reason: "must start with redis:// or rediss://".into(),
                });
            }
        }
        let jwt = match var(&a.jwt_secret) {
            Some(s) if s.len() >= MIN_JWT_SECRET_BYTES => JwtSettings { secret: s.into_bytes(), ttl: Duration::ZERO, ephemeral: false },
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "CONDUIT_JWT_SECRET",
                    reason: format!("must be at least {MIN_JWT_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"),
                })
            }
            None if environment == Environment::Production => {
                return Err(ConfigError::Missing {
                    name: "CONDUIT_JWT_SECRET",
                    hint: " in production (at least 32 random bytes)",
                })
            }
            None => {
                use rand::RngCore;
                let mut secret = vec![0u8; 48];
                rand::thread_rng().fill_bytes(&mut secret);
                JwtSettings { secret, ttl: Duration::ZERO, ephemeral: true }
            }
        };
        let jwt = JwtSettings {
            ttl: Duration::from_secs(bounded(
                var(&a.jwt_ttl_secs),
                "CONDUIT_JWT_TTL_SECS",
                7 * 24 * 3600,
                60,
                90 * 24 * 3600,
            )? as u64),
            ..jwt
        };
        let cors_allowed_origins = var(&a.cors_allowed_origins)
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_string())
                    .filter(|o| !o.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for origin in &cors_allowed_origins {
            if origin == "*" || !(origin.starts_with("https://") || origin.starts_with("http://")) {
                return Err(ConfigError::Invalid {
                    name: "CONDUIT_CORS_ALLOWED_ORIGINS",
                    reason: format!(
                        "`{origin}` is not an http(s) origin (wildcards are not allowed)"
                    ),
                });
            }
        }
        Ok(Self {
            environment,
            listen,
            admin_listen,
            database,
            redis,
            jwt,
            rate_limits,
            trust_forwarded_for: boolean(
                var(&a.trust_forwarded_for),
                "CONDUIT_TRUST_FORWARDED_FOR",
                false,
            )?,
            behind_tls: common.behind_tls,
            cors_allowed_origins,
            max_body_bytes: bounded(
                var(&a.max_body_bytes),
                "CONDUIT_MAX_BODY_BYTES",
                64 * 1024,
                1024,
                16 * 1024 * 1024,
            )?,
            shutdown_timeout: Duration::from_secs(bounded(
                var(&a.shutdown_timeout_secs),
                "CONDUIT_SHUTDOWN_TIMEOUT_SECS",
                20,
                1,
                300,
            )? as u64),
            workers: bounded(
                var(&a.workers),
                "CONDUIT_WORKERS",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
                1,
                256,
            )?,
            migrate_on_start: boolean(var(&a.migrate_on_start), "CONDUIT_MIGRATE_ON_START", true)?,
            traces: common.traces,
        })
    }
}

fn parse<T: std::str::FromStr>(
    value: Option<String>,
    name: &'static str,
    default: Option<T>,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match value {
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
        None => default.ok_or(ConfigError::Missing { name, hint: "" }),
    }
}

fn bounded(
    value: Option<String>,
    name: &'static str,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ConfigError> {
    let n: usize = parse(value, name, Some(default))?;
    if !(min..=max).contains(&n) {
        return Err(ConfigError::Invalid {
            name,
            reason: format!("{n} is outside {min}..={max}"),
        });
    }
    Ok(n)
}

fn millis(
    value: Option<String>,
    name: &'static str,
    default: u64,
) -> Result<Duration, ConfigError> {
    Ok(Duration::from_millis(
        bounded(value, name, default as usize, 50, 120_000)? as u64,
    ))
}

fn boolean(value: Option<String>, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    Ok(conduit_observability::config::flag(
        value.as_deref(),
        name,
        default,
    )?)
}

// Rate-limit rules are configuration: they live here so that configuration imports nothing
// of the crate; `ratelimit` re-exports them.

/// `limit` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub limit: u64,
    pub window: Duration,
}

impl std::str::FromStr for Rule {
    type Err = String;

    /// `"20/60"`: 20 hits per 60 seconds.
    fn from_str(s: &str) -> Result<Self, String> {
        let (limit, secs) = s
            .split_once('/')
            .ok_or("expected LIMIT/SECONDS, e.g. 20/60")?;
        let limit: u64 = limit
            .trim()
            .parse()
            .map_err(|_| "LIMIT must be a whole number")?;
        let secs: u64 = secs
            .trim()
            .parse()
            .map_err(|_| "SECONDS must be a whole number")?;
        if limit == 0 || secs == 0 || secs > 86_400 {
            return Err("LIMIT must be at least 1 and SECONDS within 1..=86400".into());
        }
        Ok(Rule {
            limit,
            window: Duration::from_secs(secs),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Rules {
    pub login_per_ip: Rule,
    pub login_per_account: Rule,
    pub register_per_ip: Rule,
    pub writes_per_user: Rule,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    const DB: (&str, &str) = ("DATABASE_URL", "postgres://u@localhost/conduit");

    #[test]
    fn development_defaults_and_an_ephemeral_key() {
        let s = settings(&[DB]).unwrap();
        assert_eq!(s.environment, Environment::Development);
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.admin_listen.to_string(), "127.0.0.1:9464");
        assert!(s.jwt.ephemeral && s.jwt.secret.len() >= MIN_JWT_SECRET_BYTES);
        assert!(s.cors_allowed_origins.is_empty() && !s.behind_tls);
    }

    #[test]
    fn production_refuses_to_start_without_a_strong_key() {
        let err = settings(&[DB, ("CONDUIT_ENV", "production")])
            .err()
            .unwrap();
        assert!(err.to_string().contains("CONDUIT_JWT_SECRET"), "{err}");
        let err = settings(&[
            DB,
            ("CONDUIT_ENV", "production"),
            ("CONDUIT_JWT_SECRET", "short"),
        ])
        .err()
        .unwrap();
        assert!(err.to_string().contains("at least 32 bytes"), "{err}");
        assert!(
            !err.to_string().contains("short"),
            "the secret must not be echoed"
        );
        let ok = settings(&[
            DB,
            ("CONDUIT_ENV", "production"),
            ("CONDUIT_JWT_SECRET", &"k".repeat(32)),
        ])
        .unwrap();
        assert!(!ok.jwt.ephemeral);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("CONDUIT_LISTEN", "nope"),
            ("CONDUIT_DB_POOL_SIZE", "0"),
            ("CONDUIT_DB_POOL_SIZE", "many"),
            ("CONDUIT_BEHIND_TLS", "maybe"),
            ("CONDUIT_ENV", "staging"),
            ("CONDUIT_CORS_ALLOWED_ORIGINS", "*"),
            ("REDIS_URL", "http://x"),
            ("CONDUIT_RATE_LIMIT_LOGIN_PER_IP", "lots"),
            ("CONDUIT_REDIS_KEY_PREFIX", "a b"),
            ("CONDUIT_CACHE_TTL_SECS", "0"),
            ("CONDUIT_DB_MAX_CONNECTION_AGE_SECS", "0"),
        ] {
            let err = settings(&[DB, (name, value)])
                .err()
                .unwrap_or_else(|| panic!("{name}={value} accepted"));
            assert!(err.to_string().starts_with(name), "{err}");
        }
        let err = settings(&[]).err().unwrap();
        assert!(err.to_string().starts_with("DATABASE_URL"), "{err}");
    }
}
