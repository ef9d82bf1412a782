//! `cargo xtask bench --fault`: a bounded fault drill on loopback (about 60 s). Readers and
//! writers (register, create article, comment, favourite) run at a steady rate against the
//! release API with Redis; Redis is killed at 10 s and restarted at 20 s, PostgreSQL is
//! restarted at 35 s. Afterwards every acknowledged (2xx) write must be in PostgreSQL, no
//! request may get a 500 or take longer than the configured timeouts allow, and the API must
//! answer again within 5 s of each restart.

use super::{query, Server, JWT_SECRET};
use anyhow::{bail, Context, Result};
use conduit_testkit::{free_port, Postgres, Redis};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The API's defaults: pool wait 2 s + connection 3 s, plus a second of slack.
const HANG: Duration = Duration::from_secs(6);
const RECOVERY_GOAL: Duration = Duration::from_secs(5);

struct Outcome {
    at: Duration,
    latency: Duration,
    /// Operation and, for failures, the status or transport error.
    kind: String,
    ok: bool,
    status: u16,
}

/// The shared state of the load threads: every outcome, and every acknowledged write as the
/// query (returning a row) that finds it, with its text parameters.
struct Drill {
    base: String,
    start: Instant,
    stop: AtomicBool,
    outcomes: Mutex<Vec<Outcome>>,
    acked: Mutex<Vec<(&'static str, Vec<String>)>>,
}

pub fn run(api_bin: &std::path::Path) -> Result<()> {
    // A durable cluster (fsync and synchronous commit on, as in production): the throwaway
    // kind acknowledges commits before they are on disk, and a kill loses them.
    let pg_dir = crate::util::target_dir().join(format!("bench-fault-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pg_dir);
    let mut pg = Postgres::start_in(&pg_dir, free_port()?)?;
    let db = super::database(&pg, "conduit_fault")?;
    let mut redis = Redis::start_temporary()?;
    let port = free_port()?;
    let mut server = Server(
        Command::new(api_bin)
            .env_clear()
            .env("DATABASE_URL", &db)
            .env("REDIS_URL", redis.url())
            .env("CONDUIT_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "CONDUIT_ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()?),
            )
            .env("CONDUIT_JWT_SECRET", JWT_SECRET)
            // All writers share one address and few accounts: the limits are not under test.
            .env("CONDUIT_RATE_LIMIT_REGISTER_PER_IP", "100000/60")
            .env("CONDUIT_RATE_LIMIT_WRITES_PER_USER", "100000/60")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting conduit-api")?,
    );
    crate::stack::wait_ready(&format!("http://127.0.0.1:{port}/readyz"), &mut server.0)?;
    let d = Arc::new(Drill {
        base: format!("http://127.0.0.1:{port}"),
        start: Instant::now(),
        stop: AtomicBool::new(false),
        outcomes: Mutex::default(),
        acked: Mutex::default(),
    });
    let threads: Vec<_> = (0..5)
        .map(|i| {
            let d = d.clone();
            std::thread::spawn(move || if i < 2 { d.writer(i) } else { d.reader(i) })
        })
        .collect();
    println!("\nfault drill: 3 readers (~150 req/s), 2 writers (~20 writes/s), 60 s");
    let at = |s: u64| {
        let due = d.start + Duration::from_secs(s);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        d.start.elapsed()
    };
    at(10);
    redis.pause();
    println!("{:>5.1} s  Redis killed", d.start.elapsed().as_secs_f64());
    at(20);
    redis.resume()?;
    let redis_back = d.start.elapsed();
    println!("{:>5.1} s  Redis restarted", redis_back.as_secs_f64());
    let pg_down = at(35);
    // SIGTERM: PostgreSQL refuses new sessions and waits for the open ones, then is killed
    // after 10 s; then it starts again (crash recovery).
    pg.pause();
    // Backends of the killed server can hold its shared memory a moment longer, and then
    // PostgreSQL refuses to start: try again.
    for attempt in 1.. {
        match pg.resume() {
            Ok(()) => break,
            Err(e) if attempt == 3 => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_secs(1)),
        }
    }
    let pg_back = d.start.elapsed();
    println!("{:>5.1} s  PostgreSQL restarted", pg_back.as_secs_f64());
    at(60);
    d.stop.store(true, Ordering::Relaxed);
    threads.into_iter().for_each(|t| drop(t.join()));
    let outcomes =
        std::mem::take(&mut *d.outcomes.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let acked = std::mem::take(&mut *d.acked.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let missing = missing(&db, &acked)?;
    drop((server, pg));
    let _ = std::fs::remove_dir_all(&pg_dir);
    let restarts = [
        ("Redis", redis_back, pg_down),
        ("PostgreSQL", pg_back, Duration::MAX),
    ];
    let slow_recovery = report(&outcomes, &restarts);
    let fives = outcomes.iter().filter(|o| o.status == 500).count();
    let hung = outcomes.iter().filter(|o| o.latency > HANG).count();
    println!(
        "acknowledged writes: {}, missing from PostgreSQL: {missing}; 500s: {fives}; slower than {HANG:?}: {hung}",
        acked.len()
    );
    if missing + fives + hung + slow_recovery > 0 {
        bail!("the fault drill missed its goals (see above)");
    }
    Ok(())
}

impl Drill {
    /// One request, recorded; the status and the JSON body of a 2xx answer.
    fn call(
        &self,
        agent: &ureq::Agent,
        op: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Option<Value>) {
        let started = Instant::now();
        let url = format!("{}{path}", self.base);
        let result = match body {
            Some(b) => {
                let mut req = agent.post(&url).header("Content-Type", "application/json");
                if let Some(t) = token {
                    req = req.header("Authorization", format!("Token {t}"));
                }
                req.send(b.to_string())
            }
            // Reads are anonymous.
            None => agent.get(&url).call(),
        };
        let (status, kind, json) = match result {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let text = res.body_mut().read_to_string().unwrap_or_default();
                (status, status.to_string(), serde_json::from_str(&text).ok())
            }
            Err(ureq::Error::Io(e)) => (0, format!("{:?}", e.kind()), None),
            Err(e) => (0, e.to_string().chars().take(40).collect(), None),
        };
        let ok = (200..300).contains(&status);
        if let Ok(mut o) = self.outcomes.lock() {
            let kind = if ok {
                op.to_string()
            } else {
                format!("{op} {kind}")
            };
            o.push(Outcome {
                at: started - self.start,
                latency: started.elapsed(),
                kind,
                ok,
                status,
            });
        }
        (status, json.filter(|_| ok))
    }

    fn ack(&self, query: &'static str, params: &[&str]) {
        if let Ok(mut a) = self.acked.lock() {
            a.push((query, params.iter().map(|p| p.to_string()).collect()));
        }
    }

    /// Every 100 ms: create an article, comment on it and favourite it; a new account every
    /// tenth round (and until a registration succeeds).
    fn writer(&self, w: usize) {
        let agent = agent();
        let mut account: Option<(String, String)> = None;
        for n in 0.. {
            let tick = Instant::now();
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            if n % 10 == 0 || account.is_none() {
                let name = format!("fault-w{w}-{n}");
                let user = json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": "fault-password"}});
                if let (_, Some(res)) =
                    self.call(&agent, "register", "/api/users", None, Some(user))
                {
                    self.ack("SELECT 1 FROM users WHERE username = $1", &[&name]);
                    account = res["user"]["token"].as_str().map(|t| (t.to_string(), name));
                }
            }
            let mut signed_out = false;
            if let Some((token, name)) = &account {
                let t = Some(token.as_str());
                let article = json!({"article": {"title": format!("Fault {w} {n}"), "description": "d", "body": "b", "tagList": ["fault"]}});
                let (status, created) =
                    self.call(&agent, "create article", "/api/articles", t, Some(article));
                // Sessions live in Redis, without persistence: a restart signs everyone out.
                signed_out = status == 401;
                if let Some(slug) = created.as_ref().and_then(|a| a["article"]["slug"].as_str()) {
                    self.ack("SELECT 1 FROM articles WHERE slug = $1", &[slug]);
                    let path = format!("/api/articles/{slug}");
                    let comment = json!({"comment": {"body": "a comment"}});
                    let res = self.call(
                        &agent,
                        "comment",
                        &format!("{path}/comments"),
                        t,
                        Some(comment),
                    );
                    if let Some(id) = res.1.and_then(|c| c["comment"]["id"].as_i64()) {
                        self.ack(
                            "SELECT 1 FROM comments WHERE id::text = $1",
                            &[&id.to_string()],
                        );
                    }
                    if self
                        .call(
                            &agent,
                            "favourite",
                            &format!("{path}/favorite"),
                            t,
                            Some(json!({})),
                        )
                        .1
                        .is_some()
                    {
                        self.ack(
                            "SELECT 1 FROM favorites f JOIN users u ON u.id = f.user_id
                             JOIN articles a ON a.id = f.article_id WHERE u.username = $1 AND a.slug = $2",
                            &[name, slug],
                        );
                    }
                }
            }
            if signed_out {
                account = None;
            }
            std::thread::sleep(Duration::from_millis(100).saturating_sub(tick.elapsed()));
        }
    }

    /// Every 20 ms, anonymously: a list, the tags, a list by tag.
    fn reader(&self, r: usize) {
        let agent = agent();
        let paths = [
            ("list", "/api/articles?limit=10"),
            ("tags", "/api/tags"),
            ("list by tag", "/api/articles?tag=fault"),
        ];
        for n in r.. {
            let tick = Instant::now();
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let (op, path) = paths[n % paths.len()];
            self.call(&agent, op, path, None, None);
            std::thread::sleep(Duration::from_millis(20).saturating_sub(tick.elapsed()));
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// How many acknowledged writes PostgreSQL does not have.
fn missing(db: &str, acked: &[(&'static str, Vec<String>)]) -> Result<usize> {
    query(db, async |c| {
        let mut missing = 0;
        for (sql, params) in acked {
            let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p as _).collect();
            if c.query_opt(*sql, &params).await?.is_none() {
                println!("acknowledged but missing: {params:?} ({sql})");
                missing += 1;
            }
        }
        Ok(missing)
    })
}

/// Prints failures by kind, recovery after each restart, p99 before, during and after the
/// faults; returns how many recoveries were slower than the goal.
fn report(outcomes: &[Outcome], restarts: &[(&str, Duration, Duration)]) -> usize {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| !o.ok) {
        *kinds.entry(&o.kind).or_default() += 1;
    }
    println!(
        "requests: {}; failures by operation and kind: {kinds:?}",
        outcomes.len()
    );
    let mut slow = 0;
    for (name, back, next) in restarts {
        // Recovered when requests started after the restart no longer fail (until the next
        // fault): the time to the end of the last failed one.
        let recovery = outcomes
            .iter()
            .filter(|o| o.at >= *back && o.at < *next && !o.ok)
            .map(|o| (o.at + o.latency).saturating_sub(*back))
            .max()
            .unwrap_or_default();
        slow += usize::from(recovery > RECOVERY_GOAL);
        println!(
            "recovery after the {name} restart: {:.2} s",
            recovery.as_secs_f64()
        );
    }
    let settled = restarts.last().map_or(Duration::ZERO, |r| r.1) + RECOVERY_GOAL;
    let first_fault = Duration::from_secs(10);
    for (phase, from, to) in [
        ("before", Duration::ZERO, first_fault),
        ("during", first_fault, settled),
        ("after", settled, Duration::MAX),
    ] {
        let mut l: Vec<f64> = outcomes
            .iter()
            .filter(|o| o.at >= from && o.at < to)
            .map(|o| o.latency.as_secs_f64() * 1000.0)
            .collect();
        l.sort_by(f64::total_cmp);
        let p = |q: f64| {
            l.get((l.len() as f64 * q) as usize)
                .or(l.last())
                .copied()
                .unwrap_or(0.0)
        };
        println!(
            "{phase:<6} the faults: {:>6} requests, p50 {:>7.1} ms, p99 {:>7.1} ms",
            l.len(),
            p(0.5),
            p(0.99)
        );
    }
    slow
}
