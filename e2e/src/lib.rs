//! Harness for Nido's browser tests: a chromedriver and Chromium sessions with a fake
//! camera, a link that can be cut, and helpers to wait on pages; the server itself is the
//! shared harness's `InProcessServer`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use fantoccini::{Client, ClientBuilder, Locator};
use nido_shared::UserRole;
pub use nido_testkit::{InProcessServer, PASSWORD, ProcessGroup, TIME_ZONE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use x509_parser::prelude::{FromDer, X509Certificate};

/// How long a page may take to reach an expected state.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub const LAPTOP: (u32, u32) = (1280, 800);
pub const PHONE: (u32, u32) = (390, 844);

/// The workspace's built app (`scripts/build-app.sh`), or `NIDO_E2E_DIST`.
pub fn dist_dir() -> PathBuf {
    let dist = std::env::var_os("NIDO_E2E_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist"));
    assert!(
        dist.join("index.html").is_file(),
        "the app is not built at {}: run scripts/test.sh (or scripts/build-app.sh)",
        dist.display()
    );
    dist
}

/// The release binary with the app built in (`target/release/nido-server`, which
/// scripts/test.sh builds before the tests), or `NIDO_E2E_SERVER`.
pub fn release_binary() -> PathBuf {
    let binary = std::env::var_os("NIDO_E2E_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/nido-server")
        });
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        version.contains("browser app built in"),
        "no release binary with the app built in at {}: run scripts/test.sh (or scripts/build-app.sh, \
         then cargo build --release -p nido-server --features embed-app)",
        binary.display()
    );
    binary
}

/// What Chromium's `--ignore-certificate-errors-spki-list` takes: the base64 SHA-256 of the
/// public key of the certificate Nido made for itself in `data_dir`.
pub fn certificate_key_hash(data_dir: &Path) -> String {
    let pem = std::fs::read(data_dir.join("tls/server.pem")).expect("the certificate");
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).expect("PEM");
    let (_, cert) = X509Certificate::from_der(&pem.contents).expect("a certificate");
    let key = cert.public_key().raw;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(key))
}

/// Where screenshots go: `e2e/artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts directory");
    dir
}

