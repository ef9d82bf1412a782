//! Throwaway PostgreSQL clusters and per-test databases.

use crate::net::{ensure_port_free, free_port, port_holder, wait_for_port};
use crate::process::{
    configure, find_binary, give_dir, spawn_detached, stop, unprivileged_user, RunAs,
};
use anyhow::{bail, Context, Result};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio_postgres::NoTls;

/// A PostgreSQL server of our own on 127.0.0.1, trust auth for the `postgres` superuser.
pub struct Postgres {
    child: Option<Child>,
    port: u16,
    data_dir: PathBuf,
    bin_dir: PathBuf,
    user: Option<RunAs>,
    /// fsync and full-page writes on: the data must survive a crash (the dev cluster).
    durable: bool,
    extra_args: Vec<String>,
    _temp: Option<tempfile::TempDir>,
}

/// How a temporary server differs from the trust-everyone default.
#[derive(Default)]
pub struct ServerOptions {
    /// PEM certificate chain and private key: the server then offers TLS (`ssl=on`).
    pub tls: Option<(String, String)>,
    /// Every user but `postgres` must log in with a SCRAM password (`postgres` keeps trust,
    /// so tests can still administer the server).
    pub password_auth: bool,
}

impl Postgres {
    /// Starts a fresh cluster in a temp dir that is removed on drop.
    pub fn start_temporary() -> Result<Self> {
        Self::start_temporary_with(ServerOptions::default())
    }

    /// [`Postgres::start_temporary`] with TLS and/or password authentication.
    pub fn start_temporary_with(options: ServerOptions) -> Result<Self> {
        let temp = tempfile::Builder::new().prefix("conduit-pg-").tempdir()?;
        let mut pg = Self::init_in(temp.path(), free_port()?, false)?;
        pg._temp = Some(temp);
        if let Some((cert, key)) = &options.tls {
            pg.write_private("server.crt", cert)?;
            pg.write_private("server.key", key)?;
            pg.extra_args.extend(
                [
                    "ssl=on",
                    "ssl_cert_file=server.crt",
                    "ssl_key_file=server.key",
                ]
                .map(String::from),
            );
        }
        if options.password_auth {
            pg.write_private(
                "pg_hba.conf",
                "local all postgres trust\n\
                 host all postgres 127.0.0.1/32 trust\n\
                 host all all 127.0.0.1/32 scram-sha-256\n",
            )?;
        }
        pg.resume()?;
        Ok(pg)
    }

