//! The Kubernetes manifests and the API agree on database access: every file the API is told
//! to read (`CONDUIT_DB_CA_FILE`, `CONDUIT_DB_CREDENTIALS_FILE`,
//! `CONDUIT_DB_RUNTIME_CREDENTIALS_FILE`) is a key of a volume mounted read-only at that
//! directory, the volume's ConfigMap is the generated RDS CA bundle or its Secret is an
//! ExternalSecret's target with that key, `DATABASE_URL` verifies TLS fully and carries no
//! credentials, and the API's settings load from what the manifests set. Checked on the
//! committed manifests, and on fixtures that drop a mount or misplace a file, which it must
//! reject.

use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::Path;

const FILE_VARS: [&str; 3] = [
    "CONDUIT_DB_CA_FILE",
    "CONDUIT_DB_CREDENTIALS_FILE",
    "CONDUIT_DB_RUNTIME_CREDENTIALS_FILE",
];

fn docs(rel: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("kustomize/apps/conduit/base")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde_yaml::with::singleton_map_recursive::deserialize(d).expect("YAML"))
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} not found"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// What volumes may hold: generated ConfigMaps and ExternalSecret targets, with their keys.
struct Sources {
    config_maps: BTreeMap<String, Vec<String>>,
    secrets: BTreeMap<String, Vec<String>>,
}

fn sources() -> Sources {
    let mut config_maps = BTreeMap::new();
    for doc in docs("rds-ca/kustomization.yaml") {
        for generator in doc["configMapGenerator"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            let keys = generator["files"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|f| s(f).rsplit('/').next().unwrap_or_default().to_string())
                .collect();
            config_maps.insert(s(&generator["name"]).to_string(), keys);
        }
    }
    let mut secrets = BTreeMap::new();
    for doc in docs("externalsecret.yaml")
        .into_iter()
        .chain(docs("migrate/job.yaml"))
    {
        if doc["kind"] != "ExternalSecret" {
            continue;
        }
        let mut keys: Vec<String> = doc["spec"]["data"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|d| s(&d["secretKey"]).to_string())
            .collect();
        // A template replaces the data keys with its own.
        if let Some(template) = doc["spec"]["target"]["template"]["data"].as_mapping() {
            keys = template.keys().map(|k| s(k).to_string()).collect();
        }
        secrets.insert(s(&doc["spec"]["target"]["name"]).to_string(), keys);
    }
    Sources {
        config_maps,
        secrets,
    }
}

/// Problems of one pod: `env` is what its first container sees.
fn pod_problems(pod: &Value, env: &BTreeMap<String, String>, sources: &Sources) -> Vec<String> {
    let mut problems = Vec::new();
    let container = &pod["containers"][0];
    for var in FILE_VARS {
        let Some(path) = env.get(var) else { continue };
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
        let Some(mount) = container["volumeMounts"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|m| s(&m["mountPath"]) == dir)
        else {
            problems.push(format!("{var}={path}: nothing is mounted at {dir}"));
            continue;
        };
        if mount["readOnly"] != true {
            problems.push(format!("{var}: the mount at {dir} is not read-only"));
        }
        let volume = pod["volumes"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|v| v["name"] == mount["name"]);
        let Some(volume) = volume else {
            problems.push(format!("{var}: volume {:?} is not defined", mount["name"]));
            continue;
        };
        let (source, name, keys) = if volume["configMap"].is_mapping() {
            let name = s(&volume["configMap"]["name"]);
            ("ConfigMap", name, sources.config_maps.get(name))
        } else if volume["secret"].is_mapping() {
            let name = s(&volume["secret"]["secretName"]);
            ("Secret", name, sources.secrets.get(name))
        } else {
            problems.push(format!(
                "{var}: volume at {dir} is neither a ConfigMap nor a Secret"
            ));
            continue;
        };
        let Some(keys) = keys else {
            problems.push(format!("{var}: {source} {name} is not generated here"));
            continue;
        };
        let items = volume["configMap"]["items"]
            .as_sequence()
            .or(volume["secret"]["items"].as_sequence());
        let key = match items {
            Some(items) => items
                .iter()
                .find(|i| s(&i["path"]) == file)
                .map(|i| s(&i["key"]).to_string()),
            None => Some(file.to_string()),
        };
        match key {
            Some(k) if keys.contains(&k) => {}
            _ => problems.push(format!(
                "{var}: {source} {name} has no key for {file} (keys {keys:?})"
            )),
        }
    }
    for required in ["CONDUIT_DB_CA_FILE", "CONDUIT_DB_CREDENTIALS_FILE"] {
        if !env.contains_key(required) {
            problems.push(format!("{required} is not set"));
        }
    }
    match env.get("DATABASE_URL") {
        None => problems.push("DATABASE_URL is not set".into()),
        Some(url) => {
            if !url.contains("sslmode=verify-full") {
                problems.push(format!(
                    "DATABASE_URL {url} does not say sslmode=verify-full"
                ));
            }
            let concrete = url.replace("${DB_HOST}", "conduit.abc.eu-west-1.rds.amazonaws.com");
            match conduit_api::db::tls::parse_url(&concrete) {
                Ok(c) if c.get_user().is_some() || c.get_password().is_some() => {
                    problems.push("DATABASE_URL carries credentials".into())
                }
                Ok(_) => {}
                Err(e) => problems.push(format!("DATABASE_URL: {e:#}")),
            }
        }
    }
    // The API's own parser accepts the settings (secrets from env stubbed).
    let lookup = |k: &str| match k {
        "CONDUIT_JWT_SECRET" => Some("x".repeat(48)),
        _ => env.get(k).map(|v| v.replace("${DB_HOST}", "db.example")),
    };
    if let Err(e) = conduit_api::config::Settings::from_lookup(lookup) {
        problems.push(format!("the API rejects these settings: {e}"));
    }
    problems
}