/// A TCP relay in front of the server that a test can cut and restore, like a phone losing
/// its network: cutting drops every connection through it and refuses new ones.
pub struct Cuttable {
    pub addr: SocketAddr,
    up: tokio::sync::watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Cuttable {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let (up, _) = tokio::sync::watch::channel(true);
        let watching = up.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut up = watching.subscribe();
                if !*up.borrow() {
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = up.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { addr, up, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for Cuttable {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A chromedriver on a free loopback port, stopped with every browser it started when
/// dropped.
pub struct Driver {
    url: String,
    _process: ProcessGroup,
}

impl Driver {
    pub async fn start() -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("address").port()
        };
        let process = ProcessGroup::spawn(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .expect("chromedriver is installed (scripts/setup.sh --test)");
        let driver = Self {
            url: format!("http://127.0.0.1:{port}"),
            _process: process,
        };
        // Ready once it accepts connections.
        eventually("chromedriver to listen", || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
        })
        .await;
        driver
    }

    /// A fresh Chromium with its own profile and a fake camera that shows a moving test
    /// pattern.
    pub async fn browser(&self, size: (u32, u32)) -> Browser {
        self.browser_with(size, &[]).await
    }

    /// The same, with more command-line switches for Chromium.
    pub async fn browser_with(&self, size: (u32, u32), extra: &[String]) -> Browser {
        self.open_browser(size, extra, json!({})).await
    }

    /// A browser that saves downloads into `dir` without asking.
    pub async fn browser_downloading_to(&self, size: (u32, u32), dir: &Path) -> Browser {
        let prefs = json!({
            "download.default_directory": dir.display().to_string(),
            "download.prompt_for_download": false,
        });
        self.open_browser(size, &[], prefs).await
    }

    async fn open_browser(
        &self,
        (width, height): (u32, u32),
        extra: &[String],
        prefs: Value,
    ) -> Browser {
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--use-fake-device-for-media-stream".into(),
            "--use-fake-ui-for-media-stream".into(),
            "--lang=en-US".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend_from_slice(extra);
        let capabilities = json!({
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args, "prefs": prefs }
        });
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities.as_object().expect("an object").clone())
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        client
            .set_window_size(width, height)
            .await
            .expect("window size");
        Browser {
            client,
            _profile: profile,
        }
    }
}

/// One browser window.
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigation");
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("script runs")
    }

    pub async fn click(&self, test_id: &str) {
        self.find(test_id).await.click().await.expect("click");
    }

    pub async fn type_into(&self, test_id: &str, text: &str) {
        let field = self.find(test_id).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("typing");
    }

    pub async fn find(&self, test_id: &str) -> fantoccini::elements::Element {
        let selector = format!("[data-testid='{test_id}']");
        eventually(&format!("{selector} to appear"), || async {
            self.client.find(Locator::Css(&selector)).await.ok()
        })
        .await
    }

    /// Waits until no element with this test id is on the page.
    pub async fn wait_until_gone(&self, test_id: &str) {
        let script =
            format!("return document.querySelectorAll('[data-testid=\"{test_id}\"]').length");
        eventually(&format!("{test_id} to go"), || async {
            (self.js(&script).await == 0).then_some(())
        })
        .await;
    }

    /// The visible text of an element, or "" while it does not exist.
    pub async fn text_of(&self, test_id: &str) -> String {
        let script = format!(
            "const e = document.querySelector(\"[data-testid='{test_id}']\"); return e ? e.innerText : '';"
        );
        self.js(&script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until an element's text contains `wanted`.
    pub async fn wait_for_text(&self, test_id: &str, wanted: &str) -> String {
        eventually(&format!("{test_id} to show {wanted:?}"), || async {
            let text = self.text_of(test_id).await;
            text.contains(wanted).then_some(text)
        })
        .await
    }

    /// Logs in through the login page, as a person does, and waits for the home page.
    pub async fn log_in(&self, server: &InProcessServer, username: &str, name: &str) {
        self.log_in_at(&server.url("/login"), username, name).await;
    }

    /// The same, through the login page at this address.
    pub async fn log_in_at(&self, login_url: &str, username: &str, name: &str) {
        self.goto(login_url).await;
        self.type_into("username", username).await;
        self.type_into("password", PASSWORD).await;
        self.click("log-in").await;
        self.wait_for_text("who", name).await;
    }

    /// Makes a one-use family invite for `room` on the Invites page, as an admin does:
    /// the link to send.
    pub async fn create_invite(&self, server: &InProcessServer, room: &str) -> String {
        self.goto(&server.url("/invites")).await;
        self.click(&format!("invite-room-{room}")).await;
        self.click("create-invite").await;
        eventually("the invite link", || async {
            let link = self.value_of("invite-link").await;
            link.contains("/invite/").then_some(link)
        })
        .await
    }

    /// The value of an input, empty while there is none.
    pub async fn value_of(&self, test_id: &str) -> String {
        let script = format!(
            "const input = document.querySelector('[data-testid=\"{test_id}\"]'); return input ? input.value : ''"
        );
        self.js(&script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Switches the interface language with the ES/EN buttons.
    pub async fn choose_language(&self, code: &str) {
        let script = format!(
            "for (const b of document.querySelectorAll('.lang')) {{ if (b.innerText.trim() === '{}') b.click(); }}",
            code.to_uppercase()
        );
        self.js(&script).await;
    }

    pub async fn resize(&self, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(artifacts_dir().join(format!("{name}.png")), png).expect("saving it");
    }

    /// Waits until two samples of the viewer's picture, taken apart, differ: the picture
    /// is live, not frozen. Panics with [`Browser::moving_picture`]'s account otherwise.
    pub async fn wait_for_moving_picture(&self) {
        if let Err(account) = self.moving_picture().await {
            panic!("{account}");
        }
    }

    /// Whether the viewer's picture moves within [`PATIENCE`]; if not, what the page showed
    /// instead (its video status: codec, rate, frames per second), with a screenshot kept.
    pub async fn moving_picture(&self) -> Result<(), String> {
        let moving = async {
            let first = poll(|| self.picture_sample()).await;
            poll(|| async { self.picture_sample().await.filter(|later| *later != first) }).await;
        };
        if tokio::time::timeout(PATIENCE, moving).await.is_ok() {
            return Ok(());
        }
        let page = self.js("return document.body.innerText").await;
        self.screenshot("no-moving-picture").await;
        Err(format!(
            "gave up waiting for a moving picture (screenshot no-moving-picture.png); \
             the page showed: {page}"
        ))
    }

    /// Pixels sampled across the viewer's picture, or `None` while it shows nothing.
    pub async fn picture_sample(&self) -> Option<Vec<u64>> {
        let sample = self
            .js(
                "const c = document.querySelector(\"[data-testid='picture']\");
                 if (!c || !c.width || !c.height) return null;
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 const out = []; let lit = 0;
                 for (let i = 0; i < d.length; i += 4 * 101) { out.push(d[i], d[i+1], d[i+2], d[i+3]); if (d[i+3] > 0) lit++; }
                 return lit > 0 ? out : null;",
            )
            .await;
        serde_json::from_value(sample).ok().flatten()
    }
}

/// The switch that makes a browser resolve `nido.test`, Nido's name on the network in these
/// tests, to this machine; by plain http there, browsers offer no WebCodecs.
pub const NIDO_TEST_NAME: &str = "--host-resolver-rules=MAP nido.test 127.0.0.1";

/// A Nido serving the built app, also as `nido.test`, on a school morning (a Wednesday,
/// 10:00 in Madrid) with room `room` ("Pollitos") and its caregiver `marta` ("Seño Marta").
pub async fn classroom(room: &str) -> InProcessServer {
    let server = InProcessServer::start_with(Some(&dist_dir()), |config| {
        config.public_url = Some("https://nido.test".parse().expect("an address"));
    })
    .await;
    server.set_local_time("2026-11-25T10:00:00+01:00");
    server.room(room, "Pollitos", Default::default()).await;
    server
        .person(UserRole::Caregiver, "marta", "Seño Marta", &[room])
        .await;
    server
}

impl Driver {
    /// The camera page of `room` as Marta opens it on a laptop, live; `prepare` runs on the
    /// page before it starts (to stand in for the browser's media APIs).
    pub async fn camera_page(
        &self,
        server: &InProcessServer,
        room: &str,
        prepare: &str,
    ) -> Browser {
        let camera = self.browser(LAPTOP).await;
        camera.log_in(server, "marta", "Seño Marta").await;
        camera.click(&format!("stream-{room}")).await;
        if !prepare.is_empty() {
            camera.js(prepare).await;
        }
        camera.click("start").await;
        camera.wait_for_text("camera-state", "Live").await;
        camera
    }
}

/// How a viewer reaches Nido.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// On this machine: a secure context, with WebCodecs.
    Locally,
    /// By plain http from the network (`nido.test`, resolved to this machine): browsers
    /// offer no WebCodecs there, like a browser without them (Firefox on Android).
    WithoutWebCodecs,
    /// Through a relay on this machine at this address (a cuttable or slow link): a
    /// secure context, with WebCodecs.
    Through(SocketAddr),
}

impl Driver {
    /// The viewer page of `room` as `username`, a family member of the room made now, sees
    /// it.
    pub async fn viewer_page(
        &self,
        server: &InProcessServer,
        room: &str,
        size: (u32, u32),
        reached: Reached,
        username: &str,
    ) -> Browser {
        server
            .person(UserRole::Family, username, username, &[room])
            .await;
        let origin = match reached {
            Reached::Locally => format!("http://{}", server.addr),
            Reached::WithoutWebCodecs => format!("http://nido.test:{}", server.addr.port()),
            Reached::Through(relay) => format!("http://{relay}"),
        };
        let browser = self.browser_with(size, &[NIDO_TEST_NAME.to_owned()]).await;
        browser
            .log_in_at(&format!("{origin}/login"), username, username)
            .await;
        browser.goto(&format!("{origin}/watch/{room}")).await;
        browser
    }
}

/// Polls `check` until it returns `Some`, without a deadline of its own.
async fn poll<T, Fut>(mut check: impl FnMut() -> Fut) -> T
where
    Fut: std::future::Future<Output = Option<T>>,
{
    loop {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `check` until it returns `Some`, for at most [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    nido_testkit::eventually(what, PATIENCE, check).await
}
