//! The engine's API client: request-time state functions call the API over HTTP with the
//! visitor's session cookie (and nothing else of theirs), continuing their W3C trace.

use super::Failure;
use crate::state::Viewer;
use perseus::Request;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const SESSION_COOKIE: &str = "conduit_session";

struct Client {
    http: reqwest::Client,
    base: String,
}

static CLIENT: OnceLock<Client> = OnceLock::new();

/// Sets the API base URL (`CONDUIT_API_URL`) once at start-up.
pub fn init(base: &str) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let base = base.trim_end_matches('/').to_string();
    CLIENT
        .set(Client { http, base })
        .map_err(|_| "the API client is already configured".to_string())
}

/// The parts of a page request that API calls carry on: the session and the trace.
#[derive(Clone, Default)]
pub struct Caller {
    session: Option<String>,
    traceparent: Option<String>,
}

impl Caller {
    pub fn from_request(req: &Request) -> Self {
        let session = req
            .headers()
            .get_all(perseus::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())
            .filter(|v| !v.is_empty());
        let traceparent = req
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Self {
            session,
            traceparent,
        }
    }

    pub fn signed_in(&self) -> bool {
        self.session.is_some()
    }

    /// `GET {api}/api{path}`, decoded; `operation` names the call in metrics. A session the
    /// API no longer accepts (expired, revoked) is dropped and the call repeated anonymously,
    /// so a stale cookie shows public pages signed out instead of failing them.
    pub async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
    ) -> Result<T, Failure> {
        match self.get_once(operation, path, true).await {
            Err(f) if f.status == 401 && self.signed_in() => {
                self.get_once(operation, path, false).await
            }
            other => other,
        }
    }

    async fn get_once<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        with_session: bool,
    ) -> Result<T, Failure> {
        let Some(c) = CLIENT.get() else {
            return Err(Failure::network("the API client is not configured"));
        };
        let mut req = c.http.get(format!("{}/api{path}", c.base));
        if let (true, Some(s)) = (with_session, &self.session) {
            req = req.header(reqwest::header::COOKIE, format!("{SESSION_COOKIE}={s}"));
        }
        if let Some(t) = &self.traceparent {
            req = req.header("traceparent", t);
        }
        let started = Instant::now();
        let res = req.send().await;
        let status = res.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
        // Details (internal addresses) go to the log, never into the page.
        let outcome = match res {
            Err(e) => {
                tracing::warn!(operation, error = %e, "the API is unreachable");
                Err(Failure::network("the API is unreachable"))
            }
            Ok(res) if res.status().is_success() => res.json::<T>().await.map_err(|e| {
                tracing::warn!(operation, error = %e, "unexpected API answer");
                Failure::network("unexpected API answer")
            }),
            Ok(res) => {
                let body = res.text().await.unwrap_or_default();
                Err(Failure::from_body(status, &body))
            }
        };
        crate::server::metrics::api_call(operation, status, started.elapsed());
        outcome
    }

    /// The signed-in user, or `None` when there is no session or it is no longer valid.
    /// Anything else (API down) also renders the page signed out rather than failing it.
    pub async fn viewer(&self) -> Option<Viewer> {
        if !self.signed_in() {
            return None;
        }
        match self
            .get::<conduit_types::UserResponse>("current_user", "/user")
            .await
        {
            Ok(r) => Some(Viewer {
                username: r.user.username,
                image: r.user.image,
            }),
            Err(f) => {
                if f.status != 401 {
                    tracing::warn!(error = %f, "could not load the signed-in user");
                }
                None
            }
        }
    }
}

/// The page error for "there is nothing at this address".
pub fn not_found() -> perseus::prelude::BlamedError<Failure> {
    blame(Failure {
        status: 404,
        messages: vec!["not found".into()],
    })
}

/// Maps an API failure to the page error Perseus renders: the API's 404 is the visitor's
/// 404, everything else is ours (a 502/503 page, logged).
pub fn blame(f: Failure) -> perseus::prelude::BlamedError<Failure> {
    use perseus::prelude::{BlamedError, ErrorBlame};
    let blame = match f.status {
        404 => ErrorBlame::Client(Some(404)),
        0 | 429 | 503 => ErrorBlame::Server(Some(503)),
        _ => ErrorBlame::Server(Some(502)),
    };
    if !matches!(blame, ErrorBlame::Client(_)) {
        tracing::error!(error = %f, "API call for a page failed");
    }
    BlamedError { error: f, blame }
}
