//! PostgreSQL: the connection pool, migrations, and the SQL of each resource next to it.

pub mod articles;
pub mod comments;
pub mod profiles;
pub mod tags;
pub mod users;

use crate::config::DatabaseSettings;
use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use time::OffsetDateTime;
use tokio_postgres::config::SslMode;

refinery::embed_migrations!("migrations");

/// Builds the pool. Connections are opened lazily, so a database that is down at start-up
/// makes requests fail fast with 503 until it is back, instead of crashing the process.
pub fn pool(settings: &DatabaseSettings) -> anyhow::Result<Pool> {
    let mut pg: tokio_postgres::Config = settings
        .url
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
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
        Manager::from_config(pg, tokio_postgres::NoTls, manager_config)
    } else {
        Manager::from_config(
            pg,
            tls::connector(settings.ca_file.as_deref())?,
            manager_config,
        )
    };
    Pool::builder(manager)
        .max_size(settings.pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(settings.pool_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .build()
        .context("building the database pool")
}

/// Applies pending migrations, holding an advisory lock so that replicas starting together
/// (or a migration Job racing a pod) apply each migration once.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    const MIGRATION_LOCK: i64 = 0x0063_6f6e_6475_6974; // "conduit" in ASCII
    let mut client = pool
        .get()
        .await
        .context("connecting to PostgreSQL to migrate")?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let client_ref: &mut tokio_postgres::Client = &mut client;
    let report = migrations::runner().run_async(client_ref).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    let report = report.context("applying migrations")?;
    for m in report.applied_migrations() {
        tracing::info!(migration = %m, "applied migration");
    }
    Ok(())
}

/// Records how long a named database operation took, when dropped: one line at the top of
/// each function below gives the per-statement latency metric.
pub(crate) struct Timed {
    name: &'static str,
    started: std::time::Instant,
}

pub(crate) fn timed(name: &'static str) -> Timed {
    Timed {
        name,
        started: std::time::Instant::now(),
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        crate::metrics::db_operation(self.name, self.started.elapsed());
    }
}

/// RFC 3339 in UTC with exactly three fractional digits: `2026-01-02T03:04:05.678Z`.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

mod tls {
    use anyhow::Context;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    /// TLS for `sslmode=require`: certificates are verified against `ca_file` (e.g. the RDS
    /// CA bundle) or, without one, the web PKI roots.
    pub fn connector(
        ca_file: Option<&str>,
    ) -> anyhow::Result<tokio_postgres_rustls::MakeRustlsConnect> {
        let mut roots = rustls::RootCertStore::empty();
        match ca_file {
            Some(path) => {
                for cert in CertificateDer::pem_file_iter(path)
                    .with_context(|| format!("CONDUIT_DB_CA_FILE: reading {path}"))?
                {
                    roots.add(cert.context("CONDUIT_DB_CA_FILE: bad certificate")?)?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let config = rustls::ClientConfig::builder_with_provider(
            rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.678901 +02:00);
        assert_eq!(timestamp(t), "2026-01-02T01:04:05.678Z");
        assert_eq!(
            timestamp(time::macros::datetime!(2026-01-02 03:04:05 UTC)),
            "2026-01-02T03:04:05.000Z"
        );
    }
}
