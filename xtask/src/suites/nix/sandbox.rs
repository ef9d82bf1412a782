//! Runs every flake check script (nix/checks/*.sh) outside Nix through nix/tests/sandbox.sh,
//! which lays out a directory like the Nix build sandbox (read-only `$src`, fresh `$out`, no
//! HOME, no network, an unprivileged user; see there), after the rule-breaking fixtures of
//! nix/tests/sandbox-fixtures/ fail in it and the good one passes.

use crate::util::{cmd, output, which};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Runs nix/tests/sandbox.sh; its exit code (0 passed, 1 failed, 2 bad header, 77 skipped)
/// and what it printed.
fn sandbox(args: &[&str], env: &[String]) -> Result<(i32, String)> {
    let out = cmd("bash")
        .arg("nix/tests/sandbox.sh")
        .args(args)
        .args(env)
        .output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Every script runs in a derivation, and through the one helper (no inline shell checks).
fn wiring(checks_nix: &str, all_nix: &str, scripts: &[String]) -> Result<()> {
    if let Some(s) = scripts
        .iter()
        .find(|s| !all_nix.contains(&format!("checks/{s}")))
    {
        bail!("nix/checks/{s} is run by no derivation under nix/");
    }
    if checks_nix.matches("runCommand").count() != 1 {
        bail!("nix/checks.nix must call runCommand once: every check script lives in nix/checks/");
    }
    Ok(())
}

pub fn run(root: &Path) -> Result<()> {
    // In a Nix build (checks.nix-lint) each script is a check of its own (`nix develop` sets
    // NIX_BUILD_TOP as well, and IN_NIX_SHELL); the flake sees git-tracked files only.
    let in_git = output(cmd("git").args(["rev-parse", "--is-inside-work-tree"])).is_ok();
    if std::env::var_os("NIX_BUILD_TOP").is_some() && std::env::var_os("IN_NIX_SHELL").is_none()
        || !in_git
    {
        eprintln!("  SKIPPED: inside a Nix build, or not in a git checkout");
        return Ok(());
    }
    // Self-test: every `bad-*` fixture fails, `header-*` ones are refused, `good.sh` passes.
    let untracked = root.join("nix/.untracked-fixture");
    std::fs::write(&untracked, "not tracked by git\n")?;
    let mut fixtures: Vec<_> = std::fs::read_dir(root.join("nix/tests/sandbox-fixtures"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    fixtures.sort();
    let run_all = || -> Result<Vec<(i32, String)>> {
        let path = |f: &String| format!("nix/tests/sandbox-fixtures/{f}");
        fixtures.iter().map(|f| sandbox(&[&path(f)], &[])).collect()
    };
    let results = run_all();
    let _ = std::fs::remove_file(&untracked);
    for (f, (code, err)) in fixtures.iter().zip(results?) {
        let expected = if f.starts_with("bad-") {
            1
        } else if f.starts_with("header-") {
            2
        } else {
            0
        };
        match code {
            77 => eprintln!("  self-test: {f} skipped: {}", err.trim()),
            c if c != expected => {
                bail!("sandbox self-test: {f} exited {c}, expected {expected}:\n{err}")
            }
            _ => {}
        }
    }
    eprintln!(
        "  self-test: {} fixture scripts fail or pass as they must",
        fixtures.len()
    );

    let mut scripts: Vec<String> = std::fs::read_dir(root.join("nix/checks"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sh"))
        .collect();
    scripts.sort();
    let mut all_nix = String::new();
    for entry in std::fs::read_dir(root.join("nix"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "nix") {
            all_nix.push_str(&std::fs::read_to_string(path)?);
        }
    }
    let checks_nix = std::fs::read_to_string(root.join("nix/checks.nix"))?;
    if wiring("runCommand runCommand", "checks/a.sh", &["a.sh".into()]).is_ok()
        || wiring("runCommand", "", &["a.sh".into()]).is_ok()
    {
        bail!("wiring self-test: an inline check or an unused script passed");
    }
    wiring(&checks_nix, &all_nix, &scripts)?;
    // The lint nixpkgs' writeShellApplication runs on its scripts.
    if which("shellcheck").is_some() {
        let files = scripts.iter().map(|s| format!("nix/checks/{s}")).chain([
            "nix/tests/sandbox.sh".into(),
            "nix/tests/test-services-driver.sh".into(),
        ]);
        output(
            cmd("shellcheck")
                .args(["-s", "bash", "-x"])
                .args(files.collect::<Vec<_>>()),
        )
        .context("shellcheck")?;
        eprintln!(
            "  shellcheck: {} scripts and the harness clean",
            scripts.len()
        );
    } else {
        eprintln!("  SKIPPED shellcheck: not on PATH here");
    }

    // What each check's derivation provides, the way this machine can: fixture images for the
    // images Nix builds, the local provider mirror for nixpkgs' Terraform plugins.
    let dir = std::env::temp_dir().join(format!("conduit-nix-checks-{}", std::process::id()));
    let result = (|| -> Result<()> {
        output(cmd("python3").arg("nix/tests/fake_images.py").arg(&dir))?;
        std::fs::copy(root.join("nix/image-scan.py"), dir.join("image-scan.py"))?;
        let d = dir.display();
        let mut failed = Vec::new();
        for script in &scripts {
            let name = script.trim_end_matches(".sh");
            let (mut args, mut env) = (vec![], vec![]);
            match name {
                "test-services" => args.extend(["--driver", "nix/tests/test-services-driver.sh"]),
                "images-no-shell" => env.extend([
                    format!("scanner={d}/image-scan.py"),
                    format!("apiImage={d}/stream-api"),
                    format!("webImage={d}/stream-web"),
                    format!("shellControlImage={d}/stream-shell-control"),
                ]),
                "terraform" => match crate::suites::terraform::mirror::discover() {
                    Ok(mirror) => {
                        std::fs::create_dir_all(dir.join("plugin-cache"))?;
                        std::fs::write(dir.join("terraform.tfrc"), format!("provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n", mirror.display()))?;
                        env.extend([
                            format!("TF_CLI_CONFIG_FILE={d}/terraform.tfrc"),
                            format!("TF_PLUGIN_CACHE_DIR={d}/plugin-cache"),
                        ]);
                    }
                    Err(_) => {
                        eprintln!("  SKIPPED {name}: no Terraform provider mirror here (set TF_PROVIDER_MIRROR)");
                        continue;
                    }
                },
                _ => {}
            }
            output(cmd("chmod").args(["-R", "a+rwX"]).arg(&dir))?;
            let started = std::time::Instant::now();
            let path = format!("nix/checks/{script}");
            match sandbox(&[args, vec![path.as_str()]].concat(), &env)? {
                (0, _) => eprintln!("  {name}: ok ({:.1} s)", started.elapsed().as_secs_f64()),
                (77, why) => eprintln!("  SKIPPED {name}: {}", why.trim()),
                (_, why) => {
                    eprintln!("  {name}: FAILED\n{why}");
                    failed.push(name);
                }
            }
        }
        if !failed.is_empty() {
            bail!("flake check scripts that fail in a sandbox-like directory: {failed:?}");
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
