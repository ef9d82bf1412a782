//! Where the database user name and password come from, read again for every new connection.
//!
//! In Kubernetes the credentials are a Secret mounted as a file (JSON with `username` and
//! `password`, the format of an RDS secret in Secrets Manager). The kubelet replaces the file
//! atomically when the Secret changes, so reading it for each new connection picks up a rotated
//! password without a restart, while open connections (and the requests on them) carry on:
//! PostgreSQL checks a password only when a session starts. Paired with the "alternating users"
//! rotation (the password that changes is always the one *not* in the file), a new connection
//! never meets a half-propagated password. Without a file, the credentials in `DATABASE_URL`
//! are used, as before.

use anyhow::Context;
use deadpool_postgres::Connect;
use futures_util::future::BoxFuture;
use std::path::{Path, PathBuf};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::Socket;

/// A user name and its password; the password never appears in `Debug` output.
#[derive(Clone, serde::Deserialize)]
pub struct Credentials {
    pub username: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Reads a credentials file: a JSON object with at least `username` and `password` (further
    /// keys such as `host` or `masterarn` of an RDS secret are ignored).
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read(path)
            .with_context(|| format!("reading database credentials from {}", path.display()))?;
        // The error names the file, never its content.
        let credentials: Self = serde_json::from_slice(&text).map_err(|_| {
            anyhow::anyhow!(
                "{} is not JSON with string `username` and `password`",
                path.display()
            )
        })?;
        if credentials.username.is_empty() || credentials.password.is_empty() {
            anyhow::bail!(
                "{}: `username` and `password` must not be empty",
                path.display()
            );
        }
        Ok(credentials)
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// Puts these credentials into a connection configuration.
    pub fn apply(&self, config: &mut tokio_postgres::Config) {
        config.user(&self.username).password(&self.password);
    }
}

/// Opens pool connections with the credentials of `file` as they are at that moment.
pub struct FileCredentialConnect<T> {
    tls: T,
    file: Option<PathBuf>,
}

impl<T> FileCredentialConnect<T> {
    /// `file: None` connects with the configuration as given (credentials from `DATABASE_URL`).
    pub fn new(tls: T, file: Option<PathBuf>) -> Self {
        Self { tls, file }
    }
}

impl<T> Connect for FileCredentialConnect<T>
where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    fn connect(
        &self,
        pg_config: &tokio_postgres::Config,
    ) -> BoxFuture<
        '_,
        Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), tokio_postgres::Error>,
    > {
        let tls = self.tls.clone();
        let mut pg_config = pg_config.clone();
        let read = self.file.as_deref().map(Credentials::from_file);
        Box::pin(async move {
            match read {
                Some(Ok(credentials)) => credentials.apply(&mut pg_config),
                // The URL holds no user when a file is configured (checked when the pool is
                // built), so this attempt fails with tokio-postgres' "user missing"; the log
                // line says why.
                Some(Err(e)) => {
                    tracing::error!(error = %format!("{e:#}"), "database credentials unreadable")
                }
                None => {}
            }
            let (client, connection) = pg_config.connect(tls).await?;
            let handle = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "database connection ended with an error");
                }
            });
            Ok((client, handle))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content: &str) -> (tempdir::Dir, PathBuf) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("credentials.json");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let p = std::env::temp_dir().join(format!(
                    "conduit-creds-{}-{}",
                    std::process::id(),
                    uuid::Uuid::new_v4().simple()
                ));
                std::fs::create_dir_all(&p).unwrap();
                Self(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn reads_an_rds_secret_and_ignores_other_keys() {
        let (_d, path) = file(
            r#"{"engine":"postgres","host":"db","username":"conduit_app","password":"s3cret","masterarn":"arn:x"}"#,
        );
        let c = Credentials::from_file(&path).unwrap();
        assert_eq!(
            (c.username.as_str(), c.password()),
            ("conduit_app", "s3cret")
        );
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn errors_name_the_file_but_never_the_content() {
        let (_d, path) = file(r#"{"username":"u","pass":"leaked-value"}"#);
        let err = format!("{:#}", Credentials::from_file(&path).unwrap_err());
        assert!(
            err.contains("credentials.json") && !err.contains("leaked-value"),
            "{err}"
        );
        let (_d, path) = file(r#"{"username":"","password":"x"}"#);
        assert!(Credentials::from_file(&path).is_err());
        assert!(Credentials::from_file(Path::new("/nonexistent/creds.json")).is_err());
    }
}
