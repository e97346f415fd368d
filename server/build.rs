//! With the `embed-app` feature, builds trunk's `dist/` (the browser app's two builds, made
//! first by `scripts/build-app.sh`) into the binary, so that installing Nido is copying one
//! file.

fn main() {
    #[cfg(feature = "embed-app")]
    embed_app();
}

#[cfg(feature = "embed-app")]
fn embed_app() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    for page in ["index.html", "families/index.html"] {
        assert!(
            dist.join(page).is_file(),
            "the `embed-app` feature needs both builds of the browser app in {}: run \
             `scripts/build-app.sh` first",
            dist.display()
        );
    }
    memory_serve::load_directory(dist);
}
