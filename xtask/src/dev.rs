//! `cargo xtask dev`: the whole app on this machine, one URL to open.
//!
//! Without `DATABASE_URL`, a PostgreSQL cluster lives in `target/dev/postgres` (kept between
//! runs with durability on, so your data survives) and, when `redis-server` is installed, Redis
//! beside it. Each runs on its usual port (55432, 56379), or a free one when another process
//! holds that, and is checked to be the server this command started before it is used. The
//! API and the web server need their ports (8080, 8081): a port held by anything else is an
//! error naming the holder. The API and the web server are built and run; the web server
//! forwards `/api` to the API, so the browser sees one origin. Ctrl-C stops everything.

use crate::stack::{Options, Stack};
use crate::util::{cargo, exec, root, target_dir, which};
use anyhow::{Context, Result};
use conduit_testkit::{Postgres, Redis};
use std::time::Duration;

const PG_PORT: u16 = 55432;
const REDIS_PORT: u16 = 56379;
const API_PORT: u16 = 8080;
const WEB_PORT: u16 = 8081;

pub fn run() -> Result<()> {
    let dev_dir = root().join("target/dev");
    // start_in refuses a port someone else holds and checks that the server answering is its
    // own child with its own data directory before anything is created in it.
    let postgres = match std::env::var("DATABASE_URL") {
        Ok(_) => None,
        Err(_) => {
            let port = dev_port(PG_PORT, "PostgreSQL")?;
            let pg = Postgres::start_in(&dev_dir.join("postgres"), port);
            let pg = pg.context("starting PostgreSQL")?;
            create_database(&pg.url("postgres"), "conduit")?;
            Some(pg)
        }
    };
    let database_url = std::env::var("DATABASE_URL").ok();
    let database_url = database_url.or(postgres.as_ref().map(|pg| pg.url("conduit")));
    let redis = match (std::env::var("REDIS_URL"), which("redis-server")) {
        (Err(_), Some(_)) => {
            let port = dev_port(REDIS_PORT, "Redis")?;
            Some(Redis::start_in(&dev_dir.join("redis"), port).context("starting Redis")?)
        }
        _ => None,
    };
    let redis_url = std::env::var("REDIS_URL").ok();
    let redis_url = redis_url.or(redis.as_ref().map(Redis::url));
    exec(&mut cargo("build --quiet --bin conduit-api"))?;
    let web_dir = dev_dir.join("web");
    crate::web::build(crate::web::Engine::Debug, &web_dir)?;
    let mut stack = Stack::start(Options {
        web_dir,
        api_bin: target_dir().join("debug/conduit-api"),
        database_url: database_url.clone(),
        redis_url: redis_url.clone(),
        api_port: Some(API_PORT),
        web_port: Some(WEB_PORT),
        log_dir: None,
    })?;
    let (api, api_admin, web_admin) = (&stack.api_url, &stack.api_admin, &stack.web_admin);
    eprintln!("\n  Open Conduit    {}/\n", stack.web_url);
    eprintln!("  API             {api}/api  (Swagger UI: {api}/api/docs/)");
    eprintln!("  Metrics         {api_admin}/metrics (API), {web_admin}/metrics (web)");
    eprintln!("  PostgreSQL      {}", database_url.unwrap_or_default());
    // Without Redis the API keeps sessions, cache and limits in memory.
    let redis = redis_url.as_deref().unwrap_or("none (all state in memory)");
    eprintln!("  Redis           {redis}\n  Ctrl-C stops everything.\n");
    // Wait for Ctrl-C or SIGTERM, or for a server to die; returning drops the stack and the
    // databases, which stops everything in order.
    let stopped = block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return anyhow::Ok(None),
                _ = term.recv() => return Ok(None),
                _ = tokio::time::sleep(Duration::from_millis(500)) => {
                    if let Some(which) = stack.exited()? {
                        return Ok(Some(which));
                    }
                }
            }
        }
    })?;
    eprintln!("\nstopping…");
    drop(stack);
    match stopped {
        Some(which) => anyhow::bail!("{which} stopped unexpectedly; the rest was shut down"),
        None => Ok(()),
    }
}

/// The usual port of a dev database server, or a free one when another process holds it (the
/// URLs are printed, and nothing outside this command connects to them by port).
fn dev_port(usual: u16, what: &str) -> Result<u16> {
    if conduit_testkit::port_is_free(usual) {
        return Ok(usual);
    }
    let port = conduit_testkit::free_port()?;
    let holder = conduit_testkit::port_holder(usual);
    eprintln!("note: 127.0.0.1:{usual} is held by {holder}; the dev {what} uses port {port}");
    Ok(port)
}

fn create_database(admin_url: &str, name: &str) -> Result<()> {
    block_on(async {
        let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        let query = "SELECT 1 FROM pg_database WHERE datname = $1";
        if client.query_opt(query, &[&name]).await?.is_none() {
            let create = format!("CREATE DATABASE \"{name}\"");
            client.batch_execute(&create).await?;
        }
        anyhow::Ok(())
    })
}

fn block_on<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}