    /// Writes a file into the data directory, readable by the server's user only (PostgreSQL
    /// refuses a key file that others can read).
    fn write_private(&self, name: &str, content: &str) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.data_dir.join(name);
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        give_dir(&path, &self.user)
    }

    /// Starts (initialising if empty) a cluster whose files live in `dir` and are kept, e.g.
    /// under `target/`: with durability on, since its data is meant to survive.
    pub fn start_in(dir: &Path, port: u16) -> Result<Self> {
        let mut pg = Self::init_in(dir, port, true)?;
        pg.resume()?;
        Ok(pg)
    }

    /// Initialises the cluster in `dir` if it is empty, without starting it.
    fn init_in(dir: &Path, port: u16, durable: bool) -> Result<Self> {
        // Resolve links: the server binaries and pg_isready live beside the real initdb.
        let bin_dir = std::fs::canonicalize(find_binary("initdb", &system_postgres_dirs())?)?
            .parent()
            .context("initdb has no parent dir")?
            .to_path_buf();
        let user = unprivileged_user()?;
        std::fs::create_dir_all(dir)?;
        let data_dir = dir.join("data");
        give_dir(dir, &user)?;
        if !data_dir.join("PG_VERSION").exists() {
            let mut init = Command::new(bin_dir.join("initdb"));
            init.args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ])
            .arg("-D")
            .arg(&data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
            configure(&mut init, &user);
            let out = init.output().context("running initdb")?;
            if !out.status.success() {
                bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        Ok(Self {
            child: None,
            port,
            data_dir,
            bin_dir,
            user,
            durable,
            extra_args: Vec::new(),
            _temp: None,
        })
    }

    /// Stops the server, keeping its files: for fault-injection tests.
    pub fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, Duration::from_secs(10));
        }
    }

    /// Starts the server again on the same port with the same files.
    pub fn resume(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        // A server already on the port would answer in our place: refuse before starting.
        ensure_port_free(self.port, "PostgreSQL")?;
        let log_path = self.data_dir.with_file_name("postgres.log");
        let log = std::fs::File::create(&log_path)?;
        let mut cmd = Command::new(self.bin_dir.join("postgres"));
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
            ])
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.data_dir.display()
            ))
            .args(["-c", "max_connections=400", "-c", "shared_buffers=128MB"])
            .stdout(Stdio::null())
            .stderr(log);
        if !self.durable {
            // Throwaway data: durability off, speed on.
            cmd.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        cmd.args(self.extra_args.iter().flat_map(|a| ["-c", a.as_str()]));
        configure(&mut cmd, &self.user);
        self.child = Some(spawn_detached(cmd)?);
        let started = self.wait_until_ready();
        let verified = started.and_then(|()| self.check_ours());
        if let Err(e) = verified {
            self.pause();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!("{e:#}\n  {}: {}", log_path.display(), tail.join("\n  "));
        }
        Ok(())
    }

    fn wait_until_ready(&mut self) -> Result<()> {
        wait_for_port(self.port, Duration::from_secs(30))?;
        // An open port is not yet a server that accepts sessions (recovery, start-up).
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            self.ensure_alive()?;
            let ready = Command::new(self.bin_dir.join("pg_isready"))
                .args([
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .status()?;
            if ready.success() {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                bail!("PostgreSQL on port {} did not become ready", self.port);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn ensure_alive(&mut self) -> Result<()> {
        if let Some(child) = self.child.as_mut() {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "our PostgreSQL for 127.0.0.1:{} exited with {status}",
                    self.port
                );
            }
        }
        Ok(())
    }

    /// The server answering on the port must be the child we started: alive, and serving our
    /// data directory. Anything else (a stranger that took the port first) is an error, and
    /// nothing is created or migrated in it.
    fn check_ours(&mut self) -> Result<()> {
        self.ensure_alive()?;
        check_data_directory(self.port, &self.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "127.0.0.1:{} is not our PostgreSQL ({e:#}); it is held by {}",
                self.port,
                port_holder(self.port)
            )
        })?;
        self.ensure_alive()
    }

    /// The postmaster's process id while it runs (its backends are its children).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database` as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.pause();
    }
}

fn system_postgres_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.reverse(); // newest major version first
    dirs
}

