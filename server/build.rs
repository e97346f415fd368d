//! With the `embed-app` feature, builds trunk's `dist/` (the browser app, built first) into
//! the binary, so that installing Nido is copying one file.

fn main() {
    #[cfg(feature = "embed-app")]
    embed_app();
}

#[cfg(feature = "embed-app")]
fn embed_app() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    assert!(
        dist.join("index.html").is_file(),
        "the `embed-app` feature needs the browser app built at {}: run `trunk build --release` first",
        dist.display()
    );
    memory_serve::load_directory(dist);
}