fn api() -> (Value, BTreeMap<String, String>) {
    let deployment = find(&docs("api.yaml"), "Deployment", "conduit-api").clone();
    let config = find(&docs("configmaps.yaml"), "ConfigMap", "conduit-api").clone();
    let env = config["data"]
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(k, v)| (s(k).to_string(), s(v).to_string()))
        .collect();
    (deployment["spec"]["template"]["spec"].clone(), env)
}

fn job() -> (Value, BTreeMap<String, String>) {
    let job = find(&docs("migrate/job.yaml"), "Job", "conduit-migrate").clone();
    let pod = job["spec"]["template"]["spec"].clone();
    let env = pod["containers"][0]["env"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|e| (s(&e["name"]).to_string(), s(&e["value"]).to_string()))
        .collect();
    (pod, env)
}

#[test]
fn api_and_migration_job_mount_what_the_api_reads() {
    let sources = sources();
    let (pod, env) = api();
    assert_eq!(
        pod_problems(&pod, &env, &sources),
        Vec::<String>::new(),
        "API"
    );
    assert_eq!(
        env.get("CONDUIT_MIGRATE_ON_START").map(String::as_str),
        Some("false"),
        "the runtime role cannot migrate: the API must not try"
    );
    assert!(!sources.secrets["conduit-api"].contains(&"DATABASE_URL".to_string()));
    let (pod, env) = job();
    assert_eq!(
        pod_problems(&pod, &env, &sources),
        Vec::<String>::new(),
        "migration Job"
    );
    assert!(
        env.contains_key("CONDUIT_DB_RUNTIME_CREDENTIALS_FILE"),
        "the Job bootstraps the roles"
    );
}

#[test]
fn the_check_rejects_a_missing_mount_a_misplaced_file_and_a_url_with_credentials() {
    let sources = sources();
    let (pod, env) = api();

    let mut no_ca = pod.clone();
    if let Some(mounts) = no_ca["containers"][0]["volumeMounts"].as_sequence_mut() {
        mounts.retain(|m| m["name"] != "rds-ca");
    }
    let problems = pod_problems(&no_ca, &env, &sources);
    assert!(
        problems.iter().any(|p| p.contains("nothing is mounted")),
        "{problems:?}"
    );

    let mut misplaced = env.clone();
    misplaced.insert(
        "CONDUIT_DB_CREDENTIALS_FILE".into(),
        "/etc/conduit/db/password".into(),
    );
    let problems = pod_problems(&pod, &misplaced, &sources);
    assert!(
        problems.iter().any(|p| p.contains("has no key")),
        "{problems:?}"
    );

    let mut with_password = env.clone();
    with_password.insert(
        "DATABASE_URL".into(),
        "postgres://u:p@${DB_HOST}:5432/conduit?sslmode=require".into(),
    );
    let problems = pod_problems(&pod, &with_password, &sources);
    assert!(
        problems.iter().any(|p| p.contains("verify-full")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("credentials")),
        "{problems:?}"
    );

    let (job_pod, mut job_env) = job();
    job_env.remove("CONDUIT_DB_CA_FILE");
    let problems = pod_problems(&job_pod, &job_env, &sources);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("CONDUIT_DB_CA_FILE is not set")),
        "{problems:?}"
    );
}
