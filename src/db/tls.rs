//! TLS to PostgreSQL with `sslmode=verify-full` semantics: the server's certificate chain is
//! verified against `CONDUIT_DB_CA_FILE` (in AWS the Amazon RDS CA bundle) and its name
//! against the host in `DATABASE_URL`.
//!
//! tokio-postgres only knows `disable`, `prefer` and `require`, and leaves verification to the
//! TLS connector. Ours is rustls, which always checks the chain and the host name, so
//! `require` here already means libpq's `verify-full`. The URL may therefore say
//! `verify-full` (or `verify-ca`, which gets the stricter check) and it is passed on as
//! `require`; `prefer` is refused because it falls back to plaintext.

use anyhow::{bail, Context};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres::config::SslMode;

/// Parses `DATABASE_URL`, mapping libpq's verifying `sslmode`s onto tokio-postgres' `require`.
pub fn parse_url(url: &str) -> anyhow::Result<tokio_postgres::Config> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut rewritten = base.to_string();
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param {
                "sslmode=verify-full" | "sslmode=verify-ca" => "sslmode=require".to_string(),
                other => other.to_string(),
            })
            .collect();
        rewritten.push('?');
        rewritten.push_str(&params.join("&"));
    }
    let config: tokio_postgres::Config = rewritten
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    if config.get_ssl_mode() == SslMode::Prefer && query.is_some_and(|q| q.contains("sslmode=")) {
        bail!("DATABASE_URL: sslmode=prefer may fall back to plaintext; use verify-full (or disable on loopback)");
    }
    Ok(config)
}

/// The rustls connector: certificates are verified against `ca_file` (e.g. the RDS CA bundle)
/// or, without one, the web PKI roots (which never sign an RDS certificate).
pub fn connector(
    ca_file: Option<&str>,
) -> anyhow::Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .with_context(|| format!("CONDUIT_DB_CA_FILE: reading {path}"))?
            {
                roots.add(cert.context("CONDUIT_DB_CA_FILE: bad certificate")?)?;
            }
            if roots.is_empty() {
                bail!("CONDUIT_DB_CA_FILE: {path} holds no certificate");
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(
        rustls::crypto::ring::default_provider().into(),
    )
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_full_is_accepted_and_means_require() {
        let c = parse_url("postgres://db.example:5432/conduit?sslmode=verify-full").unwrap();
        assert_eq!(c.get_ssl_mode(), SslMode::Require);
        let c = parse_url("postgres://h/conduit?application_name=x&sslmode=verify-ca").unwrap();
        assert_eq!(c.get_ssl_mode(), SslMode::Require);
        let c = parse_url("postgres://h/conduit?sslmode=disable").unwrap();
        assert_eq!(c.get_ssl_mode(), SslMode::Disable);
    }

    #[test]
    fn prefer_and_unknown_modes_are_refused() {
        assert!(parse_url("postgres://h/conduit?sslmode=prefer").is_err());
        assert!(parse_url("postgres://h/conduit?sslmode=allow-anything").is_err());
    }

    #[test]
    fn an_empty_ca_file_is_an_error() {
        let dir = std::env::temp_dir().join(format!("conduit-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let err = connector(empty.to_str()).err().unwrap();
        assert!(err.to_string().contains("no certificate"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
