use anyhow::{bail, Result};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `127.0.0.1:port`.
pub(crate) fn wait_for_port(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("nothing listens on 127.0.0.1:{port} after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Whether `127.0.0.1:port` can be bound right now (nothing else listens there).
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// An error unless `127.0.0.1:port` is free: `what` is the server that wanted it, and the
/// message names the process that holds the port when this user may see it.
pub fn ensure_port_free(port: u16, what: &str) -> Result<()> {
    if port_is_free(port) {
        return Ok(());
    }
    bail!(
        "127.0.0.1:{port} ({what}) is already held by {}; stop it or free the port",
        port_holder(port)
    )
}

/// Who listens on `port`, for messages: `pid 123 (postgres)`, or that it cannot be seen.
pub fn port_holder(port: u16) -> String {
    let pids = listening_pids(port);
    if pids.is_empty() {
        return "a process this user cannot inspect".to_owned();
    }
    pids.iter()
        .map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            format!("pid {pid} ({})", comm.trim())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The processes with a listening TCP socket on `port` (any local address, IPv4 or IPv6), as far
/// as `/proc` shows them to this user.
pub fn listening_pids(port: u16) -> Vec<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if f.len() < 10 || f[3] != "0A" {
                continue;
            }
            let local_port = f[1]
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) {
                inodes.push(format!("socket:[{}]", f[9]));
            }
        }
    }
    if inodes.is_empty() {
        return Vec::new();
    }
    let mut pids = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .map(|l| inodes.iter().any(|i| l.as_os_str() == i.as_str()))
                .unwrap_or(false)
        });
        if holds {
            pids.push(pid);
        }
    }
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_port_is_reported_with_its_holder() {
        let decoy = TcpListener::bind("127.0.0.1:0").expect("decoy");
        let port = decoy.local_addr().expect("addr").port();
        assert!(!port_is_free(port));
        assert!(listening_pids(port).contains(&std::process::id()));
        let err = ensure_port_free(port, "PostgreSQL").expect_err("held");
        let msg = err.to_string();
        assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(decoy);
        assert!(port_is_free(port));
    }
}
