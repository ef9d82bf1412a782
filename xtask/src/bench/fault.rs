//! `cargo xtask bench --fault`: a bounded fault drill on loopback (about 60 s). Readers and
//! writers (register, create article, comment, favourite) run at a steady rate against the
//! release API with Redis; Redis is killed at 10 s and restarted at 20 s, PostgreSQL is
//! restarted at 35 s. Afterwards every acknowledged (2xx) write must be in PostgreSQL, no
//! request may get a 500 or take longer than the configured timeouts allow, and the API must
//! answer again within 5 s of each restart.

use super::query;
use anyhow::{anyhow, bail, Result};
use conduit_testkit::{free_port, Postgres, Redis};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The API's defaults: pool wait 2 s + connection 3 s, plus a second of slack.
const HANG: Duration = Duration::from_secs(6);
const RECOVERY_GOAL: Duration = Duration::from_secs(5);
/// The queries that find an acknowledged write: a row, or none when it is lost.
const USER: &str = "SELECT 1 FROM users WHERE username = $1";
const ARTICLE: &str = "SELECT 1 FROM articles WHERE slug = $1";
const COMMENT: &str = "SELECT 1 FROM comments WHERE body = $1";
const FAVOURITE: &str = "SELECT 1 FROM favorites f JOIN users u ON u.id = f.user_id
    JOIN articles a ON a.id = f.article_id WHERE u.username = $1 AND a.slug = $2";

/// One request: when it started (since the drill's start), how long it took, the operation
/// and (for failures) the status or transport error, and the status (0: no answer).
struct Outcome(Duration, Duration, String, u16);

impl Outcome {
    fn ok(&self) -> bool {
        (200..300).contains(&self.3)
    }
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
    // Production's Redis is a replication group with automatic failover: sessions outlive
    // the loss of a node. A single durable server models that; a throwaway one would sign
    // everyone out on restart and turn valid tokens into 401s.
    let mut redis = Redis::start_durable()?;
    // All writers share one address and few accounts: the limits are not under test.
    let env = [
        ("REDIS_URL", redis.url()),
        ("CONDUIT_RATE_LIMIT_REGISTER_PER_IP", "100000/60".into()),
        ("CONDUIT_RATE_LIMIT_WRITES_PER_USER", "100000/60".into()),
    ];
    let (server, port, _) = super::conduit(api_bin, &db, &env)?;
    let (start, base) = (Instant::now(), format!("http://127.0.0.1:{port}"));
    let (stop, outcomes, acked) = Default::default();
    let d = Drill {
        base,
        start,
        stop,
        outcomes,
        acked,
    };
    println!("\nfault drill: 3 readers (~150 req/s), 2 writers (~20 writes/s), 60 s");
    let [redis_back, pg_down, pg_back] = std::thread::scope(|s| {
        for i in 0..5 {
            let d = &d;
            s.spawn(move || if i < 2 { d.writer(i) } else { d.reader(i) });
        }
        let times = faults(start, &mut redis, &mut pg);
        d.stop.store(true, Ordering::Relaxed);
        times
    })?;
    let outcomes = d.outcomes.into_inner().map_err(|_| anyhow!("poisoned"))?;
    let acked = d.acked.into_inner().map_err(|_| anyhow!("poisoned"))?;
    let missing = missing(&db, &acked)?;
    drop((server, pg));
    let _ = std::fs::remove_dir_all(&pg_dir);
    let restarts = [
        ("Redis", redis_back, pg_down),
        ("PostgreSQL", pg_back, Duration::MAX),
    ];
    let slow_recovery = report(&outcomes, &restarts);
    let fives = outcomes.iter().filter(|o| o.3 == 500).count();
    let hung = outcomes.iter().filter(|o| o.1 > HANG).count();
    println!(
        "acknowledged writes: {}, missing from PostgreSQL: {missing}; 500s: {fives}; slower than {HANG:?}: {hung}",
        acked.len()
    );
    if missing + fives + hung + slow_recovery > 0 {
        bail!("the fault drill missed its goals (see above)");
    }
    Ok(())
}

/// Kills and restarts Redis, then PostgreSQL, on schedule until 60 s after `start`; returns
/// when Redis was back, PostgreSQL went down and was back.
fn faults(start: Instant, redis: &mut Redis, pg: &mut Postgres) -> Result<[Duration; 3]> {
    let at = |s: u64| {
        let due = start + Duration::from_secs(s);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        start.elapsed()
    };
    let event = |what: &str| {
        println!("{:>5.1} s  {what}", start.elapsed().as_secs_f64());
        start.elapsed()
    };
    at(10);
    redis.pause();
    event("Redis killed");
    at(20);
    redis.resume()?;
    let redis_back = event("Redis restarted");
    let pg_down = at(35);
    // SIGTERM: PostgreSQL refuses new sessions and waits for the open ones, then is killed
    // after 10 s; then it starts again (crash recovery). Backends of the killed server can
    // hold its shared memory a moment longer, and then PostgreSQL refuses to start: retry.
    pg.pause();
    for attempt in 1.. {
        match pg.resume() {
            Ok(()) => break,
            Err(e) if attempt == 3 => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_secs(1)),
        }
    }
    let pg_back = event("PostgreSQL restarted");
    at(60);
    Ok([redis_back, pg_down, pg_back])
}

