//! TLS to PostgreSQL with `sslmode=verify-full`: a server of the test's own with a certificate
//! from a CA the test makes. The API connects when `CONDUIT_DB_CA_FILE` holds that CA and the
//! URL's host is the certificate's name; it refuses with the web PKI roots (no CA file), with
//! another CA, and with a host name the certificate does not carry.

use crate::db_support::serve;
use conduit_testkit::{Postgres, ServerOptions};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use reqwest::StatusCode;

const SERVER_NAME: &str = "db.conduit.test";

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().expect("CA key");
    let cert = params.self_signed(&key).expect("CA certificate");
    Ca { cert, key }
}

/// A server certificate for `name`, signed by `ca`: (certificate PEM, key PEM).
fn server_identity(ca: &Ca, name: &str) -> (String, String) {
    let params = CertificateParams::new(vec![name.to_string()]).expect("server params");
    let key = KeyPair::generate().expect("server key");
    let cert = params
        .signed_by(&key, &ca.cert, &ca.key)
        .expect("server certificate");
    (cert.pem(), key.serialize_pem())
}

/// The URL names the certificate's host; `hostaddr` sends the connection to loopback.
fn url(port: u16, host: &str) -> String {
    format!("postgres://postgres@{host}:{port}/postgres?hostaddr=127.0.0.1&sslmode=verify-full")
}

async fn connects(url: &str, ca_file: Option<&std::path::Path>) -> anyhow::Result<bool> {
    let mut overrides = vec![("CONDUIT_DB_CONNECT_TIMEOUT_MS", "2000")];
    let ca = ca_file.map(|p| p.display().to_string());
    if let Some(ca) = &ca {
        overrides.push(("CONDUIT_DB_CA_FILE", ca.as_str()));
    }
    let settings = crate::helpers::settings_for(url, &overrides);
    let pool = conduit_api::db::pool(&settings.database)?;
    let client = match pool.get().await {
        Ok(c) => c,
        Err(_) => return Ok(false),
    };
    // The session really is encrypted (no plaintext fallback).
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await?;
    Ok(row.get::<_, bool>(0))
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_connects_with_the_ca_only_and_only_to_the_certified_name() -> anyhow::Result<()>
{
    let ours = ca("Conduit test CA");
    let other = ca("Some other CA");
    let pg = Postgres::start_temporary_with(ServerOptions {
        tls: Some(server_identity(&ours, SERVER_NAME)),
        password_auth: false,
    })?;
    let dir = tempfile::tempdir()?;
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ours.cert.pem())?;
    let other_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_file, other.cert.pem())?;

    let right = url(pg.port(), SERVER_NAME);
    assert!(
        connects(&right, Some(&ca_file)).await?,
        "the CA and the right name must connect"
    );
    assert!(
        !connects(&right, None).await?,
        "the web PKI roots must not accept a private CA"
    );
    assert!(
        !connects(&right, Some(&other_file)).await?,
        "another CA must be refused"
    );
    let wrong_name = url(pg.port(), "other.conduit.test");
    assert!(
        !connects(&wrong_name, Some(&ca_file)).await?,
        "a name the certificate lacks must be refused"
    );

    // The served API: ready with the CA, not ready without it.
    let ca = ca_file.display().to_string();
    let with_ca = serve(&right, &[("CONDUIT_DB_CA_FILE", &ca)]).await?;
    let res = with_ca
        .http
        .get(format!("{}/readyz", with_ca.address))
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::OK);
    let without = serve(&right, &[]).await?;
    let res = without
        .http
        .get(format!("{}/readyz", without.address))
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    Ok(())
}

/// The committed RDS CA bundle is the copy whose SHA-256 its README records, and every
/// certificate in it is usable as a trust anchor. `problems` is the check; the test runs it on
/// the committed files and on a tampered copy it must reject.
fn bundle_problems(pem: &[u8], readme: &str) -> Vec<String> {
    use sha2::Digest;
    let mut problems = Vec::new();
    let recorded = readme
        .lines()
        .find(|l| l.starts_with("| SHA-256 |"))
        .and_then(|l| l.split('`').nth(1))
        .map(str::to_string);
    let actual = format!("{:x}", sha2::Sha256::digest(pem));
    match recorded {
        Some(r) if r == actual => {}
        Some(r) => problems.push(format!("SHA-256 {actual} is not the recorded {r}")),
        None => problems.push("README.md records no SHA-256".into()),
    }
    let certs = pem
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"-----BEGIN CERTIFICATE-----"))
        .count();
    if certs == 0 {
        problems.push("no certificate in the bundle".into());
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return vec![e.to_string()],
    };
    let path = dir.path().join("bundle.pem");
    if let Err(e) = std::fs::write(&path, pem) {
        problems.push(e.to_string());
    } else if let Err(e) = conduit_api::db::tls::connector(path.to_str()) {
        problems.push(format!("the API cannot load it: {e:#}"));
    }
    problems
}

#[test]
fn rds_ca_bundle_is_the_recorded_copy() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kustomize/apps/conduit/base/rds-ca");
    let pem = std::fs::read(dir.join("global-bundle.pem")).expect("the committed bundle");
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("its README");
    assert_eq!(bundle_problems(&pem, &readme), Vec::<String>::new());
    let count = String::from_utf8_lossy(&pem)
        .matches("-----BEGIN CERTIFICATE-----")
        .count();
    assert_eq!(count, 102, "the recorded edition has 102 root certificates");

    // Fixture: one certificate dropped (as a truncated download would) must be rejected.
    let text = String::from_utf8_lossy(&pem).to_string();
    let cut = text
        .find("-----END CERTIFICATE-----\n")
        .expect("a certificate")
        + 26;
    let tampered = text[cut..].to_string();
    let problems = bundle_problems(tampered.as_bytes(), &readme);
    assert!(
        problems.iter().any(|p| p.contains("is not the recorded")),
        "{problems:?}"
    );
}
