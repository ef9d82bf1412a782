//! Throwaway Redis servers.

use crate::net::{free_port, wait_for_port};
use crate::process::{configure, find_binary, spawn_detached, stop};
use anyhow::Result;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// A `redis-server` of our own on 127.0.0.1, without persistence.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: std::path::PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Redis {
    pub fn start_temporary() -> Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix("conduit-redis-")
            .tempdir()?;
        let mut r = Self::start_in(temp.path(), free_port()?)?;
        r._temp = Some(temp);
        Ok(r)
    }

    pub fn start_in(dir: &Path, port: u16) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut r = Self {
            child: None,
            port,
            dir: dir.to_path_buf(),
            _temp: None,
        };
        r.resume()?;
        Ok(r)
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
        let mut cmd = Command::new(find_binary("redis-server", &[])?);
        cmd.args([
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(&self.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        configure(&mut cmd, &None);
        self.child = Some(spawn_detached(cmd)?);
        wait_for_port(self.port, Duration::from_secs(10))?;
        Ok(())
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
