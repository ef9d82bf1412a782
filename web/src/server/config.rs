//! Settings from the environment, with local-development defaults.

pub struct Config {
    /// `CONDUIT_WEB_LISTEN`, default `127.0.0.1:8081`.
    pub listen: String,
    /// `CONDUIT_ADMIN_LISTEN` (metrics), default `127.0.0.1:9465` so it never clashes with
    /// the API's admin port on one machine; containers set `0.0.0.0:9464`.
    pub admin_listen: String,
    /// `CONDUIT_API_URL`, default `http://127.0.0.1:8080`.
    pub api_url: String,
    /// `CONDUIT_BEHIND_TLS` and the `OTEL_*` trace export, read exactly as the API reads them.
    pub common: conduit_observability::config::Common,
}

/// Every variable of the web server, declared once: `conduit-web --help` lists them
/// (docs/configuration.md is checked against it).
#[derive(clap::Parser, Debug)]
#[command(
    name = "conduit-web",
    version,
    about = "Conduit (RealWorld) web server. Configured by environment variables (or the options named after them)."
)]
pub struct WebArgs {
    /// Public listener, ip:port.
    #[arg(long, env = "CONDUIT_WEB_LISTEN", default_value = "127.0.0.1:8081")]
    pub listen: String,
    /// Admin listener (/metrics, /healthz), ip:port; not the API's local default, so both run
    /// on one machine.
    #[arg(long, env = "CONDUIT_ADMIN_LISTEN", default_value = "127.0.0.1:9465")]
    pub admin_listen: String,
    /// The API, for server-side rendering and the /api forward (http:// only).
    #[arg(long, env = "CONDUIT_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api_url: String,
    /// The directory with the built dist/ and static/ (default: the binary's directory, else
    /// ../share/conduit-web beside it).
    #[arg(long, env = "CONDUIT_WEB_ROOT")]
    pub web_root: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub common: conduit_observability::CommonArgs,
}

impl Config {
    pub fn from_args(args: &WebArgs) -> Result<Self, String> {
        let cfg = Self {
            listen: args.listen.clone(),
            admin_listen: args.admin_listen.clone(),
            api_url: args.api_url.clone(),
            common: args
                .common
                .validate("conduit-web")
                .map_err(|e| e.to_string())?,
        };
        for (name, addr) in [
            ("CONDUIT_WEB_LISTEN", &cfg.listen),
            ("CONDUIT_ADMIN_LISTEN", &cfg.admin_listen),
        ] {
            addr.parse::<std::net::SocketAddr>()
                .map_err(|e| format!("{name}={addr:?} is not an ip:port address: {e}"))?;
        }
        if !cfg.api_url.starts_with("http://") {
            return Err(format!(
                "CONDUIT_API_URL={:?} must be an http:// URL (the API is reached inside the cluster or on loopback)",
                cfg.api_url
            ));
        }
        Ok(cfg)
    }
}

/// JSON log lines on stdout, as the API writes them; `RUST_LOG` sets the levels (default:
/// info for this crate, warnings for libraries).
pub fn init_logging() {
    conduit_observability::logs::init("conduit_web");
}

/// Perseus reads `dist/` and `static/` relative to the working directory. Make that the
/// app's directory whatever the caller's is: `CONDUIT_WEB_ROOT`, else the binary's directory
/// (`cargo xtask dist`), else `../share/conduit-web` beside it (the Nix package), else stay.
pub fn enter_app_root(web_root: Option<&std::path::Path>) -> Result<(), String> {
    let has_dist = |d: &std::path::Path| d.join("dist").is_dir();
    let root = match web_root {
        Some(r) => Some(r.to_path_buf()),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf))
            .and_then(|bin| {
                [bin.clone(), bin.join("../share/conduit-web")]
                    .into_iter()
                    .find(|d| has_dist(d))
            }),
    };
    if let Some(root) = root {
        std::env::set_current_dir(&root)
            .map_err(|e| format!("entering {}: {e}", root.display()))?;
    }
    Ok(())
}
