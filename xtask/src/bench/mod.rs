//! `cargo xtask bench`: a fixed, bounded load against release servers on loopback.
//!
//! Seeds 50 users, 500 articles, 10 tags (plus favourites and follows) and runs `wrk` on each
//! read endpoint against every server in turn (ours with the cache off and on, optionally an
//! older build of ours and the reference implementation), so ratios come from one run on one
//! machine. Each endpoint's own SQL, captured from `pg_stat_statements` while ours served it,
//! is then replayed by pgbench with the same client count: the rate PostgreSQL alone reaches
//! ([`calibrate`]). Prints RSS before/after load, binary and image-input sizes ([`size`]), the
//! server-side-rendered pages, and with `--fault` runs the fault drill ([`fault`]) instead.

mod calibrate;
mod fault;
mod reference;
mod size;

use crate::stack::wait_ready;
use crate::util::{cmd, exec, require};
use anyhow::{bail, Context, Result};
use conduit_testkit::{free_port, Postgres};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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

pub(crate) struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A server under load, with what the endpoints need.
struct Target {
    name: String,
    port: u16,
    token: String,
    server: Server,
    rss_before: Option<f64>,
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
    let bundle = if args.no_web {
        None
    } else {
        Some(crate::web::build(crate::web::Engine::Release, &web_dir)?)
    };
    let mut pg = Postgres::start_temporary()?;
    calibrate::enable_statement_stats(&mut pg)?;
    let redis = conduit_testkit::Redis::start_temporary().ok();
    size::report(&api_bin, (!args.no_web).then_some(web_dir.as_path()))?;
    println!(
        "\nwrk -t{} -c{} -d{}s; pgbench -c{} -j{} -T{}; 50 users / 500 articles / 10 tags; load average {}",
        args.threads,
        args.connections,
        args.duration,
        args.connections,
        args.threads,
        args.duration,
        load_average()
    );
    let ours_db = database(&pg, calibrate::DATABASE)?;
    let off = [("CONDUIT_CACHE_ENABLED", "false".to_string())];
    let mut targets = vec![api_target(
        &api_bin,
        "conduit, cache off",
        &ours_db,
        &off,
        true,
    )?];
    if let Some(bin) = &args.baseline_bin {
        let db = database(&pg, "conduit_baseline")?;
        targets.push(api_target(bin, "baseline, cache off", &db, &off, true)?);
    }
    if let Some(bin) = &args.reference_bin {
        let db = database(&pg, "realworld_reference")?;
        targets.push(reference::start(bin, &db)?);
    }
    let on = match &redis {
        Some(r) => vec![("REDIS_URL", r.url())],
        None => vec![],
    };
    targets.push(api_target(
        &api_bin,
        "conduit, cache on",
        &ours_db,
        &on,
        false,
    )?);
    let user_id = calibrate::user_id(&ours_db, "bench0")?;
    let mut list_rate = None;
    println!(
        "{:<18} {:<20} {:>8} {:>9} {:>9} {:>7} {:>10} {:>6}",
        "endpoint", "server", "req/s", "p50", "p99", "errors", "pgbench/s", "share"
    );
    for (endpoint, path, auth, params) in endpoints(user_id) {
        calibrate::reset(&ours_db)?;
        let mut tps = None;
        for (i, t) in targets.iter().enumerate() {
            let s = wrk(&args, t.port, auth.then_some(t.token.as_str()), path)?;
            // Ours with the cache off comes first: its statements are the endpoint's SQL.
            if i == 0 {
                let statements = calibrate::captured(&ours_db, s.requests / 2)?;
                tps = Some(calibrate::pgbench(&args, &pg, &statements, &params)?);
                list_rate = list_rate.or(Some(s.rps));
            }
            let share = tps.map_or(String::new(), |p| format!("{:.0}%", s.rps / p * 100.0));
            let (label, pgb) = match (i, tps) {
                (0, Some(p)) => (endpoint, format!("{p:.0}")),
                _ => ("", String::new()),
            };
            println!(
                "{label:<18} {:<20} {:>8.0} {:>9} {:>9} {:>7} {pgb:>10} {share:>6}",
                t.name, s.rps, s.p50, s.p99, s.errors
            );
        }
    }
    println!(
        "\n{:<20} {:>11} {:>11}",
        "server", "RSS before", "RSS after"
    );
    for t in &targets {
        let after = rss(t.server.0.id());
        println!("{:<20} {:>11} {:>11}", t.name, mb(t.rss_before), mb(after));
    }
    if let (Some(b), Some(cached)) = (&bundle, targets.last()) {
        web(&args, &web_dir, cached.port, b, list_rate)?;
    }
    Ok(())
}

