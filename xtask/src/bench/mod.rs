//! `cargo xtask bench`: a fixed, bounded load against release servers on loopback.
//!
//! Seeds 50 users, 500 articles, 10 tags (plus favourites and follows) and runs `wrk` on each
//! read endpoint against every server in turn (ours with the cache off and on, optionally an
//! older build of ours and the reference implementation), so ratios come from one run on one
//! machine. Each endpoint's own SQL, captured from `pg_stat_statements` while ours served it,
//! is then replayed by pgbench with the same client count: the rate PostgreSQL alone reaches
//! ([`calibrate`]), and the CPU time each request costs the server, PostgreSQL and the load
//! generator ([`cpu`]). Prints RSS before/after load, binary and image-input sizes ([`size`]), the
//! server-side-rendered pages, and with `--fault` runs the fault drill ([`fault`]) instead.

mod calibrate;
mod cpu;
mod fault;
mod size;

use crate::stack::{wait_ready, Server};
use crate::util::{cmd, exec, http, require};
use crate::web::BundleSize;
use anyhow::{bail, Context, Result};
use conduit_testkit::{free_port, Postgres};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(clap::Args)]
pub struct Args {
    /// Seconds of load per endpoint and server.
    #[arg(long, default_value_t = 10)]
    duration: u32,
    /// Concurrent connections (wrk and pgbench alike).
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// wrk and pgbench threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Rounds per endpoint: each round loads every server in turn (the order rotating from
    /// round to round), and the medians are printed with every round's p99, because one
    /// run's tail on a shared machine is noise as much as signal.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=15))]
    rounds: u32,
    /// Skip the web server (server-side rendering) phase.
    #[arg(long)]
    no_web: bool,
    /// Run this conduit-api binary instead of building the release one.
    #[arg(long)]
    api_bin: Option<PathBuf>,
    /// Also run this conduit-api binary (e.g. an earlier release) in the same run, cache off.
    #[arg(long)]
    baseline_bin: Option<PathBuf>,
    /// Also run the reference implementation (launchbadge/realworld-axum-sqlx, built outside
    /// the project; see docs) on its own database with the same seed.
    #[arg(long)]
    reference_bin: Option<PathBuf>,
    /// Run the fault drill (writers and readers while Redis and PostgreSQL restart) instead.
    #[arg(long)]
    fault: bool,
}

/// Starts `bin` with only `env` (and warnings-only logs) and waits until `ready` (a path on
/// `port`) answers 200.
fn spawn(bin: &Path, env: &[(&str, String)], port: u16, ready: &str) -> Result<Server> {
    let mut command = Command::new(bin);
    command.env_clear().env("RUST_LOG", "warn");
    let child = command
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .spawn();
    let mut server = Server(child.with_context(|| format!("starting {}", bin.display()))?);
    wait_ready(&format!("http://127.0.0.1:{port}{ready}"), &mut server.0)?;
    Ok(server)
}

/// Starts a conduit-api binary on `db` with `env` added; returns it and its port.
fn conduit(bin: &Path, db: &str, env: &[(&str, String)]) -> Result<Started> {
    let (port, admin) = (free_port()?, free_port()?);
    let mut all = vec![
        ("DATABASE_URL", db.to_string()),
        ("CONDUIT_LISTEN", format!("127.0.0.1:{port}")),
        ("CONDUIT_ADMIN_LISTEN", format!("127.0.0.1:{admin}")),
        ("CONDUIT_JWT_SECRET", JWT_SECRET.to_string()),
    ];
    all.extend_from_slice(env);
    Ok((spawn(bin, &all, port, "/readyz")?, port, Some(admin)))
}

/// A server under load, with what the endpoints need.
struct Target {
    name: &'static str,
    port: u16,
    token: String,
    server: Server,
    rss_before: Option<f64>,
    /// Our servers' admin port: their own request-duration histogram.
    admin: Option<u16>,
}

/// A started server, its port and (ours) its admin port.
type Started = (Server, u16, Option<u16>);

