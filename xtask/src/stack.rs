//! The running app for `dev` and the browser tests: PostgreSQL, Redis (when installed), the
//! API and the web server, as child processes that stop with this value.

use anyhow::{bail, Context, Result};
use conduit_testkit::{ensure_port_free, free_port, listening_pids, port_holder, Postgres, Redis};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process (a server under test), killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Stack {
    pub web_url: String,
    pub api_url: String,
    pub api_admin: String,
    pub web_admin: String,
    children: Vec<Child>,
    _servers: (Option<Postgres>, Option<Redis>),
}

#[derive(Default)]
pub struct Options<'a> {
    /// Directory with `conduit-web`, `dist/` and `static/` (see `web::build`).
    pub web_dir: PathBuf,
    pub api_bin: PathBuf,
    /// Servers to use; without them, temporary ones (Redis only when installed).
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    /// Fixed ports (dev) or free ones (tests).
    pub api_port: Option<u16>,
    pub web_port: Option<u16>,
    /// Where the servers' output goes (None: inherit).
    pub log_dir: Option<&'a Path>,
}

impl Stack {
    pub fn start(o: Options) -> Result<Self> {
        // A fixed port someone else holds would make the readiness probe talk to them: refuse
        // with the port and its holder instead, before anything starts.
        let port = |p: Option<u16>, what: &str| match p {
            Some(p) => ensure_port_free(p, what).map(|()| p),
            None => free_port(),
        };
        let (api_port, api_admin) = (port(o.api_port, "the API")?, free_port()?);
        let (web_port, web_admin) = (port(o.web_port, "the web server")?, free_port()?);
        let postgres = o.database_url.is_none().then(Postgres::start_temporary);
        let postgres = postgres.transpose().context("starting PostgreSQL")?;
        let pg_url = postgres.as_ref().map(|pg| pg.url("postgres"));
        let database_url = o.database_url.or(pg_url);
        let redis = o.redis_url.is_none() && crate::util::which("redis-server").is_some();
        let redis = redis.then(Redis::start_temporary).transpose();
        let redis = redis.context("starting Redis")?;
        let redis_url = o.redis_url.or(redis.as_ref().map(Redis::url));
        let url = |port: u16| format!("http://127.0.0.1:{port}");
        let mut stack = Stack {
            web_url: url(web_port),
            api_url: url(api_port),
            api_admin: url(api_admin),
            web_admin: url(web_admin),
            children: Vec::new(),
            _servers: (postgres, redis),
        };
        let output = |name: &str| -> Result<(Stdio, Stdio)> {
            let Some(dir) = o.log_dir else {
                return Ok((Stdio::inherit(), Stdio::inherit()));
            };
            std::fs::create_dir_all(dir)?;
            let f = std::fs::File::create(dir.join(format!("{name}.log")))?;
            Ok((f.try_clone()?.into(), f.into()))
        };
        let log = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
        let mut api = Command::new(&o.api_bin);
        api.env("DATABASE_URL", database_url.unwrap_or_default())
            .env("CONDUIT_LISTEN", format!("127.0.0.1:{api_port}"))
            .env("CONDUIT_ADMIN_LISTEN", format!("127.0.0.1:{api_admin}"))
            .env("RUST_LOG", log);
        if let Some(r) = &redis_url {
            api.env("REDIS_URL", r);
        }
        let mut web = Command::new(o.web_dir.join("conduit-web"));
        web.current_dir(&o.web_dir)
            .env("PERSEUS_ENGINE_OPERATION", "serve")
            .env("CONDUIT_WEB_LISTEN", format!("127.0.0.1:{web_port}"))
            .env("CONDUIT_ADMIN_LISTEN", format!("127.0.0.1:{web_admin}"))
            .env("CONDUIT_API_URL", &stack.api_url);
        for (name, mut command, port) in [("api", api, api_port), ("web", web, web_port)] {
            let (out, err) = output(name)?;
            let child = command.stdout(out).stderr(err).spawn();
            let mut child = child.with_context(|| format!("starting conduit-{name}"))?;
            let ready = wait_ready(&format!("{}/readyz", url(port)), &mut child);
            let ours = ready.and_then(|()| ensure_listener_is(&mut child, port, name));
            stack.children.push(child);
            ours?;
        }
        Ok(stack)
    }

    /// Which server has exited, if any.
    pub fn exited(&mut self) -> Result<Option<&'static str>> {
        for (child, name) in self.children.iter_mut().zip(["conduit-api", "conduit-web"]) {
            if child.try_wait()?.is_some() {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            // SIGTERM first so both servers drain and flush; then make sure.
            let pid = c.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && matches!(c.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Polls `url` until it answers 200; fails early if the process exits.
pub fn wait_ready(url: &str, child: &mut Child) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!("the server for {url} exited with {status} before it was ready");
        }
        if http_get(url).is_ok_and(|(s, _)| s == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{url} was not ready within 60 s")
}

/// The server that answered on `port` must be `child`: still running, and (where `/proc` shows
/// it) the process listening there.
fn ensure_listener_is(child: &mut Child, port: u16, name: &str) -> Result<()> {
    let holder = port_holder(port);
    if let Some(status) = child.try_wait()? {
        bail!("conduit-{name} exited with {status}; 127.0.0.1:{port} answered, held by {holder}");
    }
    let pids = listening_pids(port);
    if !pids.is_empty() && !pids.contains(&child.id()) {
        bail!("127.0.0.1:{port} is held by {holder}, not by the conduit-{name} we started");
    }
    Ok(())
}

/// `GET url` (`http://host:port/path`): status and body.
pub fn http_get(url: &str) -> Result<(u16, String)> {
    let rest = url.strip_prefix("http://").context("http:// URLs only")?;
    let (addr, path) = rest.split_once('/').unwrap_or((rest, ""));
    crate::util::http(addr, "GET", &format!("/{path}"), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_held_by_another_process_is_refused_and_caught() {
        let decoy = std::net::TcpListener::bind("127.0.0.1:0").expect("decoy");
        let port = decoy.local_addr().expect("addr").port();
        let options = Options {
            api_port: Some(port),
            ..Default::default()
        };
        let err = format!("{:#}", Stack::start(options).err().expect("must refuse"));
        let (holder, me) = (format!("127.0.0.1:{port} (the API)"), std::process::id());
        let pid = format!("pid {me}");
        assert!(err.contains(&holder) && err.contains(&pid), "{err}");
        // A server answering for our child is not ours.
        let mut child = Command::new("sleep").arg("30").spawn().expect("sleep");
        let err = ensure_listener_is(&mut child, port, "web").expect_err("not ours");
        let _ = (child.kill(), child.wait());
        assert!(format!("{err:#}").contains("not by the conduit-web we started"));
    }
}
