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
    pub rate_limits: crate::ratelimit::Rules,
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

/// Minimum length of `CONDUIT_JWT_SECRET`: HS256 wants a key at least as long as its output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get`, so tests can pass a map instead of the environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // The variables the web server reads too (CONDUIT_BEHIND_TLS, OTEL_*), parsed alike.
        let common =
            conduit_observability::CommonArgs::from_lookup(&get).validate("conduit-api")?;
        let var = |name: &'static str| get(name).filter(|v| !v.trim().is_empty());
        let environment = match var("CONDUIT_ENV").as_deref() {
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
            var("CONDUIT_LISTEN"),
            "CONDUIT_LISTEN",
            "127.0.0.1:8080".parse().ok(),
        )?;
        let admin_listen = parse(
            var("CONDUIT_ADMIN_LISTEN"),
            "CONDUIT_ADMIN_LISTEN",
            "127.0.0.1:9464".parse().ok(),
        )?;
        let url = var("DATABASE_URL").ok_or(ConfigError::Missing {
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
            pool_size: bounded(
                var("CONDUIT_DB_POOL_SIZE"),
                "CONDUIT_DB_POOL_SIZE",
                16,
                1,
                512,
            )?,
            pool_timeout: millis(
                var("CONDUIT_DB_POOL_TIMEOUT_MS"),
                "CONDUIT_DB_POOL_TIMEOUT_MS",
                2_000,
            )?,
            connect_timeout: millis(
                var("CONDUIT_DB_CONNECT_TIMEOUT_MS"),
                "CONDUIT_DB_CONNECT_TIMEOUT_MS",
                3_000,
            )?,
            statement_timeout: millis(
                var("CONDUIT_DB_STATEMENT_TIMEOUT_MS"),
                "CONDUIT_DB_STATEMENT_TIMEOUT_MS",
                5_000,
            )?,
            ca_file: var("CONDUIT_DB_CA_FILE"),
            credentials_file: var("CONDUIT_DB_CREDENTIALS_FILE"),
            runtime_credentials_file: var("CONDUIT_DB_RUNTIME_CREDENTIALS_FILE"),
            max_connection_age: Duration::from_secs(bounded(
                var("CONDUIT_DB_MAX_CONNECTION_AGE_SECS"),
                "CONDUIT_DB_MAX_CONNECTION_AGE_SECS",
                900,
                1,
                86_400,
            )? as u64),
        };
        let redis_url = var("REDIS_URL");
        let key_prefix = var("CONDUIT_REDIS_KEY_PREFIX").unwrap_or_else(|| "conduit".into());
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
            timeout: millis(
                var("CONDUIT_REDIS_TIMEOUT_MS"),
                "CONDUIT_REDIS_TIMEOUT_MS",
                250,
            )?,
            cache_ttl: Duration::from_secs(bounded(
                var("CONDUIT_CACHE_TTL_SECS"),
                "CONDUIT_CACHE_TTL_SECS",
                60,
                1,
                3600,
            )? as u64),
            cache_enabled: boolean(var("CONDUIT_CACHE_ENABLED"), "CONDUIT_CACHE_ENABLED", true)?,
        };
        let rule =
            |name: &'static str, default: &str| -> Result<crate::ratelimit::Rule, ConfigError> {
                var(name)
                    .as_deref()
                    .unwrap_or(default)
                    .parse()
                    .map_err(|reason| ConfigError::Invalid { name, reason })
            };
        let rate_limits = crate::ratelimit::Rules {
            login_per_ip: rule("CONDUIT_RATE_LIMIT_LOGIN_PER_IP", "20/60")?,
            login_per_account: rule("CONDUIT_RATE_LIMIT_LOGIN_PER_ACCOUNT", "10/300")?,
            register_per_ip: rule("CONDUIT_RATE_LIMIT_REGISTER_PER_IP", "20/3600")?,
            writes_per_user: rule("CONDUIT_RATE_LIMIT_WRITES_PER_USER", "120/60")?,
        };
        if let Some(r) = &redis_url {
            if !(r.starts_with("redis://") || r.starts_with("rediss://")) {
                return Err(ConfigError::Invalid {
                    name: "REDIS_URL",
                    reason: "must start with redis:// or rediss://".into(),
                });
            }
        }
        let jwt = match var("CONDUIT_JWT_SECRET") {
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
                var("CONDUIT_JWT_TTL_SECS"),
                "CONDUIT_JWT_TTL_SECS",
                7 * 24 * 3600,
                60,
                90 * 24 * 3600,
            )? as u64),
            ..jwt
        };
        let cors_allowed_origins = var("CONDUIT_CORS_ALLOWED_ORIGINS")
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
                var("CONDUIT_TRUST_FORWARDED_FOR"),
                "CONDUIT_TRUST_FORWARDED_FOR",
                false,
            )?,
            behind_tls: common.behind_tls,
            cors_allowed_origins,
            max_body_bytes: bounded(
                var("CONDUIT_MAX_BODY_BYTES"),
                "CONDUIT_MAX_BODY_BYTES",
                64 * 1024,
                1024,
                16 * 1024 * 1024,
            )?,
            shutdown_timeout: Duration::from_secs(bounded(
                var("CONDUIT_SHUTDOWN_TIMEOUT_SECS"),
                "CONDUIT_SHUTDOWN_TIMEOUT_SECS",
                20,
                1,
                300,
            )? as u64),
            workers: bounded(
                var("CONDUIT_WORKERS"),
                "CONDUIT_WORKERS",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
                1,
                256,
            )?,
            migrate_on_start: boolean(
                var("CONDUIT_MIGRATE_ON_START"),
                "CONDUIT_MIGRATE_ON_START",
                true,
            )?,
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