/// Seeds `db` (bench0 registered through the API for a real hash, the rest by `seed`, if
/// given) and signs in.
fn target(name: &'static str, s: Started, db: &str, seed: Option<&str>) -> Result<Target> {
    let (server, port, admin) = s;
    let addr = &format!("127.0.0.1:{port}");
    if let Some(seed) = seed {
        let (status, res) = http(addr, "POST", "/api/users", Some(BENCH_USER))?;
        if !(200..300).contains(&status) {
            bail!("registering the bench user: {status} {res}");
        }
        sql(db, seed)?;
    }
    let body = r#"{"user":{"email":"bench0@example.com","password":"bench-password"}}"#;
    let (status, res) = http(addr, "POST", "/api/users/login", Some(body))?;
    let json: serde_json::Value = serde_json::from_str(&res).unwrap_or_default();
    let Some(token) = json["user"]["token"].as_str().filter(|_| status == 200) else {
        bail!("logging in the bench user on {name}: {status} {res}");
    };
    let rss_before = rss(server.0.id());
    Ok(Target {
        name,
        port,
        token: token.into(),
        server,
        rss_before,
        admin,
    })
}

pub const JWT_SECRET: &str = "benchmark-only-secret-of-sufficient-length";

pub fn run(args: Args) -> Result<()> {
    require("wrk", "install it (Debian: apt-get install wrk)")?;
    require("pgbench", "install PostgreSQL's client tools")?;
    let api_bin = match &args.api_bin {
        Some(p) => p.clone(),
        None => {
            exec(cmd("cargo").args(["build", "--release", "--locked", "--bin", "conduit-api"]))?;
            crate::util::target_dir().join("release/conduit-api")
        }
    };
    if args.fault {
        return fault::run(&api_bin);
    }
    let web_dir = crate::util::target_dir().join("bench-web");
    let bundle = match args.no_web {
        true => None,
        false => Some(crate::web::build(crate::web::Engine::Release, &web_dir)?),
    };
    let mut pg = Postgres::start_temporary()?;
    calibrate::enable_statement_stats(&mut pg)?;
    let redis = conduit_testkit::Redis::start_temporary().ok();
    size::report(&api_bin, bundle.as_ref().map(|_| web_dir.as_path()))?;
    let (t, c, d) = (args.threads, args.connections, args.duration);
    println!(
        "\nwrk -t{t} -c{c} -d{d}s; pgbench -c{c} -j{t} -T{d}; 50 users / 500 articles / 10 tags; load average {}",
        load_average()
    );
    let ours_db = database(&pg, calibrate::DATABASE)?;
    let off = [("CONDUIT_CACHE_ENABLED", "false".to_string())];
    let ours = conduit(&api_bin, &ours_db, &off)?;
    let mut targets = vec![target("conduit, cache off", ours, &ours_db, Some(SEED))?];
    if let Some(bin) = &args.baseline_bin {
        let db = database(&pg, "conduit_baseline")?;
        let baseline = conduit(bin, &db, &off)?;
        targets.push(target("baseline, cache off", baseline, &db, Some(SEED))?);
    }
    if let Some(bin) = &args.reference_bin {
        // Its bind address is patched to read LISTEN (upstream binds 0.0.0.0:8080); its
        // migrations run at start-up.
        let (db, port) = (database(&pg, "realworld_reference")?, free_port()?);
        let env = [
            ("DATABASE_URL", db.clone()),
            ("HMAC_KEY", JWT_SECRET.to_string()),
            ("LISTEN", format!("127.0.0.1:{port}")),
        ];
        let server = spawn(bin, &env, port, "/api/tags")?;
        let reference = (server, port, None);
        targets.push(target("reference", reference, &db, Some(REFERENCE_SEED))?);
    }
    let on: Vec<_> = redis.iter().map(|r| ("REDIS_URL", r.url())).collect();
    let cached = conduit(&api_bin, &ours_db, &on)?;
    targets.push(target("conduit, cache on", cached, &ours_db, None)?);
    let user_id = calibrate::user_id(&ours_db, "bench0")?;
    let mut list_rate = None;
    println!(
        "{:<18} {:<20} {:>8} {:>9} {:>9} {:>7} {:>10} {:>6} {:>7} {:>18}",
        "endpoint",
        "server",
        "req/s",
        "p50",
        "p99",
        "errors",
        "pgbench/s",
        "share",
        "queued",
        "cpu µs/req"
    );
    // Time the server's threads were runnable but waited for a CPU, per second of load: on a
    // machine that runs load generator, servers and PostgreSQL on the same cores, it is what
    // the tail follows.
    println!("(queued: the server's threads' run-queue wait per second of load)");
    println!(
        "(cpu µs/req: CPU time per request of the server + PostgreSQL + wrk + interrupts / of \
         the whole machine; on pgbench's line, per transaction, PostgreSQL + pgbench + \
         interrupts / the machine)"
    );
    let postmaster = pg.pid().context("PostgreSQL is not running")?;
    if args.rounds > 1 {
        println!(
            "(medians of {} rounds; then each round's p99(slowest)/queued/st(host steal) in ms and, for ours, /the \
             buckets holding the p99 and the slowest of the server's own request durations, and \
             sql≤ that of its slowest database statement)",
            args.rounds
        );
    }
    // Each read endpoint: name, path, signed in, and the values of its SQL's `$1`, `$2`, ...
    // for pgbench (the anonymous list runs LIMIT $1 OFFSET $2, and its count without any).
    let (user_id, article) = (user_id.to_string(), "bench-article-250");
    let endpoints = [
        ("list articles (20)", "/api/articles", vec!["20", "0"]),
        (
            "get article",
            "/api/articles/bench-article-250",
            vec![article],
        ),
        ("tags", "/api/tags", vec![]),
        ("current user", "/api/user", vec![&user_id]),
    ];
    let stolen = cpu::steal_seconds();
    for (endpoint, path, params) in endpoints {
        let auth = path == "/api/user";
        calibrate::reset(&ours_db)?;
        let mut runs: Vec<Vec<WrkStats>> = targets.iter().map(|_| Vec::new()).collect();
        let mut tps = None;
        let mut slowest = 0.0_f64;
        for round in 0..args.rounds as usize {
            for k in 0..targets.len() {
                // Ours with the cache off opens round 0: its statements are the endpoint's SQL.
                let i = (k + round) % targets.len();
                let t = &targets[i];
                let waited = run_delay(t.server.0.id());
                let handled = t.admin.and_then(scrape);
                let cpu = cpu::sample(Some(t.server.0.id()), postmaster);
                let mut s = wrk(&args, t.port, auth.then_some(t.token.as_str()), path)?;
                let spent = cpu::sample(Some(t.server.0.id()), postmaster).zip(cpu);
                s.steal = spent.map_or(f64::NAN, |(after, before)| after.steal_ms(&before));
                s.cpu = spent.map(|(after, before)| after.per_request(&before, s.requests as f64));
                let waited = run_delay(t.server.0.id()).zip(waited).map(|(a, b)| a - b);
                if let Some((after, before)) = t.admin.and_then(scrape).zip(handled) {
                    let [requests, statements] =
                        [REQUESTS, STATEMENTS].map(|m| (buckets(&after, m), buckets(&before, m)));
                    s.server_p99 = bucket_of(&requests.0, &requests.1, 0.99);
                    s.server_max = bucket_of(&requests.0, &requests.1, 1.0);
                    s.statement_max = bucket_of(&statements.0, &statements.1, 1.0);
                }
                s.queued = waited.map_or(f64::NAN, |ns| ns / 1e6 / f64::from(args.duration));
                if round == 0 && i == 0 {
                    let statements = calibrate::captured(&ours_db, s.requests / 2)?;
                    slowest = calibrate::slowest_execution(&ours_db)?;
                    let before = cpu::sample(None, postmaster);
                    let rate = calibrate::pgbench(&args, &pg, &statements, &params)?;
                    let transactions = rate * f64::from(args.duration);
                    cpu::settle(postmaster);
                    let spent = cpu::sample(None, postmaster).zip(before);
                    let spent =
                        spent.map(|(after, before)| after.per_request(&before, transactions));
                    tps = Some((rate, spent));
                    // pgbench's executions of the same statements are not ours to count.
                    calibrate::reset(&ours_db)?;
                }
                runs[i].push(s);
            }
        }
        for (i, (t, runs)) in targets.iter().zip(&runs).enumerate() {
            let s = WrkStats::median(runs);
            list_rate = list_rate.or(Some(s.rps));
            let share = tps.map_or(String::new(), |p| format!("{:.0}%", s.rps / p.0 * 100.0));
            let (label, pgb) = match (i, tps) {
                (0, Some((p, _))) => (endpoint, format!("{p:.0}")),
                _ => ("", String::new()),
            };
            let cpu = s.cpu.map_or(String::new(), |c| c.show(true));
            let each = match runs.len() {
                1 => String::new(),
                _ => runs.iter().map(WrkStats::round).collect(),
            };
            println!(
                "{label:<18} {:<20} {:>8.0} {:>7.2}ms {:>7.2}ms {:>7} {pgb:>10} {share:>6} {:>5.0}ms {cpu:>18}{each}",
                t.name, s.rps, s.p50, s.p99, s.errors, s.queued
            );
        }
        // Set against the slowest requests of the rounds: a stall inside PostgreSQL shows
        // here, one in the sockets or the server's scheduling does not.
        let slowest = slowest.max(calibrate::slowest_execution(&ours_db)?);
        println!(
            "{:<18} PostgreSQL's slowest execution of these statements in our rounds: {slowest:.1} ms",
            ""
        );
        if let Some((rate, Some(spent))) = tps {
            let cpu = spent.show(false);
            println!(
                "{:<18} {:<20} {rate:>8.0} {:>53} {cpu:>18}",
                "", "pgbench, its SQL", ""
            );
        }
    }
    // A virtual machine's host can take CPU time from the guest: a share that varies between
    // runs would explain swings that nothing in the servers does.
    if let (Some(before), Some(after)) = (stolen, cpu::steal_seconds()) {
        println!(
            "CPU time taken by the host (steal) during the endpoints: {:.1} s",
            after - before
        );
    }
    println!("\nserver                RSS before   RSS after");
    for t in &targets {
        let after = rss(t.server.0.id());
        println!("{:<20} {:>11} {:>11}", t.name, mb(t.rss_before), mb(after));
    }
    match (&bundle, targets.last()) {
        (Some(b), Some(cached)) => web(&args, &web_dir, cached.port, b, list_rate),
        _ => Ok(()),
    }
}

