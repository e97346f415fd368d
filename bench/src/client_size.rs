//! The size of the built app (`dist/`) as a browser downloads it: WASM and JS, gzipped.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientSize {
    pub files: Vec<ClientFile>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientFile {
    pub name: String,
    pub bytes: u64,
    pub gzip_bytes: u64,
}

impl ClientSize {
    /// Measures the `.wasm` and `.js` files in `dist`; `None` when the app is not built.
    pub fn measure(dist: &Path) -> anyhow::Result<Option<Self>> {
        let Ok(entries) = std::fs::read_dir(dist) else {
            return Ok(None);
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = entry?.path();
            let wanted = path.extension().is_some_and(|e| e == "wasm" || e == "js");
            if wanted {
                let content = std::fs::read(&path)?;
                let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
                gzip.write_all(&content)?;
                files.push(ClientFile {
                    name: path
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                    bytes: content.len() as u64,
                    gzip_bytes: gzip.finish()?.len() as u64,
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((!files.is_empty()).then_some(Self { files }))
    }

    pub fn total_gzip_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.gzip_bytes).sum()
    }

    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("`{}` {} B ({} B gzipped)", f.name, f.bytes, f.gzip_bytes))
            .collect();
        format!(
            "{}; {} B gzipped in all.",
            parts.join(", "),
            self.total_gzip_bytes()
        )
    }
}