impl Drill {
    /// One request, recorded (a POST of `body` with `token`, or an anonymous GET); the status
    /// and the JSON body of a 2xx answer.
    fn call(&self, op: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Option<Value>) {
        let started = Instant::now();
        let url = format!("{}{path}", self.base);
        let result = match body {
            Some(b) => {
                let req = AGENT.post(&url).header("Content-Type", "application/json");
                let req = match token {
                    "" => req,
                    t => req.header("Authorization", format!("Token {t}")),
                };
                req.send(b.to_string())
            }
            None => AGENT.get(&url).call(),
        };
        let (status, error, json) = match result {
            Ok(mut res) => {
                let text = res.body_mut().read_to_string().unwrap_or_default();
                let status = res.status().as_u16();
                (status, status.to_string(), serde_json::from_str(&text).ok())
            }
            Err(ureq::Error::Io(e)) => (0, format!("{:?}", e.kind()), None),
            Err(e) => (0, e.to_string().chars().take(40).collect(), None),
        };
        let ok = (200..300).contains(&status);
        let kind = if ok {
            op.into()
        } else {
            format!("{op} {error}")
        };
        let outcome = Outcome(started - self.start, started.elapsed(), kind, status);
        self.outcomes.lock().map(|mut o| o.push(outcome)).ok();
        (status, json.filter(|_| ok))
    }

    /// Records an acknowledged write: `check` with `params` must find it.
    fn ack(&self, check: &'static str, params: &[&str]) {
        let params = params.iter().map(|p| p.to_string()).collect();
        self.acked.lock().map(|mut a| a.push((check, params))).ok();
    }

    /// Every 100 ms: create an article, comment on it and favourite it; a new account every
    /// tenth round (and until a registration succeeds).
    fn writer(&self, w: usize) {
        let mut account: Option<(String, String)> = None;
        for n in 0.. {
            let next = Instant::now() + Duration::from_millis(100);
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            if n % 10 == 0 || account.is_none() {
                let name = format!("fault-w{w}-{n}");
                let user = json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": "fault-password"}});
                if let (_, Some(res)) = self.call("register", "/api/users", "", Some(user)) {
                    self.ack(USER, &[&name]);
                    account = res["user"]["token"].as_str().map(|t| (t.to_string(), name));
                }
            }
            if let Some((token, name)) = account.clone() {
                let post = |op, path: &str, body| self.call(op, path, &token, Some(body));
                let article = json!({"article": {"title": format!("Fault {w} {n}"), "description": "d", "body": "b", "tagList": ["fault"]}});
                let (status, created) = post("create article", "/api/articles", article);
                // A session lost anyway (it should not be) costs one round, not the rest.
                account = account.filter(|_| status != 401);
                if let Some(slug) = created.as_ref().and_then(|a| a["article"]["slug"].as_str()) {
                    self.ack(ARTICLE, &[slug]);
                    let (body, path) =
                        (format!("comment {w} {n}"), format!("/api/articles/{slug}"));
                    let comment = json!({"comment": {"body": body}});
                    if post("comment", &format!("{path}/comments"), comment)
                        .1
                        .is_some()
                    {
                        self.ack(COMMENT, &[&body]);
                    }
                    if post("favourite", &format!("{path}/favorite"), json!({}))
                        .1
                        .is_some()
                    {
                        self.ack(FAVOURITE, &[&name, slug]);
                    }
                }
            }
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }

    /// Every 20 ms, anonymously: a list, the tags, a list by tag.
    fn reader(&self, r: usize) {
        let paths = [
            "/api/articles?limit=10",
            "/api/tags",
            "/api/articles?tag=fault",
        ];
        let ops = ["list", "tags", "list by tag"];
        for n in r.. {
            let next = Instant::now() + Duration::from_millis(20);
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            self.call(ops[n % 3], paths[n % 3], "", None);
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }
}

/// Shared by the load threads: 15 s at most per request, statuses as answers.
static AGENT: std::sync::LazyLock<ureq::Agent> = std::sync::LazyLock::new(|| {
    let config = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(15)));
    config.http_status_as_error(false).build().into()
});

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
    for o in outcomes.iter().filter(|o| !o.ok()) {
        *kinds.entry(&o.2).or_default() += 1;
    }
    println!(
        "requests: {}; failures by operation and kind: {kinds:?}",
        outcomes.len()
    );
    let mut slow = 0;
    for (name, back, next) in restarts {
        // Recovered when requests started after the restart no longer fail (until the next
        // fault): the time to the end of the last failed one.
        let failed = outcomes
            .iter()
            .filter(|o| o.0 >= *back && o.0 < *next && !o.ok());
        let recovery = failed
            .map(|o| (o.0 + o.1).saturating_sub(*back))
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
    let phases = [
        (Duration::ZERO, first_fault),
        (first_fault, settled),
        (settled, Duration::MAX),
    ];
    for (phase, (from, to)) in ["before", "during", "after"].into_iter().zip(phases) {
        let in_phase = outcomes.iter().filter(|o| o.0 >= from && o.0 < to);
        let mut l: Vec<f64> = in_phase.map(|o| o.1.as_secs_f64() * 1000.0).collect();
        l.sort_by(f64::total_cmp);
        let p = |q: f64| {
            l.get((l.len() as f64 * q) as usize)
                .or(l.last())
                .copied()
                .unwrap_or(0.0)
        };
        let (n, p50, p99) = (l.len(), p(0.5), p(0.99));
        println!("{phase:<6} the faults: {n:>6} requests, p50 {p50:>7.1} ms, p99 {p99:>7.1} ms");
    }
    slow
}
