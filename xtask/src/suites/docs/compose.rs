//! The properties `compose.yaml` promises beyond what the Compose schema can say: non-root
//! users, read-only root file systems, no capabilities, only the web port published (on
//! loopback), health checks where the image has something to run them with, the migrate step
//! before the API, secrets only through variables from `.env`, and image tags that follow the
//! version the Nix images are tagged with.

use serde_yaml::Value;
use std::collections::BTreeSet;

pub const SERVICES: &[&str] = &["postgres", "redis", "migrate", "api", "web"];
/// Services whose images have a shell and a client to probe themselves with.
const HEALTH_CHECKED: &[&str] = &["postgres", "redis"];
/// Environment variables that carry credentials: their values must come from `.env`.
const SECRET_VARS: &[&str] = &[
    "POSTGRES_PASSWORD",
    "REDISCLI_AUTH",
    "DATABASE_URL",
    "REDIS_URL",
    "CONDUIT_JWT_SECRET",
];

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_mapping()?.get(Value::String(key.to_string()))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// The `${NAME...}` variables a string interpolates.
pub fn variables(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        let tail = &rest[i + 2..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

/// Every rule broken by `compose` (empty: all good). `version` is the root Cargo.toml version.
pub fn problems(compose: &Value, version: &str) -> Vec<String> {
    let mut p = vec![];
    let Some(services) = get(compose, "services").and_then(Value::as_mapping) else {
        return vec!["no `services`".into()];
    };
    let names: BTreeSet<&str> = services.keys().filter_map(Value::as_str).collect();
    let wanted: BTreeSet<&str> = SERVICES.iter().copied().collect();
    if names != wanted {
        p.push(format!("services are {names:?}, expected {wanted:?}"));
    }
    for (name, svc) in services {
        let name = name.as_str().unwrap_or("?");
        let user = get(svc, "user").and_then(Value::as_str).unwrap_or("");
        let uid = user.split(':').next().unwrap_or("");
        if uid.is_empty() || uid == "0" || uid == "root" || uid.parse::<u32>().is_err() {
            p.push(format!(
                "{name}: `user` must be a numeric non-root uid, is {user:?}"
            ));
        }
        if get(svc, "read_only").and_then(Value::as_bool) != Some(true) {
            p.push(format!("{name}: `read_only: true` missing"));
        }
        if !strings(get(svc, "cap_drop")).iter().any(|c| c == "ALL") {
            p.push(format!("{name}: `cap_drop: [ALL]` missing"));
        }
        if get(svc, "cap_add").is_some()
            || get(svc, "privileged").and_then(Value::as_bool) == Some(true)
        {
            p.push(format!("{name}: adds capabilities or runs privileged"));
        }
        if !strings(get(svc, "security_opt"))
            .iter()
            .any(|o| o == "no-new-privileges:true")
        {
            p.push(format!(
                "{name}: `security_opt: [no-new-privileges:true]` missing"
            ));
        }
        for key in ["network_mode", "pid", "ipc"] {
            if get(svc, key)
                .and_then(Value::as_str)
                .is_some_and(|v| v == "host")
            {
                p.push(format!("{name}: `{key}: host`"));
            }
        }
        let ports = strings(get(svc, "ports"));
        if name == "web" {
            if ports != ["127.0.0.1:8081:8081"] {
                p.push(format!(
                    "web: must publish exactly 127.0.0.1:8081:8081, publishes {ports:?}"
                ));
            }
        } else if get(svc, "ports").is_some() {
            p.push(format!("{name}: publishes ports; only web may"));
        }
        let has_check = get(svc, "healthcheck")
            .and_then(|h| get(h, "test"))
            .is_some();
        if HEALTH_CHECKED.contains(&name) && !has_check {
            p.push(format!("{name}: health check missing"));
        }
        // Environment: credentials only through ${VARIABLES} (from .env), never literal.
        if let Some(env) = get(svc, "environment").and_then(Value::as_mapping) {
            for (k, v) in env {
                let k = k.as_str().unwrap_or("");
                let v = v.as_str().unwrap_or("");
                if SECRET_VARS.contains(&k) && variables(v).is_empty() {
                    p.push(format!("{name}: {k} is a literal; it must come from .env"));
                }
            }
        } else if get(svc, "environment").is_some() {
            p.push(format!("{name}: write `environment` as a mapping"));
        }
        let networks = strings(get(svc, "networks"));
        if name != "web" && networks != ["backend"] {
            p.push(format!(
                "{name}: must be on the internal `backend` network only, is on {networks:?}"
            ));
        }
    }
    // Images: the official PostgreSQL 15 and Redis 7, and the Nix images at the crate version.
    let image = |s: &str| {
        get(&services[&Value::String(s.into())], "image")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if names == wanted {
        if !image("postgres").contains("/postgres:15") {
            p.push(format!(
                "postgres: image {:?} is not PostgreSQL 15",
                image("postgres")
            ));
        }
        if !image("redis").contains("/redis:7") {
            p.push(format!("redis: image {:?} is not Redis 7", image("redis")));
        }
        for (svc, repo) in [("migrate", "api"), ("api", "api"), ("web", "web")] {
            let want = format!(":-{repo}:{version}}}");
            if !image(svc).ends_with(&want) {
                p.push(format!(
                    "{svc}: image {:?} must default to {repo}:{version} (the Nix image tag)",
                    image(svc)
                ));
            }
        }
        let svc = |s: &str| &services[&Value::String(s.into())];
        if strings(get(svc("migrate"), "command")) != ["migrate"] {
            p.push("migrate: command must be [migrate]".into());
        }
        let cond = |s: &str, dep: &str| {
            get(svc(s), "depends_on")
                .and_then(|d| get(d, dep))
                .and_then(|d| get(d, "condition"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        for (s, dep, want) in [
            ("migrate", "postgres", "service_healthy"),
            ("api", "migrate", "service_completed_successfully"),
            ("api", "postgres", "service_healthy"),
            ("api", "redis", "service_healthy"),
            ("web", "api", "service_started"),
        ] {
            if cond(s, dep) != want {
                p.push(format!("{s}: depends_on {dep} must be `condition: {want}`"));
            }
        }
    }
    let internal = get(compose, "networks")
        .and_then(|n| get(n, "backend"))
        .and_then(|b| get(b, "internal"))
        .and_then(Value::as_bool);
    if internal != Some(true) {
        p.push("networks.backend must be `internal: true`".into());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_variables_of_a_string() {
        assert_eq!(
            variables("postgres://u:${A:?x}@h/${B_2}"),
            vec!["A".to_string(), "B_2".to_string()]
        );
        assert!(variables("literal").is_empty());
    }

    #[test]
    fn an_empty_file_breaks_the_rules() {
        assert!(!problems(&Value::Null, "0.1.0").is_empty());
    }
}
