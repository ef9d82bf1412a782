//! Throwaway Redis servers.

use crate::net::{ensure_port_free, free_port, port_holder, wait_for_port};
use crate::process::{configure, find_binary, spawn_detached, stop};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// A `redis-server` of our own on 127.0.0.1, without persistence unless made durable.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: std::path::PathBuf,
    durable: bool,
    _temp: Option<tempfile::TempDir>,
}

impl Redis {
    pub fn start_temporary() -> Result<Self> {
        Self::temporary(false)
    }

    /// A throwaway server whose data survives its own restart (append-only file, fsync on
    /// every write): fault drills use it to model production's replicated Redis, where a
    /// failed node's sessions live on in its replica.
    pub fn start_durable() -> Result<Self> {
        Self::temporary(true)
    }

    fn temporary(durable: bool) -> Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix("conduit-redis-")
            .tempdir()?;
        let mut r = Self::new(temp.path(), free_port()?, durable)?;
        r._temp = Some(temp);
        r.resume()?;
        Ok(r)
    }

    pub fn start_in(dir: &Path, port: u16) -> Result<Self> {
        let mut r = Self::new(dir, port, false)?;
        r.resume()?;
        Ok(r)
    }

    fn new(dir: &Path, port: u16, durable: bool) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            child: None,
            port,
            dir: dir.to_path_buf(),
            durable,
            _temp: None,
        })
    }

    /// Stops the server: for fault-injection tests.
    pub fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, Duration::from_secs(5));
        }
    }

    pub fn resume(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        // A server already on the port would answer in our place: refuse before starting.
        ensure_port_free(self.port, "Redis")?;
        let mut cmd = Command::new(find_binary("redis-server", &[])?);
        let (appendonly, fsync) = match self.durable {
            true => ("yes", "always"),
            false => ("no", "everysec"),
        };
        cmd.args([
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            appendonly,
            "--appendfsync",
            fsync,
        ])
        .arg("--dir")
        .arg(&self.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        configure(&mut cmd, &None);
        self.child = Some(spawn_detached(cmd)?);
        let verified =
            wait_for_port(self.port, Duration::from_secs(10)).and_then(|()| self.check_ours());
        if let Err(e) = verified {
            self.pause();
            return Err(e);
        }
        Ok(())
    }

    /// The server on the port must be the child we started: alive, and working in our
    /// directory (`CONFIG GET dir`).
    fn check_ours(&mut self) -> Result<()> {
        let port = self.port;
        let alive = |child: &mut Option<Child>| -> Result<()> {
            if let Some(status) = child.as_mut().map(Child::try_wait).transpose()?.flatten() {
                bail!("our Redis for 127.0.0.1:{port} exited with {status}");
            }
            Ok(())
        };
        alive(&mut self.child)?;
        check_dir(port, &self.dir).map_err(|e| {
            anyhow::anyhow!(
                "127.0.0.1:{port} is not our Redis ({e:#}); it is held by {}",
                port_holder(port)
            )
        })?;
        alive(&mut self.child)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.pause();
    }
}

/// `CONFIG GET dir` of the Redis on `127.0.0.1:port` must be `expected`.
fn check_dir(port: u16, expected: &Path) -> Result<()> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$3\r\ndir\r\n")?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // `*2 $3 dir $<n> <path>`: read until the reply has its five lines.
    while reply.split(|b| *b == b'\n').count() < 6 {
        let n = stream
            .read(&mut buf)
            .context("reading the CONFIG GET reply")?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&reply);
    let lines: Vec<&str> = text.split("\r\n").collect();
    if lines.first() != Some(&"*2") || lines.get(2) != Some(&"dir") {
        bail!("it answered {:?} to CONFIG GET dir", text.trim());
    }
    let found = Path::new(lines.get(4).copied().unwrap_or_default());
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if canonical(found) != canonical(expected) {
        bail!(
            "it works in {}, not {}",
            found.display(),
            expected.display()
        );
    }
    Ok(())
}

static SHARED: OnceLock<Result<String, String>> = OnceLock::new();
static OWNED: Mutex<Option<Redis>> = Mutex::new(None);

extern "C" fn stop_owned_redis() {
    if let Ok(mut owned) = OWNED.lock() {
        owned.take();
    }
}

/// The Redis URL all tests of this process share: `REDIS_URL` when set, otherwise a server
/// started on first use and stopped when the process exits.
pub fn shared_redis() -> Result<&'static str> {
    SHARED
        .get_or_init(|| {
            if let Ok(url) = std::env::var("REDIS_URL") {
                return Ok(url);
            }
            let r = Redis::start_temporary().map_err(|e| format!("{e:#}"))?;
            let url = r.url();
            *OWNED.lock().map_err(|e| e.to_string())? = Some(r);
            // SAFETY: registering a plain extern "C" fn.
            unsafe { libc::atexit(stop_owned_redis) };
            Ok(url)
        })
        .as_deref()
        .map_err(|e| anyhow::anyhow!("starting Redis: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoy_on_the_port_is_refused_not_used() {
        let decoy = std::net::TcpListener::bind("127.0.0.1:0").expect("decoy");
        let port = decoy.local_addr().expect("addr").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let err = match Redis::start_in(dir.path(), port) {
            Ok(_) => panic!("started on a port a decoy holds"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    }

    #[test]
    fn a_redis_in_another_directory_is_not_ours() -> Result<()> {
        if find_binary("redis-server", &[]).is_err() {
            eprintln!("SKIPPED: redis-server is not installed");
            return Ok(());
        }
        let other = Redis::start_temporary()?;
        check_dir(other.port, &other.dir)?;
        let mine = tempfile::tempdir()?;
        assert!(check_dir(other.port, mine.path()).is_err());
        Ok(())
    }
}
