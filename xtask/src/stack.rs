//! The running app for `dev`, the browser tests and the benchmark: PostgreSQL, Redis (when
//! installed), the API and the web server, as child processes that stop with this value.

use anyhow::{bail, Context, Result};
use conduit_testkit::{ensure_port_free, free_port, listening_pids, port_holder, Postgres, Redis};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Stack {
    pub web_url: String,
    pub api_url: String,
    pub api_admin: String,
    pub web_admin: String,
    children: Vec<Child>,
    _postgres: Option<Postgres>,
    _redis: Option<Redis>,
}

pub struct Options<'a> {
    /// Directory with `conduit-web`, `dist/` and `static/` (see `web::build`).
    pub web_dir: &'a Path,
    pub api_bin: PathBuf,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    /// Fixed ports (dev) or free ones (tests).
    pub api_port: Option<u16>,
    pub web_port: Option<u16>,
    /// Where the servers' output goes (None: inherit).
    pub log_dir: Option<&'a Path>,
    pub extra_api_env: Vec<(&'static str, String)>,
    /// Run the API without Redis even when `redis-server` is installed.
    pub no_redis: bool,
}

impl Stack {
    pub fn start(o: Options) -> Result<Self> {
        let mut postgres = None;
        let database_url = match o.database_url {
            Some(u) => u,
            None => {
                let pg = Postgres::start_temporary().context("starting PostgreSQL")?;
                let u = pg.url("postgres");
                postgres = Some(pg);
                u
            }
        };
        let mut redis = None;
        let redis_url = match o.redis_url {
            Some(u) => Some(u),
            None if !o.no_redis && crate::util::which("redis-server").is_some() => {
                let r = Redis::start_temporary().context("starting Redis")?;
                let u = r.url();
                redis = Some(r);
                Some(u)
            }
            None => None,
        };
        // A fixed port someone else holds would make the readiness probe talk to them: refuse
        // with the port and its holder instead.
        let port = |p: Option<u16>, what: &str| -> Result<u16> {
            match p {
                Some(p) => ensure_port_free(p, what).map(|()| p),
                None => free_port(),
            }
        };
        let (api_port, api_admin_port) = (port(o.api_port, "the API")?, free_port()?);
        let (web_port, web_admin_port) = (port(o.web_port, "the web server")?, free_port()?);
        let api_url = format!("http://127.0.0.1:{api_port}");
        let web_url = format!("http://127.0.0.1:{web_port}");
        let mut stack = Stack {
            web_url,
            api_url: api_url.clone(),
            api_admin: format!("http://127.0.0.1:{api_admin_port}"),
            web_admin: format!("http://127.0.0.1:{web_admin_port}"),
            children: Vec::new(),
            _postgres: postgres,
            _redis: redis,
        };
        let output = |name: &str| -> Result<(Stdio, Stdio)> {
            match o.log_dir {
                None => Ok((Stdio::inherit(), Stdio::inherit())),
                Some(dir) => {
                    std::fs::create_dir_all(dir)?;
                    let f = std::fs::File::create(dir.join(format!("{name}.log")))?;
                    Ok((f.try_clone()?.into(), f.into()))
                }
            }
        };

        let mut api = Command::new(&o.api_bin);
        api.env("DATABASE_URL", &database_url)
            .env("CONDUIT_LISTEN", format!("127.0.0.1:{api_port}"))
            .env(
                "CONDUIT_ADMIN_LISTEN",
                format!("127.0.0.1:{api_admin_port}"),
            )
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            );
        if let Some(r) = &redis_url {
            api.env("REDIS_URL", r);
        }
        for (k, v) in &o.extra_api_env {
            api.env(k, v);
        }
        let (out, err) = output("api")?;
        stack.children.push(
            api.stdout(out)
                .stderr(err)
                .spawn()
                .context("starting conduit-api")?,
        );
        wait_ready(&format!("{api_url}/readyz"), &mut stack.children[0])?;
        ensure_listener_is(&mut stack.children[0], api_port, "conduit-api")?;

