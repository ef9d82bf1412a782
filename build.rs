//! Gzips Swagger UI's three large assets (bundle, standalone preset, CSS: 1.8 MB, 0.5 MB
//! gzipped) into `OUT_DIR` for `src/http/swagger_assets.rs`, from the same vendored archive
//! utoipa-swagger-ui embeds (utoipa-swagger-ui-vendored, whose `SWAGGER_UI_VENDORED` is the
//! zip of swagger-ui's release: juhaku/utoipa@77526812c6afd49acfb2be986e922affb76cc227
//! utoipa-swagger-ui-vendored/src/lib.rs, version 0.1.2). `.cargo/swagger-ui-overwrite` empties
//! utoipa-swagger-ui's own copies of these files.

use std::io::{Cursor, Read, Write};

/// Served by `src/http/swagger_assets.rs` (keep the two lists in step).
const ASSETS: [&str; 3] = [
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let archive = Cursor::new(utoipa_swagger_ui_vendored::SWAGGER_UI_VENDORED);
    let mut zip = zip::ZipArchive::new(archive)?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    for asset in ASSETS {
        // The archive's files are `swagger-ui-<version>/dist/<asset>`.
        let suffix = format!("/dist/{asset}");
        let Some(path) = names.iter().find(|n| n.ends_with(&suffix)) else {
            return Err(format!("{asset} is not in the vendored Swagger UI archive").into());
        };
        let mut plain = Vec::new();
        zip.by_name(path)?.read_to_end(&mut plain)?;
        // No file name and a zero mtime in the header (GzBuilder's defaults): reproducible.
        let mut gz = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::best());
        gz.write_all(&plain)?;
        std::fs::write(out.join(format!("{asset}.gz")), gz.finish()?)?;
    }
    Ok(())
}
