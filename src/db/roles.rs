//! Least-privilege database roles, created by `conduit-api migrate` before it migrates.
//!
//! - `conduit_owner` (NOLOGIN) owns the schema and every table; migrations run as it through
//!   `SET ROLE`, so the connecting administrator (the RDS master user) lends only its session.
//! - `conduit_app` (NOLOGIN) holds the runtime's rights: DML on the app's tables and use of
//!   their sequences, also for tables future migrations create (default privileges). It can
//!   neither create, alter nor drop anything, nor read the migration history.
//! - The login role the API uses is named in the runtime credentials file and is a member of
//!   `conduit_app`. AWS's alternating-users rotation later adds `<name>_clone` as a member of
//!   it and flips the secret between the two, so the rights follow without another bootstrap.
//!
//! Every step is idempotent: the Job runs it on every release. It works as a non-superuser
//! with CREATEROLE that owns the database (RDS's master user), which the tests check.

use super::credentials::Credentials;
use anyhow::{bail, Context};
use deadpool_postgres::Pool;

pub const OWNER_ROLE: &str = "conduit_owner";
pub const RUNTIME_ROLE: &str = "conduit_app";

/// Creates or updates the roles, migrates as the owner role, then grants the runtime role its
/// rights on what exists. `runtime_login` is the login role the API will use.
pub async fn bootstrap_and_migrate(pool: &Pool, runtime_login: &Credentials) -> anyhow::Result<()> {
    let login = checked_role_name(&runtime_login.username)?;
    let mut client = pool
        .get()
        .await
        .context("connecting to PostgreSQL as the administrator to bootstrap roles")?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&super::MIGRATION_LOCK])
        .await?;
    let result = async {
        bootstrap(&client, &login, runtime_login.password()).await?;
        client
            .batch_execute(&format!("SET ROLE {OWNER_ROLE}"))
            .await?;
        let client_ref: &mut tokio_postgres::Client = &mut client;
        super::run_migrations(client_ref).await?;
        client.batch_execute("RESET ROLE").await?;
        grant_runtime(&client).await
    }
    .await;
    // A failed step may leave the session in the owner role; the unlock does not care.
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&super::MIGRATION_LOCK])
        .await?;
    result
}

async fn bootstrap(
    client: &tokio_postgres::Client,
    login: &str,
    password: &str,
) -> anyhow::Result<()> {
    // DDL takes no parameters: only the compile-time role-name constants are formatted in.
    client
        // nosemgrep: semgrep.conduit.sql.no-interpolated-values
        .batch_execute(&format!(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                 CREATE ROLE {OWNER_ROLE} NOLOGIN;
               END IF;
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME_ROLE}') THEN
                 CREATE ROLE {RUNTIME_ROLE} NOLOGIN;
               END IF;
             END $$;
             ALTER ROLE {OWNER_ROLE} NOLOGIN;
             ALTER ROLE {RUNTIME_ROLE} NOLOGIN;"
        ))
        .await
        .context("creating the owner and runtime roles")?;
    // Only a superuser can change these attributes, so refuse instead of trying to fix them.
    let powerful: Vec<String> = client
        .query(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY($1)
               AND (rolsuper OR rolreplication OR rolbypassrls OR rolcreaterole OR rolcreatedb)",
            &[&vec![OWNER_ROLE, RUNTIME_ROLE, login]],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if !powerful.is_empty() {
        bail!("roles {powerful:?} hold SUPERUSER, REPLICATION, BYPASSRLS, CREATEROLE or CREATEDB; remove them by hand");
    }
    // The administrator must be a member of the owner role to `SET ROLE` and hand it objects.
    client
        // nosemgrep: semgrep.conduit.sql.no-interpolated-values (constant role names in DDL)
        .batch_execute(&format!(
            "GRANT {OWNER_ROLE} TO CURRENT_USER;
             ALTER SCHEMA public OWNER TO {OWNER_ROLE};
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;
             GRANT USAGE ON SCHEMA public TO {RUNTIME_ROLE};
             DO $$ BEGIN
               EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
               EXECUTE format('GRANT CONNECT ON DATABASE %I TO {RUNTIME_ROLE}', current_database());
             END $$;
             DO $$ DECLARE r record; BEGIN
               FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                           AND c.relowner <> '{OWNER_ROLE}'::regrole
               LOOP
                 EXECUTE format('ALTER TABLE %s OWNER TO {OWNER_ROLE}', r.name);
               END LOOP;
             END $$;
             ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER_ROLE} IN SCHEMA public
               GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {RUNTIME_ROLE};
             ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER_ROLE} IN SCHEMA public
               GRANT USAGE ON SEQUENCES TO {RUNTIME_ROLE};"
        ))
        .await
        .context("granting the schema to the owner role")?;
    // Only a SCRAM verifier, computed here, reaches the server: `log_statement = ddl` writes
    // this statement to the log, and the password itself must not be in it.
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    if !verifier
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'\'' && b != b'\\')
    {
        bail!("unexpected characters in the SCRAM verifier");
    }
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&login])
        .await?
        .is_some();
    let verb = if exists { "ALTER" } else { "CREATE" };
    client
        .batch_execute(&format!(
            "{verb} ROLE \"{login}\" LOGIN PASSWORD '{verifier}';
             GRANT {RUNTIME_ROLE} TO \"{login}\";"
        ))
        .await
        .with_context(|| format!("creating or updating the login role {login}"))?;
    Ok(())
}

/// Rights on the objects that exist now (default privileges cover later ones, and objects a
/// pre-role release created as another user); the migration history stays the owner's.
async fn grant_runtime(client: &tokio_postgres::Client) -> anyhow::Result<()> {
    client
        .batch_execute(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {RUNTIME_ROLE};
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {RUNTIME_ROLE};
             REVOKE ALL ON TABLE refinery_schema_history FROM {RUNTIME_ROLE};"
        ))
        .await
        .context("granting the runtime role its rights")
}

/// A plain lower-case identifier, so it can be quoted without escaping, and not one of ours.
fn checked_role_name(name: &str) -> anyhow::Result<String> {
    let plain = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !plain || name.starts_with("pg_") || name == OWNER_ROLE || name == RUNTIME_ROLE {
        bail!("runtime login role `{name}`: use lower-case letters, digits and '_' (not pg_*, {OWNER_ROLE} or {RUNTIME_ROLE})");
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_role_names_are_plain_identifiers() {
        for ok in ["conduit_app_login", "conduit_app_login_clone", "_x1"] {
            assert!(checked_role_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Conduit",
            "a\"b",
            "a b",
            "pg_monitor",
            OWNER_ROLE,
            RUNTIME_ROLE,
            "1a",
        ] {
            assert!(checked_role_name(bad).is_err(), "{bad}");
        }
        assert!(checked_role_name(&"a".repeat(64)).is_err());
    }
}
