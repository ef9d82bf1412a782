//! The physical limit of each endpoint: the statements it ran, as PostgreSQL recorded them in
//! `pg_stat_statements` while the API served it, replayed by pgbench (prepared, same client
//! count and duration) against the same database. An HTTP rate close to this is as good as
//! PostgreSQL allows; the rest is the API's own cost.

use super::{query, sql, Args};
use anyhow::{bail, Context, Result};
use conduit_testkit::Postgres;

/// Our servers' database, where the statements are recorded and replayed.
pub const DATABASE: &str = "conduit_bench";

/// Loads `pg_stat_statements` (a restart: it needs shared memory).
pub fn enable_statement_stats(pg: &mut Postgres) -> Result<()> {
    let preload = "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'";
    sql(&pg.url("postgres"), preload)?;
    pg.pause();
    pg.resume()
}

pub fn reset(db: &str) -> Result<()> {
    sql(
        db,
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();",
    )
}

/// Statements of this database run at least `min_calls` times since [`reset`].
pub fn captured(db: &str, min_calls: u64) -> Result<Vec<String>> {
    let min = i64::try_from(min_calls)?;
    let statements = "SELECT query FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND calls >= $1 AND query NOT LIKE '%pg_stat_statements%' ORDER BY queryid";
    query(db, async |c| {
        Ok(c.query(statements, &[&min])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    })
}

/// The longest execution (ms) PostgreSQL recorded for this database's statements since
/// [`reset`]: its own time, from a statement's start to its end, without any wait for the
/// client or the network.
pub fn slowest_execution(db: &str) -> Result<f64> {
    let slowest = "SELECT coalesce(max(max_exec_time), 0) FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT LIKE '%pg_stat_statements%'";
    query(db, async |c| Ok(c.query_one(slowest, &[]).await?.get(0)))
}

pub fn user_id(db: &str, username: &str) -> Result<i64> {
    let id = "SELECT id FROM users WHERE username = $1";
    query(db, async |c| {
        Ok(c.query_one(id, &[&username]).await?.get(0))
    })
}

/// Transactions per second of pgbench running `statements` (one transaction = the endpoint's
/// statements once), `$n` bound to `params[n-1]`.
pub fn pgbench(args: &Args, pg: &Postgres, statements: &[String], params: &[&str]) -> Result<f64> {
    if statements.is_empty() {
        bail!("no statement was recorded for this endpoint (is the cache off?)");
    }
    let script =
        crate::util::target_dir().join(format!("bench-pgbench-{}.sql", std::process::id()));
    let text: Vec<String> = statements.iter().map(|s| pgbench_statement(s)).collect();
    std::fs::write(&script, text.join("\n"))?;
    let mut c = std::process::Command::new("pgbench");
    c.args([
        "-n",
        "-M",
        "prepared",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-p",
        &pg.port().to_string(),
    ]);
    c.args([
        "-c",
        &args.connections.to_string(),
        "-j",
        &args.threads.to_string(),
    ]);
    c.args(["-T", &args.duration.to_string(), "-f"])
        .arg(&script);
    for (i, p) in params.iter().enumerate() {
        c.args(["-D", &format!("p{}={p}", i + 1)]);
    }
    let out = crate::util::output(c.arg(DATABASE));
    let _ = std::fs::remove_file(&script);
    let out = out?;
    parse_tps(&out).with_context(|| format!("unexpected pgbench output:\n{out}"))
}

/// `$2` becomes pgbench's variable `:p2`; one statement per line, ended by `;`.
fn pgbench_statement(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => out.push_str(":p"),
            '\n' => out.push(' '),
            _ => out.push(ch),
        }
    }
    format!("{};", out.trim_end_matches(';'))
}

fn parse_tps(out: &str) -> Option<f64> {
    let line = out.lines().find_map(|l| l.trim().strip_prefix("tps = "))?;
    line.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn pgbench_script_and_rate() {
        assert_eq!(
            super::pgbench_statement("SELECT a\n FROM t WHERE x = $1 LIMIT $12 OFFSET $2"),
            "SELECT a  FROM t WHERE x = :p1 LIMIT :p12 OFFSET :p2;"
        );
        let out = "latency average = 1.2 ms\ninitial connection time = 5.1 ms\ntps = 26543.123456 (without initial connection time)\n";
        assert_eq!(super::parse_tps(out), Some(26543.123456));
        assert_eq!(super::parse_tps("pgbench: error"), None);
    }
}