fn database(pg: &Postgres, name: &str) -> Result<String> {
    sql(&pg.url("postgres"), &format!("CREATE DATABASE {name}"))?;
    Ok(pg.url(name))
}

fn wrk(args: &Args, port: u16, token: Option<&str>, path: &str) -> Result<WrkStats> {
    let mut wrk = Command::new("wrk");
    wrk.args(["--latency", "-t", &args.threads.to_string()]);
    wrk.args([
        "-c",
        &args.connections.to_string(),
        "-d",
        &format!("{}s", args.duration),
    ]);
    if let Some(t) = token {
        wrk.args(["-H", &format!("Authorization: Token {t}")]);
    }
    let out = crate::util::output(wrk.arg(format!("http://127.0.0.1:{port}{path}")))?;
    parse_wrk(&out).with_context(|| format!("unexpected wrk output:\n{out}"))
}

/// Server-side rendering: the release web server in front of the cached API, anonymous
/// visitors, against the API's uncached list rate of the same run; plus the bundle size.
fn web(
    args: &Args,
    dir: &Path,
    api_port: u16,
    bundle: &BundleSize,
    list: Option<f64>,
) -> Result<()> {
    let (port, admin) = (free_port()?, free_port()?);
    let env = [
        ("CONDUIT_WEB_LISTEN", format!("127.0.0.1:{port}")),
        ("CONDUIT_ADMIN_LISTEN", format!("127.0.0.1:{admin}")),
        ("CONDUIT_API_URL", format!("http://127.0.0.1:{api_port}")),
    ];
    let server = spawn(&dir.join("conduit-web"), &env, port, "/readyz")?;
    println!(
        "\nconduit-web server-side rendering (API cache on); client bundle {:.1} KiB gzipped ({} KiB wasm + {} KiB js before gzip)",
        (bundle.wasm_gz + bundle.js_gz) as f64 / 1024.0,
        bundle.wasm / 1024,
        bundle.js / 1024
    );
    println!("page                req/s       p50       p99  errors  of uncached API list");
    for (name, path) in [("home", "/"), ("article", "/article/bench-article-250")] {
        let runs = (0..args.rounds)
            .map(|_| wrk(args, port, None, path))
            .collect::<Result<Vec<_>>>()?;
        let s = WrkStats::median(&runs);
        let share = list.map_or(String::new(), |l| format!("{:.0}%", s.rps / l * 100.0));
        println!(
            "{name:<16} {:>8.0} {:>7.2}ms {:>7.2}ms {:>7}  {share}",
            s.rps, s.p50, s.p99, s.errors
        );
    }
    println!("web server RSS after load: {}", mb(rss(server.0.id())));
    Ok(())
}

