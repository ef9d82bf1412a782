//! `conduit-api [serve|migrate]`

use clap::{Parser, Subcommand};
use conduit_api::config::{Settings, SettingsArgs};
use conduit_api::startup::Application;
use conduit_api::{db, telemetry};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "conduit-api",
    version,
    about = "Conduit (RealWorld) API server. Configured by environment variables (or the options named after them)."
)]
struct Cli {
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
}

fn main() -> ExitCode {
    conduit_api::memory::return_large_buffers();
    let cli = Cli::parse();
    telemetry::init();
    let settings = match Settings::from_args(&cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            tracing::error!(error = %e, "configuration error");
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    // OTLP trace export when OTEL_EXPORTER_OTLP_ENDPOINT is set (serve only); dropping the
    // guard at the end exports what is still queued.
    let traces = match command {
        Command::Serve => match telemetry::start_traces(settings.traces.as_ref()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("trace export: {e:#}");
                tracing::error!(error = %format!("{e:#}"), "trace export cannot start");
                return ExitCode::from(2);
            }
        },
        Command::Migrate => None,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Serve => {
                let app = Application::build(settings).await?;
                app.run_until_stopped().await?;
            }
            Command::Migrate => {
                let pool = db::pool(&settings.database)?;
                match &settings.database.runtime_credentials_file {
                    // Connected as the administrator: roles first, then migrate as the owner.
                    Some(path) => {
                        let runtime = db::credentials::Credentials::from_file(std::path::Path::new(path))?;
                        db::roles::bootstrap_and_migrate(&pool, &runtime).await?;
                        tracing::info!(login = %runtime.username, "roles bootstrapped, migrations applied");
                    }
                    None => {
                        db::migrate(&pool).await?;
                        tracing::info!("migrations applied");
                    }
                }
            }
        }
        anyhow::Ok(())
    });
    drop(traces);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "fatal");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
