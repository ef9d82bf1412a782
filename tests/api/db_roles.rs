//! Least-privilege roles and credential rotation without restarts, against a PostgreSQL of the
//! test's own that checks passwords. Its administrator is shaped like RDS's master user: not a
//! superuser, only CREATEROLE and the owner of the database.

use crate::db_support::{credentials_json, replace_file, serve, superuser, Served};
use conduit_testkit::{Postgres, ServerOptions};
use reqwest::StatusCode;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::error::SqlState;

const BIN: &str = env!("CARGO_BIN_EXE_conduit-api");
const MASTER: (&str, &str) = ("rds_master", "master-password-for-tests");
/// The runtime login role and, as AWS's alternating-users rotation names it, its twin.
const LOGIN: &str = "conduit_app_login";
const CLONE: &str = "conduit_app_login_clone";
const FIRST_PASSWORD: &str = "runtime-password-first";

struct Stage {
    pg: Postgres,
    dir: tempfile::TempDir,
}

impl Stage {
    fn url(&self) -> String {
        format!(
            "postgres://127.0.0.1:{}/conduit?sslmode=disable",
            self.pg.port()
        )
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn connect_as(
        &self,
        user: &str,
        password: &str,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let url = format!(
            "postgres://{user}:{password}@127.0.0.1:{}/conduit",
            self.pg.port()
        );
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        Ok(client)
    }

    /// `conduit-api migrate` as the Job runs it: connected as the administrator, with the
    /// runtime login's credentials to create or update.
    fn migrate(&self) -> anyhow::Result<()> {
        let out = Command::new(BIN)
            .arg("migrate")
            .env("DATABASE_URL", self.url())
            .env("CONDUIT_DB_CREDENTIALS_FILE", self.file("master.json"))
            .env(
                "CONDUIT_DB_RUNTIME_CREDENTIALS_FILE",
                self.file("runtime.json"),
            )
            .output()?;
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        anyhow::ensure!(out.status.success(), "migrate failed: {output}");
        for secret in [MASTER.1, FIRST_PASSWORD] {
            anyhow::ensure!(!output.contains(secret), "migrate printed a password");
        }
        Ok(())
    }
}

async fn stage() -> anyhow::Result<Stage> {
    let pg = Postgres::start_temporary_with(ServerOptions {
        tls: None,
        password_auth: true,
    })?;
    let su = superuser(pg.port(), "postgres").await?;
    su.batch_execute(&format!(
        "CREATE ROLE {} LOGIN CREATEROLE PASSWORD '{}'",
        MASTER.0, MASTER.1
    ))
    .await?;
    // Like RDS's `db_name`: the database belongs to the master user.
    su.batch_execute(&format!("CREATE DATABASE conduit OWNER {}", MASTER.0))
        .await?;
    let stage = Stage {
        pg,
        dir: tempfile::tempdir()?,
    };
    std::fs::write(
        stage.file("master.json"),
        credentials_json(MASTER.0, MASTER.1),
    )?;
    std::fs::write(
        stage.file("runtime.json"),
        credentials_json(LOGIN, FIRST_PASSWORD),
    )?;
    Ok(stage)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_runtime_role_changes_rows_but_not_the_schema_nor_roles() -> anyhow::Result<()> {
    let stage = stage().await?;
    stage.migrate()?;
    stage.migrate()?; // idempotent: every release runs it

    let su = superuser(stage.pg.port(), "conduit").await?;
    let not_owned: i64 = su
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'conduit_owner'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(not_owned, 0, "the owner role owns every table");
    let master_is_superuser: bool = su
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = $1",
            &[&MASTER.0],
        )
        .await?
        .get(0);
    assert!(
        !master_is_superuser,
        "the bootstrap must work without superuser rights"
    );

    let app = stage.connect_as(LOGIN, FIRST_PASSWORD).await?;
    app.batch_execute(
        "INSERT INTO tags (name) VALUES ('rotation');
         UPDATE tags SET name = 'rotated' WHERE name = 'rotation';
         SELECT count(*) FROM users;
         DELETE FROM tags WHERE name = 'rotated';",
    )
    .await?;
    for statement in [
        "DROP TABLE users",
        "ALTER TABLE users ADD COLUMN x int",
        "ALTER TABLE articles DROP COLUMN body",
        "CREATE TABLE intruder (x int)",
        "CREATE INDEX users_bio_idx ON users (bio)",
        "TRUNCATE users",
        "CREATE ROLE intruder LOGIN",
        "GRANT conduit_owner TO conduit_app_login",
        "ALTER ROLE conduit_app_login CREATEROLE",
        "SELECT * FROM refinery_schema_history",
        "CREATE SCHEMA intruder",
        "CREATE TEMP TABLE scratch (x int)",
    ] {
        let err = app
            .batch_execute(statement)
            .await
            .err()
            .unwrap_or_else(|| panic!("the runtime role may run `{statement}`"));
        assert_eq!(
            err.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{statement}: {err}"
        );
    }

    // A table a later migration creates is usable at once (default privileges).
    let master = stage.connect_as(MASTER.0, MASTER.1).await?;
    master
        .batch_execute(
            "SET ROLE conduit_owner;
             CREATE TABLE later (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, x int);",
        )
        .await?;
    app.batch_execute("INSERT INTO later (x) VALUES (1); SELECT * FROM later;")
        .await?;
    assert!(app.batch_execute("DROP TABLE later").await.is_err());
    Ok(())
}

/// Requests from a few concurrent clients until stopped: reads, authenticated reads, writes.
struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<String>>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

fn start_load(served: &Served, token: &str) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let workers = (0..4)
        .map(|worker| {
            let (stop, ok, failures) = (stop.clone(), ok.clone(), failures.clone());
            let (http, base, auth) = (
                served.http.clone(),
                served.address.clone(),
                format!("Token {token}"),
            );
            tokio::spawn(async move {
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let request = match i % 3 {
                        0 => http.get(format!("{base}/api/articles?limit=5")),
                        1 => http
                            .get(format!("{base}/api/user"))
                            .header("Authorization", &auth),
                        _ => http
                            .post(format!("{base}/api/articles"))
                            .header("Authorization", &auth)
                            .json(&json!({"article": {
                                "title": format!("rotation {worker} {i}"),
                                "description": "d", "body": "b", "tagList": ["rotation"]}})),
                    };
                    match request.send().await {
                        Ok(res) if res.status().is_success() => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(res) => {
                            let status = res.status();
                            let body = res.text().await.unwrap_or_default();
                            failures.lock().unwrap().push(format!("{status} {body}"));
                        }
                        Err(e) => failures.lock().unwrap().push(e.to_string()),
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();
    Load {
        stop,
        ok,
        failures,
        workers,
    }
}

impl Load {
    async fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for w in self.workers {
            let _ = w.await;
        }
        let failures = self.failures.lock().unwrap().clone();
        (self.ok.load(Ordering::Relaxed), failures)
    }
}

/// Waits until every API session on the database is `user`'s; false after `within`.
async fn sessions_become(su: &tokio_postgres::Client, user: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let users: Option<Vec<String>> = su
            .query_one(
                "SELECT array_agg(DISTINCT usename::text) FROM pg_stat_activity
                  WHERE datname = 'conduit' AND application_name = 'conduit-api'",
                &[],
            )
            .await
            .ok()
            .and_then(|row| row.get(0));
        if users.as_deref() == Some(&[user.to_string()][..]) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

struct Rotation {
    ok: usize,
    /// Successful requests by phase: before rotation 1, until rotation 2, until the switch
    /// back, after it.
    per_phase: Vec<usize>,
    failures: Vec<String>,
    moved_to_clone: bool,
    moved_back: bool,
}

/// Two rotations the way AWS's alternating-users function does them, under load: set the
/// password of the user *not* in use (creating it the first time, as a member of the current
/// one), then point the secret at it; the next rotation changes the first user's password,
/// which kills the credential the app started with.
async fn rotate_under_load(
    stage: &Stage,
    database_url: &str,
    from_file: bool,
) -> anyhow::Result<Rotation> {
    let app_file = stage.file("app.json");
    std::fs::write(&app_file, credentials_json(LOGIN, FIRST_PASSWORD))?;
    let app_file_str = app_file.display().to_string();
    let mut overrides = vec![
        ("CONDUIT_DB_POOL_SIZE", "4"),
        ("CONDUIT_DB_MAX_CONNECTION_AGE_SECS", "1"),
        ("CONDUIT_RATE_LIMIT_WRITES_PER_USER", "100000/60"),
    ];
    if from_file {
        overrides.push(("CONDUIT_DB_CREDENTIALS_FILE", app_file_str.as_str()));
    }
    let served = serve(database_url, &overrides).await?;
    let res = served
        .http
        .post(format!("{}/api/users", served.address))
        .json(&json!({"user": {"username": "rotor", "email": "rotor@example.com", "password": "password-rotor"}}))
        .send()
        .await?;
    anyhow::ensure!(
        res.status() == StatusCode::CREATED,
        "register: {}",
        res.status()
    );
    let body: serde_json::Value = res.json().await?;
    let token = body["user"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let su = superuser(stage.pg.port(), "conduit").await?;
    let master = stage.connect_as(MASTER.0, MASTER.1).await?;
    let load = start_load(&served, &token);
    let mut marks = vec![0];
    let mark = |load: &Load, marks: &mut Vec<usize>| marks.push(load.ok.load(Ordering::Relaxed));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    mark(&load, &mut marks);

    // Rotation 1: the twin gets a password (it is created on the first rotation), then the
    // secret names it.
    master
        .batch_execute(&format!(
            "CREATE ROLE {CLONE} WITH LOGIN PASSWORD 'runtime-password-second';
             GRANT {LOGIN} TO {CLONE};"
        ))
        .await?;
    replace_file(
        &app_file,
        &credentials_json(CLONE, "runtime-password-second"),
    )?;
    // A URL never follows: the fixture waits briefly.
    let within = Duration::from_secs(if from_file { 15 } else { 3 });
    let moved_to_clone = sessions_become(&su, CLONE, within).await;
    mark(&load, &mut marks);
    // Rotation 2 sets the first user's password: the starting credential is dead from here on.
    master
        .batch_execute(&format!(
            "ALTER USER {LOGIN} WITH PASSWORD 'runtime-password-third'"
        ))
        .await?;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    replace_file(
        &app_file,
        &credentials_json(LOGIN, "runtime-password-third"),
    )?;
    let moved_back = sessions_become(&su, LOGIN, within).await;
    mark(&load, &mut marks);
    master
        .batch_execute(&format!(
            "ALTER USER {CLONE} WITH PASSWORD 'runtime-password-fourth'"
        ))
        .await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (ok, failures) = load.finish().await;
    marks.push(ok);
    let per_phase = marks.windows(2).map(|w| w[1] - w[0]).collect();
    Ok(Rotation {
        ok,
        per_phase,
        failures,
        moved_to_clone,
        moved_back,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn rotating_the_runtime_password_under_load_fails_no_request() -> anyhow::Result<()> {
    let stage = stage().await?;
    stage.migrate()?;
    let run = rotate_under_load(&stage, &stage.url(), true).await?;
    eprintln!(
        "rotation under load: {} requests ok ({:?} by phase), {} failed",
        run.ok,
        run.per_phase,
        run.failures.len()
    );
    assert!(
        run.failures.is_empty(),
        "{} failed: {:?}",
        run.failures.len(),
        &run.failures[..run.failures.len().min(5)]
    );
    assert!(
        run.per_phase.iter().all(|&n| n > 0),
        "requests in every phase: {:?}",
        run.per_phase
    );
    assert!(
        run.ok >= 40,
        "only {} requests: the load did not run",
        run.ok
    );
    assert!(
        run.moved_to_clone,
        "new connections did not switch to the rotated user"
    );
    assert!(
        run.moved_back,
        "new connections did not follow the second rotation"
    );
    // The first credential is dead, and nothing needed it after the switch.
    assert!(stage.connect_as(LOGIN, FIRST_PASSWORD).await.is_err());
    let logs =
        String::from_utf8_lossy(&crate::observability::captured_logs().lock().unwrap()).to_string();
    for secret in [
        FIRST_PASSWORD,
        "runtime-password-second",
        "runtime-password-third",
        MASTER.1,
    ] {
        assert!(
            !logs.contains(secret),
            "a database password reached the logs"
        );
    }
    Ok(())
}

/// The fault this guards against: credentials read once (in `DATABASE_URL`, as the pods had
/// them from `envFrom`) stop working at the first rotation, and requests fail.
#[tokio::test(flavor = "multi_thread")]
async fn credentials_read_once_fail_after_rotation() -> anyhow::Result<()> {
    let stage = stage().await?;
    stage.migrate()?;
    let url = format!(
        "postgres://{LOGIN}:{FIRST_PASSWORD}@127.0.0.1:{}/conduit?sslmode=disable",
        stage.pg.port()
    );
    let run = rotate_under_load(&stage, &url, false).await?;
    assert!(!run.moved_to_clone, "a URL cannot follow a rotation");
    assert!(
        !run.failures.is_empty(),
        "the fixture should fail requests after the rotation"
    );
    Ok(())
}