const BENCH_USER: &str =
    r#"{"user":{"username":"bench0","email":"bench0@example.com","password":"bench-password"}}"#;

/// One wrk run; latencies in milliseconds.
struct WrkStats {
    rps: f64,
    requests: u64,
    p50: f64,
    p99: f64,
    /// The slowest request (wrk's own maximum, not corrected).
    max: f64,
    errors: u64,
    /// The server's run-queue wait in ms per second of load (NaN: unknown).
    queued: f64,
    /// CPU time the host took from this machine during the round, ms (NaN: unknown): a
    /// virtual CPU the host does not run stalls whatever runs on it.
    steal: f64,
    /// The histogram bucket (ms) holding the p99 of the durations the server measured itself
    /// (from a parsed request to its response), for ours.
    server_p99: Option<f64>,
    /// The bucket holding the slowest of them: wrk's p99 corrects for coordinated omission
    /// (each response slower than twice the mean interval adds samples for the requests it
    /// held back), so a handful of stalled requests sets it, and this tells whether the server
    /// saw them.
    server_max: Option<f64>,
    /// The bucket holding the slowest database statement the server timed (from the moment
    /// the pool handed out a connection), to tell a stall in PostgreSQL from one before it.
    statement_max: Option<f64>,
    /// CPU time per request, when `/proc` could be read.
    cpu: Option<cpu::PerRequest>,
}

