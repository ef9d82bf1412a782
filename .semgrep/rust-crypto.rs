// Fixture for `semgrep --test`: each `ruleid:` line must be reported, each `ok:` line must not.

fn keys(secret: &[u8]) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    // ruleid: conduit.jwt.no-disabled-validation
    validation.insecure_disable_signature_validation();
    // ruleid: conduit.jwt.no-disabled-validation
    validation.validate_exp = false;
    // ok: conduit.jwt.no-disabled-validation
    validation.validate_exp = true;
    // ok: conduit.jwt.no-disabled-validation
    validation.leeway = 0;
    validation
}

fn clients() {
    // ruleid: conduit.tls.no-disabled-verification
    let http = reqwest::Client::builder().danger_accept_invalid_certs(true).build();
    // ok: conduit.tls.no-disabled-verification
    let http = reqwest::Client::builder().https_only(true).build();
    // ruleid: conduit.tls.no-disabled-verification
    let tls = ClientConfig::builder().dangerous().with_custom_certificate_verifier(Arc::new(NoVerify));
    // ok: conduit.tls.no-disabled-verification
    let tls = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
}

fn cors(origins: &[String]) {
    // ruleid: conduit.cors.no-permissive
    let c = actix_cors::Cors::permissive();
    // ruleid: conduit.cors.no-permissive
    let c = Cors::default().allow_any_origin();
    // ok: conduit.cors.no-permissive
    let c = origins.iter().fold(Cors::default(), |c, o| c.allowed_origin(o));
}
