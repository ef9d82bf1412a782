//! The `contract` suite: schemathesis (PyPI, pinned in `.ci/requirements.txt`) drives the real
//! API (PostgreSQL + Redis on free loopback ports) from its own `/api/openapi.json`, in every
//! phase (examples, coverage, fuzzing, stateful) with every check, authenticated as a registered
//! user. Zero failures and zero 5xx pass. A self-test first serves schemathesis a document with
//! the password rule removed: it must report the server's 422 as a failure.

use crate::stack::{http_get, wait_ready, Server};
use crate::util::{cargo, cmd, exec, require, root, target_dir};
use anyhow::{bail, Context, Result};
use conduit_testkit::{free_port, Postgres, Redis};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

pub fn run() -> Result<()> {
    let t = Instant::now();
    let st = require("st", "install .ci/requirements.txt (`.ci/run` does)")?;
    exec(&mut cargo("build --locked --bin conduit-api"))?;
    let out = target_dir().join("contract-test");
    std::fs::create_dir_all(out.join("self-test"))?;
    let (pg, redis) = (Postgres::start_temporary()?, Redis::start_temporary()?);
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(out.join("api.log"))?;
    let mut api = Command::new(target_dir().join("debug/conduit-api"));
    let admin = format!("127.0.0.1:{}", free_port()?);
    api.env("DATABASE_URL", pg.url("postgres"))
        .env("REDIS_URL", redis.url())
        .env("CONDUIT_LISTEN", format!("127.0.0.1:{port}"))
        .env("CONDUIT_ADMIN_LISTEN", admin)
        .stdout(log.try_clone()?)
        .stderr(log);
    // Generated cases sign up and log in thousands of times: the limits have their own tests
    // (tests/api/sessions_cache_limits.rs); here they would turn valid requests into 429s.
    for limit in "LOGIN_PER_IP LOGIN_PER_ACCOUNT REGISTER_PER_IP WRITES_PER_USER".split(' ') {
        api.env(format!("CONDUIT_RATE_LIMIT_{limit}"), "1000000/60");
    }
    let mut api = Server(api.spawn().context("starting conduit-api")?);
    wait_ready(&format!("{base}/readyz"), &mut api.0)?;
    let token = register(&base)?;
    let served = format!("{base}/api/openapi.json");
    let (status, document) = http_get(&served)?;
    if status != 200 {
        bail!("GET /api/openapi.json answered {status}");
    }

    // Self-test: without `minLength` on the password, schemathesis sends short ones as valid
    // data; the server's 422 must then be reported.
    let fixture = out.join("openapi-without-password-rule.json");
    std::fs::write(&fixture, without_password_rule(&document)?)?;
    let mut probe = schemathesis(&st, &fixture, &base, &token, &out.join("self-test"));
    probe.args("--phases fuzzing --include-operation-id CreateUser".split(' '));
    let report = probe.output()?;
    let text = String::from_utf8_lossy(&report.stdout);
    // The failure must be the rule, not a broken setup.
    if report.status.success() || !text.contains("ST202") || !text.contains("is too short") {
        bail!("self-test: schemathesis did not report the missing password rule:\n{text}");
    }
    eprintln!("contract: self-test: a document without the password rule is rejected");

    let mut full = schemathesis(&st, Path::new(&served), &base, &token, &out);
    full.args(["--phases", "examples,coverage,fuzzing,stateful"]);
    let log = out.join("api.log");
    exec(&mut full).with_context(|| format!("the API's log is {}", log.display()))?;
    eprintln!("contract: ok in {:.1}s", t.elapsed().as_secs_f64());
    Ok(())
}

/// `st run` with every check and the suite's settings (`contract/schemathesis.toml`: seed,
/// bounds); `contract/hooks.py` puts a valid token on every request.
fn schemathesis(st: &Path, location: &Path, base: &str, token: &str, reports: &Path) -> Command {
    let dir = root().join("xtask/src/suites/contract");
    let mut c = cmd(st);
    // schemathesis keeps a cache in its working directory: keep it under target/.
    c.current_dir(reports)
        .arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .arg("run")
        .arg(location)
        .args(["--url", &format!("{base}/api")])
        .args("--checks all --no-color --report junit --report-dir".split(' '))
        .arg(reports)
        // The token travels in the environment, not on the echoed command line.
        .env("SCHEMATHESIS_HOOKS", dir.join("hooks.py"))
        .env("CONTRACT_API", base)
        .env("CONTRACT_TOKEN", token);
    c
}

/// A user of its own for the run: its token authenticates every generated request.
fn register(base: &str) -> Result<String> {
    let addr = base.trim_start_matches("http://");
    let body = r#"{"user":{"username":"contract","email":"contract@example.com","password":"contract-password"}}"#;
    let (status, text) = crate::util::http(addr, "POST", "/api/users", Some(body))?;
    if status != 201 {
        bail!("registering the contract user answered {status}: {text}");
    }
    let value: serde_json::Value = serde_json::from_str(&text)?;
    let token = value["user"]["token"].as_str();
    token
        .map(str::to_string)
        .context("no user.token in the response")
}

/// The served document with `minLength` dropped from every `password` property.
fn without_password_rule(document: &str) -> Result<String> {
    let mut doc: serde_json::Value = serde_json::from_str(document)?;
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .context("no components.schemas")?;
    let passwords = schemas.values_mut().filter_map(|s| {
        let password = s.pointer_mut("/properties/password")?.as_object_mut()?;
        password.remove("minLength")
    });
    if passwords.count() == 0 {
        bail!("self-test: the document states no password minLength to remove");
    }
    Ok(doc.to_string())
}
