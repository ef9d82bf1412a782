//! Builds the Perseus frontend without perseus-cli, in the steps the Nix package mirrors:
//!
//! 1. the engine (server) natively with `--cfg engine`;
//! 2. the client for `wasm32-unknown-unknown` with `--cfg client` (profile `wasm-release`:
//!    size-optimised, LTO, one codegen unit);
//! 3. wasm-bindgen (the library, pinned to the `wasm-bindgen` crate's version) into
//!    `dist/pkg/perseus_engine{.js,_bg.wasm}`, where Perseus' server expects them;
//! 4. `wasm-opt -Oz` from a current binaryen (npm `binaryen` or PATH);
//! 5. the engine's `build` operation, which writes `dist/render_conf.json` and friends.
//!
//! The result is a directory with `conduit-web`, `dist/` and `static/`: the server binary
//! runs from there (release builds change into their own directory at start-up).

use crate::util::{cargo, cmd, exec, output, root, target_dir, which};
use anyhow::{bail, ensure, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Quick to compile, for tests (the client is always size-optimised).
    Debug,
    Release,
}

/// The bundle the browser downloads, measured after the build.
pub struct BundleSize {
    pub wasm: u64,
    pub js: u64,
    pub wasm_gz: u64,
    pub js_gz: u64,
}

pub fn host_triple() -> Result<String> {
    let v = output(cmd("rustc").arg("-vV"))?;
    let host = v.lines().find_map(|l| l.strip_prefix("host: "));
    host.map(str::to_string)
        .context("rustc -vV printed no host triple")
}

/// `cargo <args> -p conduit-web` for one half (`engine`: for the host, `client`: for the
/// browser, size-optimised), with RUSTFLAGS `--cfg <half>` added to whatever the caller set
/// (the Nix build's path remapping). An explicit --target keeps these RUSTFLAGS off build
/// scripts and proc-macros, so they are shared with the API's build instead of compiled again.
pub fn half(half: &str, args: &str) -> Result<std::process::Command> {
    let target = match half {
        "engine" => host_triple()?,
        _ => "wasm32-unknown-unknown --profile wasm-release".into(),
    };
    let mut c = cargo(&format!("{args} --locked -p conduit-web --target {target}"));
    let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    c.env("RUSTFLAGS", format!("{flags} --cfg {half}").trim_start());
    Ok(c)
}

/// Builds everything into `out` (replaced), returning the bundle size.
pub fn build(engine: Engine, out: &Path) -> Result<BundleSize> {
    let (target, release) = (target_dir(), engine == Engine::Release);
    exec(&mut half(
        "engine",
        if release { "build --release" } else { "build" },
    )?)?;
    let profile = if release { "release" } else { "debug" };
    let engine_bin = target
        .join(host_triple()?)
        .join(profile)
        .join("conduit-web");
    exec(&mut half("client", "build")?)?;
    let wasm = target.join("wasm32-unknown-unknown/wasm-release/conduit-web.wasm");
    let _ = std::fs::remove_dir_all(out);
    let pkg = out.join("dist/pkg");
    std::fs::create_dir_all(pkg.join("snippets"))?;
    std::fs::create_dir_all(out.join("dist/mutable"))?;

    eprintln!("$ wasm-bindgen {} --target web", wasm.display());
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .out_name("perseus_engine")
        .typescript(false)
        .generate(&pkg)
        .context("wasm-bindgen")?;

    let bundle = pkg.join("perseus_engine_bg.wasm");
    let mut wasm_opt = cmd(wasm_opt()?);
    wasm_opt
        .arg(&bundle)
        .args(["-Oz", "--strip-debug", "--strip-producers", "-o"]);
    // Features rustc's wasm32 target enables by default; wasm-opt must accept them.
    let features = "bulk-memory nontrapping-float-to-int sign-ext reference-types multivalue";
    let features = format!("{features} mutable-globals");
    let features = features.split(' ').map(|f| format!("--enable-{f}"));
    exec(wasm_opt.arg(&bundle).args(features))?;

    crate::util::copy_tree(&root().join("web/static"), &out.join("static"), &|_| false)?;
    let server = out.join("conduit-web");
    std::fs::copy(&engine_bin, &server).context("copying the engine")?;
    exec(
        cmd(&server)
            .current_dir(out)
            .env("PERSEUS_ENGINE_OPERATION", "build"),
    )?;
    let conf = out.join("dist/render_conf.json").is_file();
    ensure!(
        conf,
        "the engine's build operation wrote no dist/render_conf.json"
    );
    let js = pkg.join("perseus_engine.js");
    let (wasm, js, wasm_gz, js_gz) = (len(&bundle)?, len(&js)?, gzipped(&bundle)?, gzipped(&js)?);
    let gz = (wasm_gz + js_gz) as f64 / 1024.0;
    let (kw, kj) = (wasm / 1024, js / 1024);
    eprintln!("web: client bundle {kw} KiB wasm + {kj} KiB js = {gz:.1} KiB gzipped (≤ 200 KB)");
    Ok(BundleSize {
        wasm,
        js,
        wasm_gz,
        js_gz,
    })
}

/// A current binaryen `wasm-opt`: `WASM_OPT`, then PATH (node_modules/.bin comes first).
/// Debian's binaryen 108 miscompiles wasm-bindgen output; refuse anything older than 116.
fn wasm_opt() -> Result<PathBuf> {
    let hint = "wasm-opt not found: run `npm ci` (package.json pins binaryen)";
    let path = std::env::var_os("WASM_OPT")
        .map(PathBuf::from)
        .or_else(|| which("wasm-opt"));
    let path = path.context(hint)?;
    let version = output(cmd(&path).arg("--version"))?;
    let number = version
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty());
    let n: u32 = number.and_then(|s| s.parse().ok()).unwrap_or(0);
    if n < 116 {
        bail!(
            "{} is binaryen {n}; the bundle needs binaryen ≥ 116 (npm ci installs one)",
            path.display()
        );
    }
    Ok(path)
}

fn len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)?.len())
}

fn gzipped(path: &Path) -> Result<u64> {
    let data = std::fs::read(path)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data)?;
    Ok(gz.finish()?.len() as u64)
}

/// Clippy on both halves and the engine's unit tests (state, rendering, the HTML hardening).
pub fn lint_and_unit_test() -> Result<()> {
    exec(half("engine", "clippy --all-targets")?.args(["--", "-D", "warnings"]))?;
    exec(half("client", "clippy")?.args(["--", "-D", "warnings"]))?;
    exec(&mut half("engine", "test")?)
}
