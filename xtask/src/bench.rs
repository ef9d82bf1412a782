//! `cargo xtask bench`: a fixed, bounded load against the release API on loopback.
//!
//! Seeds 50 users, 500 articles, 10 tags (plus favourites and follows), then runs `wrk`
//! (2 threads, 32 connections, `--duration` seconds each) on the read endpoints, once with the
//! cache off and once with it on (Redis when installed), and prints requests/s, p50 and p99
//! per endpoint, the server's RSS and the cache hit ratio. A benchmark, not a test.

use crate::stack::wait_ready;
use crate::util::{cmd, exec, require};
use anyhow::{bail, Context, Result};
use conduit_testkit::{free_port, Postgres};
use std::process::{Child, Command, Stdio};

#[derive(clap::Args)]
pub struct Args {
    /// Seconds of load per endpoint.
    #[arg(long, default_value_t = 10)]
    duration: u32,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Skip the web server (server-side rendering) phase.
    #[arg(long)]
    no_web: bool,
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(args: Args) -> Result<()> {
    require("wrk", "install it (Debian: apt-get install wrk)")?;
    exec(cmd("cargo").args(["build", "--release", "--locked", "--bin", "conduit-api"]))?;
    let web_dir = crate::util::target_dir().join("bench-web");
    let bundle = if args.no_web {
        None
    } else {
        Some(crate::web::build(crate::web::Engine::Release, &web_dir)?)
    };
    let pg = Postgres::start_temporary()?;
    sql(&pg.url("postgres"), "CREATE DATABASE conduit_bench")?;
    let db = pg.url("conduit_bench");
    let redis = crate::util::which("redis-server")
        .map(|_| conduit_testkit::Redis::start_temporary())
        .transpose()?;

    println!(
        "\nconduit-api release build, wrk -t{} -c{} -d{}s, 50 users / 500 articles / 10 tags",
        args.threads, args.connections, args.duration
    );
    let mut phases = vec![(
        "cache off (no Redis)",
        vec![("CONDUIT_CACHE_ENABLED", "false".to_string())],
    )];
    match &redis {
        Some(r) => phases.push(("cache on (Redis)", vec![("REDIS_URL", r.url())])),
        None => phases.push(("cache on (in-process; no redis-server)", vec![])),
    }
    for (i, (name, env)) in phases.iter().enumerate() {
        let port = free_port()?;
        let admin_port = free_port()?;
        let mut command = Command::new(crate::util::target_dir().join("release/conduit-api"));
        command
            .env_clear()
            .env("DATABASE_URL", &db)
            .env("CONDUIT_LISTEN", format!("127.0.0.1:{port}"))
            .env("CONDUIT_ADMIN_LISTEN", format!("127.0.0.1:{admin_port}"))
            .env(
                "CONDUIT_JWT_SECRET",
                "benchmark-only-secret-of-sufficient-length",
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut server = Server(command.spawn().context("starting conduit-api")?);
        wait_ready(&format!("http://127.0.0.1:{port}/readyz"), &mut server.0)?;
        if i == 0 {
            seed(port, &db)?;
        }
        let token = login(port)?;
        println!("\n{name}");
        load(&args, port, &token)?;
        let hits = cache_hit_ratio(admin_port);
        println!(
            "server RSS after load: {}; cache hit ratio: {}",
            rss(server.0.id()).unwrap_or_else(|| "unknown".into()),
            hits.map_or("n/a".to_string(), |r| format!("{:.1}%", r * 100.0))
        );
        if i + 1 == phases.len() {
            if let Some(b) = &bundle {
                web(&args, &web_dir, port, b)?;
            }
        }
    }
    Ok(())
}

/// Server-side rendering: the release web server in front of the (cached) API, anonymous
/// visitors (the common case the cache serves), plus the client bundle size.
fn web(
    args: &Args,
    dir: &std::path::Path,
    api_port: u16,
    bundle: &crate::web::BundleSize,
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
        "
conduit-web (release) server-side rendering, in front of the API above; client bundle {:.1} KiB gzipped ({} KiB wasm + {} KiB js before gzip)",
        (bundle.wasm_gz + bundle.js_gz) as f64 / 1024.0,
        bundle.wasm / 1024,
        bundle.js / 1024
    );
    println!(
        "{:<20} {:>10} {:>10} {:>10} {:>8}",
        "page", "req/s", "p50", "p99", "errors"
    );
    let base = format!("http://127.0.0.1:{port}");
    for (name, url) in [
        ("home (SSR)", format!("{base}/")),
        ("article (SSR)", format!("{base}/article/bench-article-250")),
    ] {
        let out = crate::util::output(Command::new("wrk").args([
            "--latency",
            "-t",
            &args.threads.to_string(),
            "-c",
            &args.connections.to_string(),
            "-d",
            &format!("{}s", args.duration),
            &url,
        ]))?;
        let stats = parse_wrk(&out).with_context(|| format!("unexpected wrk output:\n{out}"))?;
        println!(
            "{name:<20} {:>10.0} {:>10} {:>10} {:>8}",
            stats.rps, stats.p50, stats.p99, stats.errors
        );
    }
    println!(
        "web server RSS after load: {}",
        rss(server.0.id()).unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

fn load(args: &Args, port: u16, token: &str) -> Result<()> {
    let base = format!("http://127.0.0.1:{port}");
    let endpoints = [
        ("list articles (20)", format!("{base}/api/articles"), None),
        (
            "get article",
            format!("{base}/api/articles/bench-article-250"),
            None,
        ),
        ("tags", format!("{base}/api/tags"), None),
        ("current user", format!("{base}/api/user"), Some(token)),
    ];
    println!(
        "{:<20} {:>10} {:>10} {:>10} {:>8}",
        "endpoint", "req/s", "p50", "p99", "errors"
    );
    for (name, url, auth) in &endpoints {
        let mut wrk = Command::new("wrk");
        wrk.args([
            "--latency",
            "-t",
            &args.threads.to_string(),
            "-c",
            &args.connections.to_string(),
        ])
        .args(["-d", &format!("{}s", args.duration)]);
        if let Some(t) = auth {
            wrk.args(["-H", &format!("Authorization: Token {t}")]);
        }
        wrk.arg(url);
        let out = crate::util::output(&mut wrk)?;
        let stats = parse_wrk(&out).with_context(|| format!("unexpected wrk output:\n{out}"))?;
        println!(
            "{name:<20} {:>10.0} {:>10} {:>10} {:>8}",
            stats.rps, stats.p50, stats.p99, stats.errors
        );
    }
    Ok(())
}

/// Hits / lookups from the server's own `conduit_cache_requests_total` counters.
fn cache_hit_ratio(admin_port: u16) -> Option<f64> {
    let (_, metrics) = http(admin_port, "GET", "/metrics", None).ok()?;
    let (mut hit, mut all) = (0.0, 0.0);
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("conduit_cache_requests_total{"))
    {
        let value: f64 = line.rsplit(' ').next()?.parse().ok()?;
        all += value;
        if line.contains("result=\"hit\"") {
            hit += value;
        }
    }
    (all > 0.0).then(|| hit / all)
}

fn login(port: u16) -> Result<String> {
    let body = r#"{"user":{"email":"bench0@example.com","password":"bench-password"}}"#;
    let (status, res) = http(port, "POST", "/api/users/login", Some(body))?;
    if status != 200 {
        bail!("logging in the bench user: {status} {res}");
    }
    token_of(&res)
}

fn token_of(res: &str) -> Result<String> {
    Ok(res
        .split("\"token\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("no token in the response")?
        .to_string())
}

struct WrkStats {
    rps: f64,
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
    let rps = field("Requests/sec:")?.parse().ok()?;
    let errors = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    Some(WrkStats {
        rps,
        p50: field("50%")?,
        p99: field("99%")?,
        errors,
    })
}

fn rss(pid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(format!("{:.1} MB", kb / 1024.0))
}

/// One user through the API (for a real password hash), the rest by SQL.
fn seed(port: u16, db_url: &str) -> Result<()> {
    let body = r#"{"user":{"username":"bench0","email":"bench0@example.com","password":"bench-password"}}"#;
    let (status, res) = http(port, "POST", "/api/users", Some(body))?;
    if status != 201 {
        bail!("registering the bench user: {status} {res}");
    }
    sql(
        db_url,
        "INSERT INTO users (username, email, password_hash, bio)
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
         ANALYZE;",
    )
}

fn sql(url: &str, statements: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        client.batch_execute(statements).await?;
        anyhow::Ok(())
    })
}

fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> Result<(u16, String)> {
    crate::util::http(&format!("127.0.0.1:{port}"), method, path, body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_wrk_output() {
        let out = "Running 1s test\n  Latency Distribution\n     50%    1.20ms\n     75%    2ms\n     99%    9.50ms\n  1000 requests\nRequests/sec:   4321.50\n";
        let s = super::parse_wrk(out).unwrap();
        assert_eq!(
            (s.rps, s.p50.as_str(), s.p99.as_str(), s.errors),
            (4321.5, "1.20ms", "9.50ms", 0)
        );
        assert!(super::parse_wrk("garbage").is_none());
    }
}