        let web_bin = o.web_dir.join("conduit-web");
        let mut web = Command::new(&web_bin);
        web.current_dir(o.web_dir)
            .env("PERSEUS_ENGINE_OPERATION", "serve")
            .env("CONDUIT_WEB_LISTEN", format!("127.0.0.1:{web_port}"))
            .env(
                "CONDUIT_ADMIN_LISTEN",
                format!("127.0.0.1:{web_admin_port}"),
            )
            .env("CONDUIT_API_URL", &api_url);
        let (out, err) = output("web")?;
        stack.children.push(
            web.stdout(out)
                .stderr(err)
                .spawn()
                .with_context(|| format!("starting {}", web_bin.display()))?,
        );
        let web_ready = format!("{}/readyz", stack.web_url);
        wait_ready(&web_ready, &mut stack.children[1])?;
        ensure_listener_is(&mut stack.children[1], web_port, "conduit-web")?;
        Ok(stack)
    }
}

impl Stack {
    /// Which server has exited, if any.
    pub fn exited(&mut self) -> Result<Option<&'static str>> {
        for (i, name) in ["conduit-api", "conduit-web"].into_iter().enumerate() {
            if let Some(c) = self.children.get_mut(i) {
                if c.try_wait()?.is_some() {
                    return Ok(Some(name));
                }
            }
        }
        Ok(None)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            // SIGTERM first so both servers drain and flush; then make sure.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
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
        if http_get(url).map(|(s, _)| s == 200).unwrap_or(false) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{url} was not ready within 60 s")
}

/// The server that answered on `port` must be `child`: still running, and (where `/proc` shows
/// it) the process listening there.
fn ensure_listener_is(child: &mut Child, port: u16, name: &str) -> Result<()> {
    if let Some(status) = child.try_wait()? {
        bail!(
            "{name} exited with {status}; 127.0.0.1:{port} answered for it, held by {}",
            port_holder(port)
        );
    }
    let pids = listening_pids(port);
    if !pids.is_empty() && !pids.contains(&child.id()) {
        bail!(
            "127.0.0.1:{port} is held by {}, not by the {name} we started (pid {})",
            port_holder(port),
            child.id()
        );
    }
    Ok(())
}

/// `GET url` (`http://host:port/path`): status and body.
pub fn http_get(url: &str) -> Result<(u16, String)> {
    let rest = url.strip_prefix("http://").context("http:// URLs only")?;
    let (addr, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    crate::util::http(addr, "GET", &path, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoy() -> (std::net::TcpListener, u16) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("decoy");
        let port = l.local_addr().expect("addr").port();
        (l, port)
    }

    #[test]
    fn a_fixed_port_held_by_a_decoy_is_refused_before_anything_starts() {
        let (_decoy, port) = decoy();
        let result = Stack::start(Options {
            web_dir: Path::new("/nonexistent"),
            api_bin: PathBuf::from("/nonexistent/conduit-api"),
            database_url: Some("postgres://127.0.0.1:1/unused".into()),
            redis_url: None,
            api_port: Some(port),
            web_port: None,
            log_dir: None,
            extra_api_env: Vec::new(),
            no_redis: true,
        });
        let err = format!("{:#}", result.err().expect("must refuse"));
        assert!(
            err.contains(&format!("127.0.0.1:{port} (the API)")),
            "{err}"
        );
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
    }

    #[test]
    fn a_server_answering_for_our_child_is_caught() {
        let (_decoy, port) = decoy();
        let mut child = Command::new("sleep").arg("30").spawn().expect("sleep");
        let err = ensure_listener_is(&mut child, port, "conduit-web").expect_err("not ours");
        let _ = child.kill();
        let _ = child.wait();
        let err = format!("{err:#}");
        assert!(err.contains("not by the conduit-web we started"), "{err}");
    }
}
