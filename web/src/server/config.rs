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

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let cfg = Self {
            listen: var("CONDUIT_WEB_LISTEN", "127.0.0.1:8081"),
            admin_listen: var("CONDUIT_ADMIN_LISTEN", "127.0.0.1:9465"),
            api_url: var("CONDUIT_API_URL", "http://127.0.0.1:8080"),
            common: conduit_observability::CommonArgs::from_lookup(|k| std::env::var(k).ok())
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
pub fn enter_app_root() -> Result<(), String> {
    let has_dist = |d: &std::path::Path| d.join("dist").is_dir();
    let root = match std::env::var_os("CONDUIT_WEB_ROOT") {
        Some(r) => Some(std::path::PathBuf::from(r)),
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