impl WrkStats {
    /// Per-field medians of `runs` (the upper one of an even count); errors are summed.
    fn median(runs: &[WrkStats]) -> WrkStats {
        let mid = |f: fn(&WrkStats) -> f64| median(runs.iter().map(f));
        WrkStats {
            rps: mid(|r| r.rps),
            requests: runs.iter().map(|r| r.requests).sum(),
            p50: mid(|r| r.p50),
            p99: mid(|r| r.p99),
            max: mid(|r| r.max),
            errors: runs.iter().map(|r| r.errors).sum(),
            queued: mid(|r| r.queued),
            steal: mid(|r| r.steal),
            server_p99: None,
            server_max: None,
            statement_max: None,
            cpu: cpu_median(runs),
        }
    }

    /// One round for the summary line: `p99(slowest)/queued/st<steal>`, and for ours
    /// `/≤<own p99 bucket>/≤<own slowest>/sql≤<slowest statement>`.
    fn round(&self) -> String {
        let own = match (self.server_p99, self.server_max) {
            (Some(p99), Some(max)) => format!("/≤{p99}/≤{max}"),
            _ => String::new(),
        };
        let sql = self
            .statement_max
            .map_or(String::new(), |m| format!("/sql≤{m}"));
        let (p99, max, queued, steal) = (self.p99, self.max, self.queued, self.steal);
        format!(" {p99:.1}({max:.0})/{queued:.0}/st{steal:.0}{own}{sql}")
    }
}

