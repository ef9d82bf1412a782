//! Shared by the database access tests: an API served against a server of the test's own.

use conduit_api::startup::Application;

pub struct Served {
    pub address: String,
    pub http: reqwest::Client,
}

/// Builds and serves the API for `database_url` (no migration on start), like `main` does.
pub async fn serve(database_url: &str, overrides: &[(&str, &str)]) -> anyhow::Result<Served> {
    crate::observability::captured_logs();
    let settings = crate::helpers::settings_for(database_url, overrides);
    let app = Application::build(settings).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()?;
    Ok(Served { address, http })
}

/// A connection as the trusted `postgres` superuser, for setting the stage and looking on.
pub async fn superuser(port: u16, database: &str) -> anyhow::Result<tokio_postgres::Client> {
    let url = format!("postgres://postgres@127.0.0.1:{port}/{database}");
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

/// Writes `content` to `path` the way the kubelet updates a mounted Secret: a new file, then
/// an atomic rename, so a reader sees the old or the new content, never half of one.
pub fn replace_file(path: &std::path::Path, content: &str) -> anyhow::Result<()> {
    let staged = path.with_extension("staged");
    std::fs::write(&staged, content)?;
    std::fs::rename(&staged, path)?;
    Ok(())
}

pub fn credentials_json(username: &str, password: &str) -> String {
    serde_json::json!({"engine": "postgres", "username": username, "password": password})
        .to_string()
}
