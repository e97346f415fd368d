//! The size of the app a parent's phone loads (the families' build, `dist/families/`) as the
//! server sends it: WASM and JS, compressed with brotli as the release binary compresses
//! them (quality 11, a 4 MiB window). The e2e test `app_download` measures the same files
//! in Chromium.

use std::io::Write;
use std::path::Path;

use nido_shared::app_build::FAMILIES_BUILD_PATH;

/// The release binary's brotli settings (memory-serve's).
const QUALITY: u32 = 11;
const WINDOW_BITS: u32 = 22;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientSize {
    pub files: Vec<ClientFile>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientFile {
    pub name: String,
    pub bytes: u64,
    pub brotli_bytes: u64,
}

impl ClientSize {
    /// Measures the `.wasm` and `.js` files of the families' build in `dist`; `None` when
    /// the app is not built.
    pub fn measure(dist: &Path) -> anyhow::Result<Option<Self>> {
        let build = dist.join(FAMILIES_BUILD_PATH.trim_matches('/'));
        let Ok(entries) = std::fs::read_dir(build) else {
            return Ok(None);
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = entry?.path();
            let wanted = path.extension().is_some_and(|e| e == "wasm" || e == "js");
            if wanted {
                let content = std::fs::read(&path)?;
                files.push(ClientFile {
                    name: path
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                    bytes: content.len() as u64,
                    brotli_bytes: brotli_len(&content)?,
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((!files.is_empty()).then_some(Self { files }))
    }

    pub fn total_brotli_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.brotli_bytes).sum()
    }

    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("`{}` {} B ({} B brotli)", f.name, f.bytes, f.brotli_bytes))
            .collect();
        format!(
            "The families' build: {}; {} B brotli in all.",
            parts.join(", "),
            self.total_brotli_bytes()
        )
    }
}

fn brotli_len(content: &[u8]) -> std::io::Result<u64> {
    let mut writer = brotli::CompressorWriter::new(Vec::new(), 4096, QUALITY, WINDOW_BITS);
    writer.write_all(content)?;
    Ok(writer.into_inner().len() as u64)
}