/// Per-part medians of the rounds' CPU times (the upper one of an even count).
fn cpu_median(runs: &[WrkStats]) -> Option<cpu::PerRequest> {
    let all: Option<Vec<cpu::PerRequest>> = runs.iter().map(|r| r.cpu).collect();
    let all = all.filter(|a| !a.is_empty())?;
    let mid = |f: fn(&cpu::PerRequest) -> f64| median(all.iter().map(f));
    Some(cpu::PerRequest {
        server: mid(|c| c.server),
        postgres: mid(|c| c.postgres),
        load: mid(|c| c.load),
        interrupts: mid(|c| c.interrupts),
        machine: mid(|c| c.machine),
    })
}

/// The median of non-empty `values` (the upper one of an even count).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// wrk's latency text (`810.00us`, `1.60ms`, `2.01s`) in milliseconds.
fn millis(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (value, unit) = text.split_at(split);
    let scale = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        _ => return None,
    };
    Some(value.parse::<f64>().ok()? * scale)
}

fn parse_wrk(out: &str) -> Option<WrkStats> {
    let field = |prefix: &str| {
        out.lines()
            .find_map(|l| Some(l.trim().strip_prefix(prefix)?.trim().to_string()))
    };
    let requests = out
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))?
        .0;
    // Socket errors (connect, read, write, timeout) count as errors too.
    let socket: u64 = field("Socket errors:").map_or(0, |s| {
        s.split(',')
            .filter_map(|kv| kv.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    });
    let non_2xx: u64 = field("Non-2xx or 3xx responses:")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Some(WrkStats {
        rps: field("Requests/sec:")?.parse().ok()?,
        requests: requests.trim().parse().ok()?,
        p50: millis(&field("50%")?)?,
        p99: millis(&field("99%")?)?,
        // `Latency  avg  stdev  max  +/- stdev` of the thread statistics.
        max: out.lines().find_map(|l| {
            let mut values = l.trim().strip_prefix("Latency")?.split_whitespace();
            millis(values.nth(2)?)
        })?,
        errors: non_2xx + socket,
        queued: f64::NAN,
        steal: f64::NAN,
        server_p99: None,
        server_max: None,
        statement_max: None,
        cpu: None,
    })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Nanoseconds `pid`'s threads have spent runnable but waiting for a CPU
/// (`/proc/PID/task/TID/schedstat`, second field; see the kernel's sched-stats document).
fn run_delay(pid: u32) -> Option<f64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let waits = tasks.flatten().filter_map(|task| {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        stat.split_whitespace().nth(1)?.parse::<f64>().ok()
    });
    Some(waits.sum())
}

/// The histograms our servers keep of their own requests and of their database statements.
const REQUESTS: &str = "http_server_request_duration_seconds";
const STATEMENTS: &str = "db_client_operation_duration_seconds";

/// A server's metrics, from its admin listener.
fn scrape(admin: u16) -> Option<String> {
    let (status, text) = http(&format!("127.0.0.1:{admin}"), "GET", "/metrics", None).ok()?;
    (status == 200).then_some(text)
}

