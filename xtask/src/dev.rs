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
    let mut _postgres = None;
    let database_url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let port = dev_port(PG_PORT, "PostgreSQL")?;
            // start_in refuses a port someone else holds and checks that the server answering
            // is its own child with its own data directory before anything is created in it.
            let pg = Postgres::start_in(&dev_dir.join("postgres"), port)
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
            let port = dev_port(REDIS_PORT, "Redis")?;
            let r = Redis::start_in(&dev_dir.join("redis"), port).context("starting Redis")?;
            let url = r.url();
            _redis = Some(r);
            Some(url)
        }
        Err(_) => None,
    };
    exec(&mut cargo("build --quiet --bin conduit-api"))?;
    let web_dir = dev_dir.join("web");
    crate::web::build(crate::web::Engine::Debug, &web_dir)?;
    let stack = Stack::start(Options {
        web_dir,
        api_bin: target_dir().join("debug/conduit-api"),
        database_url: Some(database_url.clone()),
        redis_url: redis_url.clone(),
        api_port: Some(API_PORT),
        web_port: Some(WEB_PORT),
        log_dir: None,
    })?;
    let (api, api_admin, web_admin) = (&stack.api_url, &stack.api_admin, &stack.web_admin);
    eprintln!("\n  Open Conduit    {}/\n", stack.web_url);
    eprintln!("  API             {api}/api  (Swagger UI: {api}/api/docs/)");
    eprintln!("  Metrics         {api_admin}/metrics (API), {web_admin}/metrics (web)");
    eprintln!("  PostgreSQL      {database_url}");
    // Without Redis the API keeps sessions, cache and limits in memory.
    let redis = redis_url
        .as_deref()
        .unwrap_or("none (sessions, cache and limits in memory)");
    eprintln!("  Redis           {redis}\n  Ctrl-C stops everything.\n");
    // Wait for Ctrl-C or SIGTERM, or for a server to die; returning drops the stack and the
    // databases, which stops everything in order.
    let mut stack = stack;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stopped = rt.block_on(async {
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
    eprintln!(
        "note: 127.0.0.1:{usual} is held by {}; the dev {what} uses 127.0.0.1:{port} instead",
        conduit_testkit::port_holder(usual)
    );
    Ok(port)
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
