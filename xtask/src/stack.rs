//! The running app for `dev`, the browser tests and the benchmark: PostgreSQL, Redis (when
//! installed), the API and the web server, as child processes that stop with this value.

use anyhow::{bail, Context, Result};
use conduit_testkit::{free_port, Postgres, Redis};
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
        let port = |p: Option<u16>| p.map_or_else(free_port, Ok);
        let (api_port, api_admin_port) = (port(o.api_port)?, free_port()?);
        let (web_port, web_admin_port) = (port(o.web_port)?, free_port()?);
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

/// `GET url` (`http://host:port/path`): status and body.
pub fn http_get(url: &str) -> Result<(u16, String)> {
    let rest = url.strip_prefix("http://").context("http:// URLs only")?;
    let (addr, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    crate::util::http(addr, "GET", &path, None)
}
