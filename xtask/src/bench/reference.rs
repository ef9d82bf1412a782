//! The reference implementation (launchbadge/realworld-axum-sqlx, built outside the project,
//! see docs/benchmark.md) on its own database in the same PostgreSQL, with the same seed in its
//! schema (its migrations run at its start-up).

use super::{http, login, register_bench_user, rss, sql, Server, Target, JWT_SECRET};
use anyhow::{bail, Context, Result};
use conduit_testkit::free_port;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(super) fn start(bin: &Path, db: &str) -> Result<Target> {
    let port = free_port()?;
    let mut server = Server(
        Command::new(bin)
            .env_clear()
            .env("DATABASE_URL", db)
            .env("HMAC_KEY", JWT_SECRET)
            // Its bind address is patched to read LISTEN (upstream binds 0.0.0.0:8080).
            .env("LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting the reference {}", bin.display()))?,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(http(port, "GET", "/api/tags", None), Ok((200, _))) {
        if let Some(status) = server.0.try_wait()? {
            bail!("the reference exited with {status} (does it bind LISTEN?)");
        }
        if Instant::now() > deadline {
            bail!("the reference did not answer on 127.0.0.1:{port} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    register_bench_user(port)?;
    sql(db, SEED)?;
    let token = login(port)?;
    let rss_before = rss(server.0.id());
    Ok(Target {
        name: "reference".into(),
        port,
        token,
        server,
        rss_before,
    })
}

/// The seed of `super::SEED` in the reference's schema: same users, articles, tags, and
/// favourites and follows in the same proportions.
const SEED: &str = r#"INSERT INTO "user" (username, email, password_hash, bio)
   SELECT 'bench' || i, 'bench' || i || '@example.com', (SELECT password_hash FROM "user" WHERE username = 'bench0'),
          'Writer number ' || i
   FROM generate_series(1, 49) i;
 INSERT INTO article (user_id, slug, title, description, body, tag_list, created_at)
   SELECT (SELECT user_id FROM "user" WHERE username = 'bench' || (i % 50)), 'bench-article-' || i,
          'Bench article ' || i, 'What article ' || i || ' is about', repeat('Some body text. ', 100),
          ARRAY(SELECT 'tag' || t FROM generate_series(0, 9) t WHERE (i + t) % 4 = 0 ORDER BY 1),
          now() - make_interval(mins => 500 - i)
   FROM generate_series(0, 499) i;
 INSERT INTO article_favorite (user_id, article_id)
   SELECT u.user_id, a.article_id FROM "user" u JOIN article a ON abs(hashtext(u.username || a.slug)) % 10 = 0;
 INSERT INTO follow (following_user_id, followed_user_id)
   SELECT f.user_id, g.user_id FROM "user" f JOIN "user" g
     ON f.user_id <> g.user_id AND abs(hashtext(f.username || g.username)) % 5 = 0;
 ANALYZE;"#;
