//! Starting server processes that never outlive us, as an unprivileged user when we are root.

use anyhow::{bail, Context, Result};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// The first executable named `name` on `PATH` or in one of `extra_dirs`.
pub(crate) fn find_binary(name: &str, extra_dirs: &[PathBuf]) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().cloned())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .with_context(|| format!("`{name}` not found on PATH or in {extra_dirs:?}"))
}

/// PostgreSQL refuses to run as root, and CI runs as root: servers then run as `nobody`.
pub(crate) struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

pub(crate) fn unprivileged_user() -> Result<Option<RunAs>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() > 3 && fields[0] == "nobody" {
            return Ok(Some(RunAs {
                uid: fields[2].parse()?,
                gid: fields[3].parse()?,
            }));
        }
    }
    bail!("running as root and there is no `nobody` user to run the database as")
}

/// Hands `dir` (and everything in it) to the user the servers run as.
pub(crate) fn give_dir(dir: &Path, user: &Option<RunAs>) -> Result<()> {
    if let Some(u) = user {
        std::os::unix::fs::chown(dir, Some(u.uid), Some(u.gid))
            .with_context(|| format!("chown {}", dir.display()))?;
    }
    Ok(())
}

/// Prepares `cmd` to run as `user` and to receive SIGTERM when this process dies.
pub(crate) fn configure(cmd: &mut Command, user: &Option<RunAs>) {
    if let Some(u) = user {
        cmd.uid(u.uid).gid(u.gid);
        // `nobody` has no home; keep tools from looking into root's.
        cmd.env("HOME", "/tmp");
    }
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Spawns `cmd` from a thread that lives as long as the process: the parent-death signal
/// fires when the *thread* that forked exits, and test threads come and go.
pub(crate) fn spawn_detached(mut cmd: Command) -> Result<Child> {
    use std::sync::mpsc;
    use std::sync::OnceLock;
    type Job = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<std::sync::Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("testkit-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawning the testkit spawner thread");
        std::sync::Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    cmd.stdin(std::process::Stdio::null());
    spawner
        .lock()
        .map_err(|_| anyhow::anyhow!("spawner lock poisoned"))?
        .send((cmd, tx))
        .context("spawner thread is gone")?;
    Ok(rx.recv().context("spawner thread is gone")??)
}

/// Ends a server: SIGTERM, then SIGKILL if it lingers.
pub(crate) fn stop(child: &mut Child, grace: std::time::Duration) {
    // SAFETY: kill with a pid we own.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
