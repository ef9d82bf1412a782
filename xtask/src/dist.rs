//! `cargo xtask dist`: release artefacts in `target/dist/`: the API binary and the web
//! server with everything it serves (`target/dist/web/`).

use crate::util::{cmd, exec};
use anyhow::{Context, Result};

pub fn run() -> Result<()> {
    exec(cmd("cargo").args(["build", "--release", "--locked", "--bin", "conduit-api"]))?;
    let dist = crate::util::target_dir().join("dist");
    std::fs::create_dir_all(&dist)?;
    let target = dist.join("conduit-api");
    std::fs::copy(
        crate::util::target_dir().join("release/conduit-api"),
        &target,
    )
    .context("copying conduit-api")?;
    eprintln!("built {}", target.display());
    let web = dist.join("web");
    crate::web::build(crate::web::Engine::Release, &web)?;
    eprintln!(
        "built {} (run {}/conduit-web)",
        web.display(),
        web.display()
    );
    Ok(())
}
