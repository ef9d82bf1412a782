//! The Redis connection shared by sessions, the cache and rate limits.
//!
//! Connects lazily and reconnects on its own (the connection manager), so Redis may be down
//! at start-up or come back later without a restart. Every command has a short timeout: the
//! API never waits on Redis for longer than `CONDUIT_REDIS_TIMEOUT_MS`.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;
use tokio::sync::Mutex;
use tracing::Instrument;

#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("redis timed out after {0:?}")]
    Timeout(Duration),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

pub struct Kv {
    client: redis::Client,
    conn: Mutex<Option<ConnectionManager>>,
    timeout: Duration,
    /// Namespace and format version of every key: a deploy that changes a format bumps the
    /// version, so it never reads entries written in the old one.
    prefix: String,
}

const FORMAT_VERSION: &str = "v1";

impl Kv {
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            conn: Mutex::new(None),
            timeout,
            prefix: format!("{prefix}:{FORMAT_VERSION}"),
        })
    }

    pub fn key(&self, parts: &[&str]) -> String {
        let mut k = self.prefix.clone();
        for p in parts {
            k.push(':');
            k.push_str(p);
        }
        k
    }

    async fn connection(&self) -> Result<ConnectionManager, KvError> {
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1);
        let c = tokio::time::timeout(
            self.timeout * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .map_err(|_| KvError::Timeout(self.timeout * 2))??;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// Runs one command (or pipeline/script) within the timeout, and records it.
    pub async fn run<T: redis::FromRedisValue>(&self, cmd: impl RedisOp<T>) -> Result<T, KvError> {
        let started = std::time::Instant::now();
        let name = cmd.name();
        // A client span under the request's: the command name only, never keys or values.
        let span = tracing::info_span!(
            "redis",
            otel.name = %name,
            otel.kind = "client",
            db.system.name = "redis",
            db.operation.name = %name,
        );
        let result = async {
            let mut conn = self.connection().await?;
            let left = self
                .timeout
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(1));
            tokio::time::timeout(left, cmd.run(&mut conn))
                .await
                .map_err(|_| KvError::Timeout(self.timeout))?
                .map_err(KvError::from)
        }
        .instrument(span)
        .await;
        crate::metrics::redis_command(&name, started.elapsed(), result.is_ok());
        crate::metrics::set_redis_fallback(result.is_err());
        result
    }

    pub async fn ping(&self) -> Result<(), KvError> {
        self.run::<String>(redis::cmd("PING")).await.map(|_| ())
    }
}

/// Something that can run on a connection: a command, a pipeline or a script invocation.
pub trait RedisOp<T> {
    fn run<'a>(&'a self, conn: &'a mut ConnectionManager) -> redis::RedisFuture<'a, T>;
    /// The lower-case command name for metrics (bounded: never a key).
    fn name(&self) -> String;
}

impl<T: redis::FromRedisValue + Send + 'static> RedisOp<T> for redis::Cmd {
    fn run<'a>(&'a self, conn: &'a mut ConnectionManager) -> redis::RedisFuture<'a, T> {
        Box::pin(self.query_async(conn))
    }
    fn name(&self) -> String {
        match self.args_iter().next() {
            Some(redis::Arg::Simple(name)) => String::from_utf8_lossy(name).to_ascii_lowercase(),
            _ => "unknown".into(),
        }
    }
}

impl<T: redis::FromRedisValue + Send + 'static> RedisOp<T> for redis::Pipeline {
    fn run<'a>(&'a self, conn: &'a mut ConnectionManager) -> redis::RedisFuture<'a, T> {
        Box::pin(self.query_async(conn))
    }
    fn name(&self) -> String {
        "pipeline".into()
    }
}

impl<T: redis::FromRedisValue + Send + 'static> RedisOp<T> for redis::ScriptInvocation<'_> {
    fn run<'a>(&'a self, conn: &'a mut ConnectionManager) -> redis::RedisFuture<'a, T> {
        Box::pin(self.invoke_async(conn))
    }
    fn name(&self) -> String {
        "evalsha".into()
    }
}
