//! The app's two builds as built for release (wasm-opt from binaryen 132): each one's
//! externref table is exported as an externref table, and each starts in Chromium from the
//! pages it is served for. Binaryen before 110 exported every table as table 0, which pointed
//! wasm-bindgen's externref table at the function table, and the app died at start
//! ("WebAssembly.Table.set(): Argument 1 is invalid").

use std::path::Path;

use nido_e2e::*;
use wasmparser::{ExternalKind, Parser, Payload, RefType, TypeRef};

/// The table wasm-bindgen's JavaScript keeps the page's objects in.
const EXTERNREF_TABLE: &str = "__wbindgen_externrefs";

#[test]
fn each_builds_externref_table_is_exported_as_an_externref_table() {
    let dist = dist_dir();
    for build in [dist.clone(), dist.join("families")] {
        let wasm = std::fs::read_dir(&build)
            .unwrap_or_else(|error| panic!("{}: {error}", build.display()))
            .map(|entry| entry.expect("a file").path())
            .find(|path| path.extension().is_some_and(|ext| ext == "wasm"))
            .unwrap_or_else(|| panic!("no .wasm in {}", build.display()));
        check_externref_table(&wasm);
    }
}

fn check_externref_table(wasm: &Path) {
    let module = std::fs::read(wasm).expect("the module");
    let mut tables: Vec<RefType> = Vec::new();
    let mut exported_tables: Vec<(String, u32)> = Vec::new();
    for payload in Parser::new(0).parse_all(&module) {
        match payload.expect("a valid module") {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if let TypeRef::Table(table) = import.expect("an import").ty {
                        tables.push(table.element_type);
                    }
                }
            }
            Payload::TableSection(section) => {
                for table in section {
                    tables.push(table.expect("a table").ty.element_type);
                }
            }
            Payload::ExportSection(exports) => {
                for export in exports {
                    let export = export.expect("an export");
                    if export.kind == ExternalKind::Table {
                        exported_tables.push((export.name.to_owned(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    let (_, index) = exported_tables
        .iter()
        .find(|(name, _)| name == EXTERNREF_TABLE)
        .unwrap_or_else(|| panic!("{} exports no {EXTERNREF_TABLE}", wasm.display()));
    let table = tables
        .get(*index as usize)
        .unwrap_or_else(|| panic!("{EXTERNREF_TABLE} is table {index}, which does not exist"));
    assert_eq!(
        *table,
        RefType::EXTERNREF,
        "{EXTERNREF_TABLE} points at table {index}, of {table:?}: {exported_tables:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_optimized_builds_start_in_chromium() {
    let server = InProcessServer::start(Some(&dist_dir())).await;
    let driver = Driver::start().await;
    // A family's page loads the families' build; a staff page the whole app, which sends
    // the visitor to its own login form.
    for (page, families) in [("/login", true), ("/admin/rooms", false)] {
        let browser = driver.browser(LAPTOP).await;
        browser.goto(&server.url(page)).await;
        // The form is drawn by the app, so it is there only once the module has started.
        browser.find("username").await;
        browser.find("log-in").await;
        let modules = browser
            .js("return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname).filter(p => p.endsWith('.wasm'))")
            .await;
        let modules: Vec<String> = serde_json::from_value(modules).expect("paths");
        assert_eq!(modules.len(), 1, "{page}: {modules:?}");
        assert_eq!(
            modules[0].starts_with("/families/"),
            families,
            "{page}: {modules:?}"
        );
    }
}
