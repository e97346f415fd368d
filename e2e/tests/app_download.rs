//! What a parent's phone downloads of the app on a first visit to the login and viewer
//! pages: over https, from the release binary (the app built in and served with brotli), as
//! Chromium's Resource Timing counts it (`transferSize`). The app's WASM and JS together
//! stay within 250 KB; the figures are written to `e2e/artifacts/app-download.json`.

use nido_e2e::*;
use nido_shared::{RoomId, UserRole};
use nido_testkit::NidoBinary;
use nido_testkit::api::Api;
use serde::Deserialize;

/// The budget for the app's WASM and JS on a first visit, in bytes.
const BUDGET: u64 = 250_000;
const HOST: &str = "nido.test";
const ROOM: &str = "sala-sol";
const FAMILY: &str = "ana";

/// One of the app's files as Chromium fetched it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Download {
    path: String,
    transfer_size: u64,
    decoded_body_size: u64,
    content_encoding: Option<String>,
}

/// Every `.wasm` and `.js` the page fetched, and how the server encodes each.
const DOWNLOADS: &str = r#"
const files = performance.getEntriesByType('resource')
    .filter(entry => /\.(wasm|js)$/.test(new URL(entry.name).pathname));
return Promise.all(files.map(async entry => {
    const again = await fetch(entry.name, { cache: 'no-store' });
    await again.arrayBuffer();
    return {
        path: new URL(entry.name).pathname,
        transferSize: entry.transferSize,
        decodedBodySize: entry.decodedBodySize,
        contentEncoding: again.headers.get('content-encoding'),
    };
}));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parents_first_visit_downloads_at_most_250_kb_of_the_app() {
    let nido = NidoBinary::new(release_binary());
    let data = tempfile::tempdir().expect("a data directory");
    nido.create_admin(data.path(), "admin")
        .await
        .expect("an admin");
    prepare_a_family(&nido, data.path()).await;

    let running = nido
        .start(
            data.path(),
            &[
                "--listen",
                "127.0.0.1:0",
                "--time-zone",
                "UTC",
                "--tls-self-signed",
                "--tls-host",
                HOST,
            ],
            100,
            |_| true,
        )
        .await
        .expect("Nido over https");
    let port = running.addr.rsplit(':').next().expect("a port");
    let base = format!("https://{HOST}:{port}");
    let switches = [
        format!("--host-resolver-rules=MAP {HOST} 127.0.0.1"),
        format!(
            "--ignore-certificate-errors-spki-list={}",
            certificate_key_hash(data.path())
        ),
    ];
    let driver = Driver::start().await;
    let phone = driver.browser_with(PHONE, &switches).await;
    phone
        .log_in_at(&format!("{base}/login"), FAMILY, FAMILY)
        .await;
    phone.click(&format!("watch-{ROOM}")).await;
    phone.find("camera-state").await;

    let downloads: Vec<Download> =
        serde_json::from_value(phone.js(DOWNLOADS).await).expect("the downloads");
    let total: u64 = downloads.iter().map(|file| file.transfer_size).sum();
    let report = serde_json::json!({
        "budget": BUDGET,
        "total_transfer_size": total,
        "files": downloads.iter().map(|file| serde_json::json!({
            "path": file.path,
            "transfer_size": file.transfer_size,
            "decoded_body_size": file.decoded_body_size,
            "content_encoding": file.content_encoding,
        })).collect::<Vec<_>>(),
    });
    std::fs::write(
        artifacts_dir().join("app-download.json"),
        serde_json::to_string_pretty(&report).expect("JSON"),
    )
    .expect("the report");

    let wasm: Vec<&Download> = downloads
        .iter()
        .filter(|file| file.path.ends_with(".wasm"))
        .collect();
    assert_eq!(wasm.len(), 1, "one module: {downloads:?}");
    assert!(
        wasm[0].path.starts_with("/families/"),
        "a parent gets the families' build: {downloads:?}"
    );
    for file in &downloads {
        assert_eq!(
            file.content_encoding.as_deref(),
            Some("br"),
            "{} is served with brotli",
            file.path
        );
        assert!(
            file.transfer_size > 0 && file.transfer_size < file.decoded_body_size,
            "{} came over the network, compressed: {file:?}",
            file.path
        );
    }
    assert!(
        total <= BUDGET,
        "a first visit downloads {total} B of WASM and JS, over the budget of {BUDGET} B: {downloads:?}"
    );
}

/// A room open around the clock and a family of it, made through the API over plain http
/// before the server is started again over https.
async fn prepare_a_family(nido: &NidoBinary, data_dir: &std::path::Path) {
    let mut running = nido
        .start(
            data_dir,
            &["--listen", "127.0.0.1:0", "--time-zone", "UTC"],
            100,
            |_| true,
        )
        .await
        .expect("Nido over http");
    let api = Api::new(&running.addr);
    let admin = api.log_in("admin", PASSWORD).await.expect("the admin");
    let room = RoomId::try_from(ROOM.to_owned()).expect("a room id");
    api.create_open_room(&admin, &room, "Sala Sol")
        .await
        .expect("the room");
    let invite = api
        .invite(&admin, UserRole::Family, &[room], 1)
        .await
        .expect("an invite");
    api.register(&invite, FAMILY, PASSWORD)
        .await
        .expect("the family");
    running.child.kill().await.expect("the server stopped");
}