fn database(pg: &Postgres, name: &str) -> Result<String> {
    sql(&pg.url("postgres"), &format!("CREATE DATABASE {name}"))?;
    Ok(pg.url(name))
}

/// Starts a conduit-api binary on `db` (seeding it when `seed` is set) and logs in.
fn api_target(
    bin: &Path,
    name: &str,
    db: &str,
    env: &[(&str, String)],
    seed: bool,
) -> Result<Target> {
    let port = free_port()?;
    let mut command = Command::new(bin);
    command
        .env_clear()
        .env("DATABASE_URL", db)
        .env("CONDUIT_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "CONDUIT_ADMIN_LISTEN",
            format!("127.0.0.1:{}", free_port()?),
        )
        .env("CONDUIT_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null());
    let mut server = Server(
        command
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?,
    );
    wait_ready(&format!("http://127.0.0.1:{port}/readyz"), &mut server.0)?;
    if seed {
        register_bench_user(port)?;
        sql(db, SEED)?;
    }
    let token = login(port)?;
    let rss_before = rss(server.0.id());
    Ok(Target {
        name: name.into(),
        port,
        token,
        server,
        rss_before,
    })
}

/// A read endpoint: name, path, signed in, and the values of its SQL's `$1`, `$2`, ... for
/// pgbench (the anonymous list runs LIMIT $1 OFFSET $2, and its count without parameters).
type Endpoint = (&'static str, &'static str, bool, Vec<String>);

fn endpoints(user_id: i64) -> [Endpoint; 4] {
    let article = "bench-article-250";
    [
        (
            "list articles (20)",
            "/api/articles",
            false,
            vec!["20".into(), "0".into()],
        ),
        (
            "get article",
            "/api/articles/bench-article-250",
            false,
            vec![article.into()],
        ),
        ("tags", "/api/tags", false, vec![]),
        ("current user", "/api/user", true, vec![user_id.to_string()]),
    ]
}

fn wrk(args: &Args, port: u16, token: Option<&str>, path: &str) -> Result<WrkStats> {
    let mut wrk = Command::new("wrk");
    wrk.args([
        "--latency",
        "-t",
        &args.threads.to_string(),
        "-c",
        &args.connections.to_string(),
    ])
    .args(["-d", &format!("{}s", args.duration)]);
    if let Some(t) = token {
        wrk.args(["-H", &format!("Authorization: Token {t}")]);
    }
    wrk.arg(format!("http://127.0.0.1:{port}{path}"));
    let out = crate::util::output(&mut wrk)?;
    parse_wrk(&out).with_context(|| format!("unexpected wrk output:\n{out}"))
}

/// Server-side rendering: the release web server in front of the cached API, anonymous
/// visitors, against the API's uncached list rate of the same run; plus the bundle size.
fn web(
    args: &Args,
    dir: &Path,
    api_port: u16,
    bundle: &crate::web::BundleSize,
    list: Option<f64>,
) -> Result<()> {
    let port = free_port()?;
    let mut server = Server(
        Command::new(dir.join("conduit-web"))
            .env_clear()
            .env("CONDUIT_WEB_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "CONDUIT_ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()?),
            )
            .env("CONDUIT_API_URL", format!("http://127.0.0.1:{api_port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting conduit-web")?,
    );
    wait_ready(&format!("http://127.0.0.1:{port}/readyz"), &mut server.0)?;
    println!(
        "\nconduit-web server-side rendering (API cache on); client bundle {:.1} KiB gzipped ({} KiB wasm + {} KiB js before gzip)",
        (bundle.wasm_gz + bundle.js_gz) as f64 / 1024.0,
        bundle.wasm / 1024,
        bundle.js / 1024
    );
    println!(
        "{:<16} {:>8} {:>9} {:>9} {:>7}  of uncached API list",
        "page", "req/s", "p50", "p99", "errors"
    );
    for (name, path) in [("home", "/"), ("article", "/article/bench-article-250")] {
        let s = wrk(args, port, None, path)?;
        let share = list.map_or(String::new(), |l| format!("{:.0}%", s.rps / l * 100.0));
        println!(
            "{name:<16} {:>8.0} {:>9} {:>9} {:>7}  {share}",
            s.rps, s.p50, s.p99, s.errors
        );
    }
    println!("web server RSS after load: {}", mb(rss(server.0.id())));
    Ok(())
}

const BENCH_USER: &str =
    r#"{"user":{"username":"bench0","email":"bench0@example.com","password":"bench-password"}}"#;

fn register_bench_user(port: u16) -> Result<()> {
    let (status, res) = http(port, "POST", "/api/users", Some(BENCH_USER))?;
    if !(200..300).contains(&status) {
        bail!("registering the bench user: {status} {res}");
    }
    Ok(())
}

fn login(port: u16) -> Result<String> {
    let body = r#"{"user":{"email":"bench0@example.com","password":"bench-password"}}"#;
    let (status, res) = http(port, "POST", "/api/users/login", Some(body))?;
    let json: serde_json::Value = serde_json::from_str(&res).unwrap_or_default();
    match json["user"]["token"].as_str() {
        Some(token) if status == 200 => Ok(token.to_string()),
        _ => bail!("logging in the bench user: {status} {res}"),
    }
}

struct WrkStats {
    rps: f64,
    requests: u64,
    p50: String,
    p99: String,
    errors: u64,
}

fn parse_wrk(out: &str) -> Option<WrkStats> {
    let field = |prefix: &str| {
        out.lines().find_map(|l| {
            l.trim()
                .strip_prefix(prefix)
                .map(|rest| rest.trim().to_string())
        })
    };
    let requests = out
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())?;
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
        requests,
        p50: field("50%")?,
        p99: field("99%")?,
        errors: non_2xx + socket,
    })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Resident set size in MB.
