// Fixture for `semgrep --test`: each `ruleid:` line must be reported, each `ok:` line must not.

fn handle(user: &User, body: &LoginRequest, token: &str, config: &Config) {
    // ruleid: conduit.logging.no-secrets
    tracing::info!(email = %body.user.email, password = %body.user.password, "login attempt");
    // ruleid: conduit.logging.no-secrets
    debug!("issued {}", token);
    // ruleid: conduit.logging.no-secrets
    info!("issued {token}");
    // ruleid: conduit.logging.no-secrets
    warn!(secret = ?config.jwt_secret, "config loaded");
    // ruleid: conduit.logging.no-secrets
    println!("hash: {}", user.password_hash);
    // ruleid: conduit.logging.no-secrets
    tracing::error!(
        user = %user.id,
        token = %token,
        "verification failed"
    );
    // ok: conduit.logging.no-secrets
    info!(user_id = user.id, "issued token");
    // ok: conduit.logging.no-secrets
    warn!("password too short for user {}", user.id);
    // ok: conduit.logging.no-secrets
    tracing::error!(error = %format!("{e:#}"), "request failed");
    // ok: conduit.logging.no-secrets
    debug!(has_token = body.token.is_some(), "auth header parsed");
}
