//! `cargo xtask dev`: the whole app on this machine.
//!
//! Without `DATABASE_URL`, a PostgreSQL cluster lives in `target/dev/postgres` (kept between
//! runs, so your data survives) and, when `redis-server` is installed, Redis beside it. The
//! API is built and run in the foreground; Ctrl-C stops everything.

use crate::util::{cmd, root, which};
use anyhow::{Context, Result};
use conduit_testkit::{Postgres, Redis};

const PG_PORT: u16 = 55432;
const REDIS_PORT: u16 = 56379;

pub fn run() -> Result<()> {
    let dev_dir = root().join("target/dev");
    let mut _postgres = None;
    let database_url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let pg = Postgres::start_in(&dev_dir.join("postgres"), PG_PORT)
                .context("starting PostgreSQL")?;
            create_database(&pg.url("postgres"), "conduit")?;
            let url = pg.url("conduit");
            _postgres = Some(pg);
            url
        }
    };
    let mut _redis = None;
    let redis_url = match std::env::var("REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if which("redis-server").is_some() => {
            let r =
                Redis::start_in(&dev_dir.join("redis"), REDIS_PORT).context("starting Redis")?;
            let url = r.url();
            _redis = Some(r);
            Some(url)
        }
        Err(_) => None,
    };
    let listen = std::env::var("CONDUIT_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    crate::util::exec(cmd("cargo").args(["build", "--quiet", "--bin", "conduit-api"]))?;
    eprintln!();
    eprintln!("  Conduit API     http://{listen}/api");
    eprintln!("  Swagger UI      http://{listen}/api/docs/");
    eprintln!("  Metrics         http://127.0.0.1:9464/metrics");
    eprintln!("  PostgreSQL      {database_url}");
    if let Some(r) = &redis_url {
        eprintln!("  Redis           {r}");
    }
    eprintln!("  Ctrl-C stops everything.\n");
    let mut api = cmd(crate::util::target_dir().join("debug/conduit-api"));
    api.env("DATABASE_URL", &database_url)
        .env("CONDUIT_LISTEN", &listen);
    if let Some(r) = &redis_url {
        api.env("REDIS_URL", r);
    }
    if std::env::var_os("RUST_LOG").is_none() {
        api.env("RUST_LOG", "info");
    }
    let status = api.status().context("starting conduit-api")?;
    eprintln!("conduit-api exited with {status}");
    Ok(())
}

fn create_database(admin_url: &str, name: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await?
            .is_some();
        if !exists {
            client
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .await?;
        }
        anyhow::Ok(())
    })
}
