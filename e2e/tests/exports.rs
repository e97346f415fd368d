//! The director exports the access log from the Audit page: the browser downloads a CSV
//! file (not the app's "page not found"), UTF-8 with a byte-order mark so a Spanish
//! spreadsheet opens it right, with its headers in the interface's language.

use nido_e2e::*;
use nido_shared::UserRole;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_csv_downloads_a_file_a_spanish_spreadsheet_reads() {
    let dist = dist_dir();
    let server = InProcessServer::start(Some(&dist)).await;
    server
        .person(UserRole::Admin, "directora", "Carmen (dirección)", &[])
        .await;
    let downloads = tempfile::tempdir().expect("a download directory");
    let driver = Driver::start().await;
    let admin = driver
        .browser_downloading_to(LAPTOP, downloads.path())
        .await;
    admin.goto(&server.url("/login")).await;
    admin.choose_language("es").await;
    admin
        .log_in(&server, "directora", "Carmen (dirección)")
        .await;
    admin.goto(&server.url("/admin/audit")).await;
    admin.click("export-audit-csv").await;
    let csv = eventually("the downloaded file", || async {
        let entry = std::fs::read_dir(downloads.path())
            .ok()?
            .flatten()
            .find(|entry| entry.path().extension().is_some_and(|ext| ext == "csv"))?;
        std::fs::read(entry.path()).ok()
    })
    .await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark");
    let text = String::from_utf8(csv[3..].to_vec()).expect("UTF-8");
    assert!(
        text.starts_with("usuario,nombre,sala,papel,dirección,inicio,fin"),
        "{text:?}"
    );
    assert_eq!(
        admin.js("return location.pathname").await,
        "/admin/audit",
        "the page stays where it was"
    );
}