/// `SHOW data_directory` of the server on `127.0.0.1:port` must be `expected`. Runs on a thread
/// of its own, so it works whether or not the caller is inside a Tokio runtime.
fn check_data_directory(port: u16, expected: &Path) -> Result<()> {
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?connect_timeout=5");
    let found = std::thread::spawn(move || -> Result<String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let client = connect(&url).await?;
            let row = client.query_one("SHOW data_directory", &[]).await?;
            anyhow::Ok(row.get::<_, String>(0))
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the data_directory check panicked"))??;
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if canonical(Path::new(&found)) != canonical(expected) {
        bail!("it serves {found}, not {}", expected.display());
    }
    Ok(())
}

/// The server all tests of this process share: `DATABASE_URL` when set, otherwise a cluster
/// started on first use and stopped when the process exits.
pub struct SharedPostgres {
    /// URL of a database on the server from which other databases can be created.
    admin_url: String,
}

static SHARED: OnceLock<Result<SharedPostgres, String>> = OnceLock::new();
static OWNED: Mutex<Option<Postgres>> = Mutex::new(None);

extern "C" fn stop_owned_cluster() {
    if let Ok(mut owned) = OWNED.lock() {
        owned.take();
    }
}

pub fn shared_postgres() -> Result<&'static SharedPostgres> {
    SHARED
        .get_or_init(|| {
            if let Ok(url) = std::env::var("DATABASE_URL") {
                return Ok(SharedPostgres { admin_url: url });
            }
            let pg = Postgres::start_temporary().map_err(|e| format!("{e:#}"))?;
            let admin_url = pg.url("postgres");
            *OWNED.lock().map_err(|e| e.to_string())? = Some(pg);
            // SAFETY: registering a plain extern "C" fn.
            unsafe { libc::atexit(stop_owned_cluster) };
            Ok(SharedPostgres { admin_url })
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("starting PostgreSQL: {e}"))
}

impl SharedPostgres {
    /// A new, empty-but-migrated database for one test. The first call for a given
    /// `template` name creates that template with `migrate` (under an advisory lock, so
    /// parallel test processes build it once); every test then gets a cheap copy.
    pub async fn fresh_database<F, Fut>(&self, template: &str, migrate: F) -> Result<TestDatabase>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let admin = connect(&self.admin_url).await?;
        admin
            .execute("SELECT pg_advisory_lock(7356110)", &[])
            .await?;
        let result = async {
            let exists = admin
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
                .await?
                .is_some();
            if !exists {
                let building = format!("{template}_building");
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{building}\""))
                    .await?;
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{building}\""))
                    .await?;
                migrate(with_database(&self.admin_url, &building)).await?;
                // Rename only once migrated: a half-built template is never used.
                admin
                    .batch_execute(&format!(
                        "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
                    ))
                    .await?;
            }
            let name = format!("test_{}", uuid::Uuid::new_v4().simple());
            admin
                .batch_execute(&format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                ))
                .await?;
            anyhow::Ok(name)
        }
        .await;
        admin
            .execute("SELECT pg_advisory_unlock(7356110)", &[])
            .await?;
        let name = result?;
        Ok(TestDatabase {
            url: with_database(&self.admin_url, &name),
            name,
            admin_url: self.admin_url.clone(),
        })
    }
}

/// A database that is dropped when the value is.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside any runtime guarantee: use a small one of our own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let admin = connect(&admin_url).await?;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                anyhow::Ok(())
            })
        })
        .join();
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://u:p@h:1/db?sslmode=require", "x"),
            "postgres://u:p@h:1/x?sslmode=require"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://***@h/db");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_fresh_database_is_migrated_and_isolated() -> Result<()> {
        let pg = shared_postgres()?;
        let migrate = |url: String| async move {
            connect(&url)
                .await?
                .batch_execute("CREATE TABLE t (x int)")
                .await?;
            Ok(())
        };
        let a = pg.fresh_database("testkit_selftest", migrate).await?;
        let b = pg
            .fresh_database("testkit_selftest", |_| async {
                bail!("template must be reused")
            })
            .await?;
        connect(&a.url)
            .await?
            .execute("INSERT INTO t VALUES (1)", &[])
            .await?;
        let rows = connect(&b.url).await?.query("SELECT x FROM t", &[]).await?;
        assert!(rows.is_empty(), "databases must not share rows");
        Ok(())
    }

    #[test]
    fn a_decoy_on_the_port_is_refused_not_used() {
        let decoy = std::net::TcpListener::bind("127.0.0.1:0").expect("decoy");
        let port = decoy.local_addr().expect("addr").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let err = match Postgres::start_in(dir.path(), port) {
            Ok(_) => panic!("started on a port a decoy holds"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
        assert!(err.contains("already held by"), "{err}");
    }

    #[test]
    fn a_server_with_another_data_directory_is_not_ours() -> Result<()> {
        let other = Postgres::start_temporary()?;
        check_data_directory(other.port(), &other.data_dir)?;
        let mine = tempfile::tempdir()?;
        let err = check_data_directory(other.port(), mine.path()).expect_err("not ours");
        assert!(format!("{err:#}").contains("not"), "{err:#}");
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn pause_and_resume_keep_the_data() -> Result<()> {
        let mut pg = Postgres::start_temporary()?;
        connect(&pg.url("postgres"))
            .await?
            .batch_execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
            .await?;
        pg.pause();
        assert!(
            connect(&pg.url("postgres")).await.is_err(),
            "server must be down"
        );
        pg.resume()?;
        let row = connect(&pg.url("postgres"))
            .await?
            .query_one("SELECT x FROM kept", &[])
            .await?;
        assert_eq!(row.get::<_, i32>(0), 7);
        Ok(())
    }
}