/// Cumulative counts per bucket bound (ms) of the histogram `metric`, summed over its label
/// sets; `+Inf` as infinity.
fn buckets(text: &str, metric: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{metric}_bucket{{");
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    let parsed = text.lines().filter_map(|line| {
        let (labels, count) = line.strip_prefix(&prefix)?.rsplit_once("} ")?;
        let le = match labels.split("le=\"").nth(1)?.split('"').next()? {
            "+Inf" => f64::INFINITY,
            le => le.parse::<f64>().ok()? * 1000.0,
        };
        Some((le, count.trim().parse::<f64>().ok()?))
    });
    for (le, count) in parsed {
        match buckets.iter_mut().find(|(b, _)| *b == le) {
            Some((_, c)) => *c += count,
            None => buckets.push((le, count)),
        }
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    buckets
}

/// The smallest bucket bound (ms) holding the share `q` of the observations between two
/// scrapes; `None` without any.
fn bucket_of(after: &[(f64, f64)], before: &[(f64, f64)], q: f64) -> Option<f64> {
    let earlier = |le: f64| before.iter().find(|(b, _)| *b == le).map_or(0.0, |x| x.1);
    let total = after
        .last()
        .map(|&(le, c)| c - earlier(le))
        .filter(|t| *t > 0.0)?;
    let found = after.iter().find(|&&(le, c)| c - earlier(le) >= q * total);
    found.map(|&(le, _)| le)
}

/// Resident set size in MB.
fn rss(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB");
    Some(kb.trim().parse::<f64>().ok()? / 1024.0)
}

fn mb(v: Option<f64>) -> String {
    v.map_or("unknown".into(), |v| format!("{v:.1} MB"))
}

/// The rest of the seed by SQL, after bench0 registered through the API (a real hash).
const SEED: &str = include_str!("seed.sql");

/// [`SEED`] in the reference implementation's schema (built outside the project, see
/// docs/benchmark.md).
const REFERENCE_SEED: &str = include_str!("reference-seed.sql");

pub(crate) fn sql(url: &str, statements: &str) -> Result<()> {
    query(url, async |c| Ok(c.batch_execute(statements).await?))
}

/// Runs `f` on one short-lived connection to `url`.
pub(crate) fn query<T>(
    url: &str,
    f: impl AsyncFnOnce(&tokio_postgres::Client) -> Result<T>,
) -> Result<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        f(&client).await
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn histogram_buckets_between_two_scrapes() {
        let scrape = |fast: u32, slow: u32| {
            format!(
                "x_bucket{{le=\"0.005\"}} 0\n\
                 h_bucket{{route=\"/a\",le=\"0.005\"}} {fast}\n\
                 h_bucket{{route=\"/a\",le=\"0.25\"}} {}\n\
                 h_bucket{{route=\"/a\",le=\"+Inf\"}} {}\n\
                 h_bucket{{route=\"/b\",le=\"0.005\"}} 1\n\
                 h_bucket{{route=\"/b\",le=\"0.25\"}} 1\n\
                 h_bucket{{route=\"/b\",le=\"+Inf\"}} 1\n",
                fast + slow,
                fast + slow
            )
        };
        let (before, after) = (
            super::buckets(&scrape(10, 0), "h"),
            super::buckets(&scrape(1000, 2), "h"),
        );
        assert_eq!(before, [(5.0, 11.0), (250.0, 11.0), (f64::INFINITY, 11.0)]);
        assert_eq!(super::bucket_of(&after, &before, 0.99), Some(5.0));
        assert_eq!(super::bucket_of(&after, &before, 1.0), Some(250.0));
        assert_eq!(super::bucket_of(&before, &before, 1.0), None);
    }

    #[test]
    fn parses_wrk_output() {
        let out = "Running 1s test\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.63ms   41.73ms   2.00s    99.87%\n  Latency Distribution\n     50%  810.00us\n     75%    2ms\n     99%    1.05s\n  1000 requests in 1.00s, 1MB read\n  Socket errors: connect 0, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 4\nRequests/sec:   4321.50\n";
        let s = super::parse_wrk(out).unwrap();
        assert_eq!(
            (s.rps, s.requests, s.p50, s.p99, s.max, s.errors),
            (4321.5, 1000, 0.81, 1050.0, 2000.0, 9)
        );
        assert!(super::parse_wrk("garbage").is_none());
    }
}