fn rss(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn mb(v: Option<f64>) -> String {
    v.map_or("unknown".into(), |v| format!("{v:.1} MB"))
}

/// The rest of the seed by SQL, after bench0 registered through the API (a real hash).
const SEED: &str = "INSERT INTO users (username, email, password_hash, bio)
   SELECT 'bench' || i, 'bench' || i || '@example.com', (SELECT password_hash FROM users WHERE username = 'bench0'),
          'Writer number ' || i
   FROM generate_series(1, 49) i;
 INSERT INTO tags (name) SELECT 'tag' || i FROM generate_series(0, 9) i;
 INSERT INTO articles (slug, author_id, title, description, body, created_at)
   SELECT 'bench-article-' || i, (SELECT id FROM users WHERE username = 'bench' || (i % 50)),
          'Bench article ' || i, 'What article ' || i || ' is about', repeat('Some body text. ', 100),
          now() - make_interval(mins => 500 - i)
   FROM generate_series(0, 499) i;
 INSERT INTO article_tags (article_id, tag_id)
   SELECT a.id, t.id FROM articles a JOIN tags t ON (a.id + t.id) % 4 = 0;
 INSERT INTO favorites (user_id, article_id)
   SELECT u.id, a.id FROM users u JOIN articles a ON (u.id * 7 + a.id) % 10 = 0;
 INSERT INTO follows (follower_id, followee_id)
   SELECT f.id, g.id FROM users f JOIN users g ON f.id <> g.id AND (f.id + g.id) % 5 = 0;
 UPDATE articles a SET
   favorites_count = (SELECT count(*) FROM favorites f WHERE f.article_id = a.id),
   tag_list = ARRAY(SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
                    WHERE at.article_id = a.id ORDER BY t.name);
 ANALYZE;";

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

pub(crate) fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, String)> {
    crate::util::http(&format!("127.0.0.1:{port}"), method, path, body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_wrk_output() {
        let out = "Running 1s test\n  Latency Distribution\n     50%    1.20ms\n     75%    2ms\n     99%    9.50ms\n  1000 requests in 1.00s, 1MB read\n  Socket errors: connect 0, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 4\nRequests/sec:   4321.50\n";
        let s = super::parse_wrk(out).unwrap();
        assert_eq!(
            (s.rps, s.requests, s.p50.as_str(), s.p99.as_str(), s.errors),
            (4321.5, 1000, "1.20ms", "9.50ms", 9)
        );
        assert!(super::parse_wrk("garbage").is_none());
    }
}
