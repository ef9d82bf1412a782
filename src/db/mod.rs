//! PostgreSQL: the connection pool, migrations, and the SQL of each resource next to it.
//!
//! Functions take domain types (`crate::domain`), read rows by column name and return
//! [`DbError`]; nothing here knows HTTP (see `.semgrep/rust-layers.yaml`).

pub(crate) mod articles;
pub(crate) mod comments;
pub mod credentials;
mod error;
pub(crate) mod profiles;
pub mod roles;
pub(crate) mod tags;
pub mod tls;
pub(crate) mod users;

use crate::config::DatabaseSettings;
use anyhow::Context;
use credentials::FileCredentialConnect;
use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
pub(crate) use error::DbError;
use tokio_postgres::config::SslMode;

refinery::embed_migrations!("migrations");

/// Held while migrating, so that replicas starting together (or a migration Job racing a
/// pod) apply each migration once.
const MIGRATION_LOCK: i64 = 0x0063_6f6e_6475_6974; // "conduit" in ASCII

/// Builds the pool. Connections are opened lazily, so a database that is down at start-up
/// makes requests fail fast with 503 until it is back, instead of crashing the process.
/// With `CONDUIT_DB_CREDENTIALS_FILE` every new connection reads its credentials from that
/// file ([`credentials`]), and connections older than `CONDUIT_DB_MAX_CONNECTION_AGE_SECS`
/// are closed when they come back to the pool, so a rotated credential replaces the old one
/// in every session within that time, without failing a request.
pub fn pool(settings: &DatabaseSettings) -> anyhow::Result<Pool> {
    let mut pg = tls::parse_url(&settings.url)?;
    let credentials_file = settings
        .credentials_file
        .as_ref()
        .map(std::path::PathBuf::from);
    if credentials_file.is_some() && (pg.get_user().is_some() || pg.get_password().is_some()) {
        anyhow::bail!(
            "DATABASE_URL must not name a user or password when CONDUIT_DB_CREDENTIALS_FILE is set"
        );
    }
    pg.connect_timeout(settings.connect_timeout)
        .keepalives(true)
        .keepalives_idle(std::time::Duration::from_secs(30))
        .options(format!(
            "-c statement_timeout={} -c idle_in_transaction_session_timeout={}",
            settings.statement_timeout.as_millis(),
            (settings.statement_timeout * 2).as_millis()
        ))
        .application_name("conduit-api");
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = if pg.get_ssl_mode() == SslMode::Disable {
        let connect = FileCredentialConnect::new(tokio_postgres::NoTls, credentials_file);
        Manager::from_connect(pg, connect, manager_config)
    } else {
        let tls = tls::connector(settings.ca_file.as_deref())?;
        Manager::from_connect(
            pg,
            FileCredentialConnect::new(tls, credentials_file),
            manager_config,
        )
    };
    let max_age = settings.max_connection_age;
    Pool::builder(manager)
        .max_size(settings.pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(settings.pool_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        // A rejected connection is dropped and the pool hands out another or opens a new one:
        // the request that asked never sees it.
        .pre_recycle(Hook::sync_fn(move |_, metrics| {
            if metrics.age() > max_age {
                Err(HookError::message("connection reached its maximum age"))
            } else {
                Ok(())
            }
        }))
        .build()
        .context("building the database pool")
}

/// Applies pending migrations as the connecting user, under the migration lock.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let mut client = pool
        .get()
        .await
        .context("connecting to PostgreSQL to migrate")?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let client_ref: &mut tokio_postgres::Client = &mut client;
    let result = run_migrations(client_ref).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    result
}

/// Runs the embedded migrations on `client`; the caller holds [`MIGRATION_LOCK`].
async fn run_migrations(client: &mut tokio_postgres::Client) -> anyhow::Result<()> {
    let report = migrations::runner()
        .run_async(client)
        .await
        .context("applying migrations")?;
    for m in report.applied_migrations() {
        tracing::info!(migration = %m, "applied migration");
    }
    Ok(())
}

/// Records how long a named database operation took, when dropped: one line at the top of
/// each function below gives the per-statement latency metric and a client span, a child of
/// the request's, with the semantic conventions' names (never statement values).
pub(crate) struct Timed {
    name: &'static str,
    started: std::time::Instant,
    _span: tracing::Span,
}

pub(crate) fn timed(name: &'static str) -> Timed {
    // Statement names are `<table>_<operation>` (`articles_list`).
    let collection = name.split_once('_').map_or(name, |(table, _)| table);
    let span = tracing::info_span!(
        "db",
        otel.name = name,
        otel.kind = "client",
        db.system.name = "postgresql",
        db.operation.name = name,
        db.collection.name = collection,
    );
    Timed {
        name,
        started: std::time::Instant::now(),
        _span: span,
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        crate::metrics::db_operation(self.name, self.started.elapsed());
    }
}
