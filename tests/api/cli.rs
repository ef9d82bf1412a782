use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_conduit-api");

#[test]
fn help_lists_the_subcommands() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("serve") && text.contains("migrate"), "{text}");
}

#[test]
fn production_refuses_to_start_without_a_key_and_names_the_variable() {
    let out = Command::new(BIN)
        .env_clear()
        .env("CONDUIT_ENV", "production")
        .env("DATABASE_URL", "postgres://u@127.0.0.1:1/db")
        .env("CONDUIT_JWT_SECRET", "too-short-secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CONDUIT_JWT_SECRET"), "{err}");
    assert!(
        !err.contains("too-short-secret"),
        "the secret must not be printed"
    );
}

#[test]
fn migrate_applies_the_schema_and_is_idempotent() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(crate::helpers::fresh_database());
    for _ in 0..2 {
        let out = Command::new(BIN)
            .arg("migrate")
            .env("DATABASE_URL", &db.url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
