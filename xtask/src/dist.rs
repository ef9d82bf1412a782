//! `cargo xtask dist [api|web]`: release artefacts in `target/dist/`: the API binary
//! (`target/dist/conduit-api`) and the web server with everything it serves
//! (`target/dist/web/`, run `target/dist/web/conduit-web` from any directory).

use crate::util::{cmd, exec, target_dir};
use anyhow::{Context, Result};

pub fn run(only: Option<&str>) -> Result<()> {
    let dist = target_dir().join("dist");
    std::fs::create_dir_all(&dist)?;
    if only != Some("web") {
        exec(cmd("cargo").args(["build", "--release", "--locked", "--bin", "conduit-api"]))?;
        let api = dist.join("conduit-api");
        std::fs::copy(target_dir().join("release/conduit-api"), &api)
            .context("copying conduit-api")?;
        eprintln!("built {}", api.display());
    }
    if only != Some("api") {
        let web = dist.join("web");
        crate::web::build(crate::web::Engine::Release, &web)?;
        eprintln!("built {}", web.join("conduit-web").display());
    }
    Ok(())
}
