//! Harness for Nido's browser tests: the real server in-process on a loopback port, a
//! chromedriver, and Chromium sessions with a fake camera, plus helpers to wait on pages.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use nido_server::store::{NewRoomRow, NewUser};
use nido_server::{AppState, Config};
use nido_shared::{DisplayName, RoomId, UserRole, Username};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How long a page may take to reach an expected state.
pub const PATIENCE: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(100);

pub const LAPTOP: (u32, u32) = (1280, 800);
pub const PHONE: (u32, u32) = (390, 844);

/// The workspace's built app (`trunk build`), or `NIDO_E2E_DIST`.
pub fn dist_dir() -> PathBuf {
    let dist = std::env::var_os("NIDO_E2E_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist"));
    assert!(
        dist.join("index.html").is_file(),
        "the app is not built at {}: run scripts/test.sh (or `trunk build --release`)",
        dist.display()
    );
    dist
}

/// Where screenshots go: `e2e/artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts directory");
    dir
}

/// The daycare's time zone in these tests.
pub const TIME_ZONE: &str = "Europe/Madrid";
/// Every test account's password.
pub const PASSWORD: &str = "correct horse battery";

/// The real server, started in this process with its own database; `restart` brings it
/// back on the same port with the same data.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    data: tempfile::TempDir,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub async fn start(dist: &Path) -> Self {
        Self::start_with(dist, |_| {}).await
    }

    /// Starts with the test defaults changed by `configure` (https, for example).
    pub async fn start_with(dist: &Path, configure: impl FnOnce(&mut Config)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let data = tempfile::tempdir().expect("a data directory");
        let mut config = Config::with_defaults();
        config.dist = Some(dist.to_owned());
        config.data_dir = data.path().to_owned();
        config.time_zone = Some(TIME_ZONE.into());
        configure(&mut config);
        Self::serve_on(listener, config, data).await
    }

    async fn serve_on(listener: TcpListener, config: Config, data: tempfile::TempDir) -> Self {
        let addr = listener.local_addr().expect("bound address");
        let state = AppState::open(config).await.expect("the server starts");
        let task = tokio::spawn(nido_server::serve(listener, state.clone()));
        Self {
            addr,
            state,
            data,
            task,
        }
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Makes the server's clock read this local time (`2026-11-25T10:00:00+01:00`) from now on.
    pub fn set_local_time(&self, time: &str) {
        let at = format!("{time}[{TIME_ZONE}]")
            .parse::<jiff::ZonedDateTime>()
            .expect("a zoned time");
        self.state.clock.set_now_us(at.timestamp().as_microsecond());
    }

    /// Creates a room, as an admin would (open Monday to Friday, 07:00 to 17:00).
    pub async fn room(&self, id: &str, name: &str) {
        let room = NewRoomRow {
            slug: &RoomId::try_from(id.to_owned()).expect("a room id"),
            name,
            schedule: Default::default(),
        };
        self.state
            .store
            .create_room(&room, self.state.clock.now_us())
            .await
            .expect("a new room");
    }

    /// Creates someone with an account, the test password and these (existing) rooms.
    pub async fn person(&self, role: UserRole, username: &str, name: &str, rooms: &[&str]) {
        let store = &self.state.store;
        let hash = self
            .state
            .passwords
            .hash(PASSWORD, std::net::Ipv4Addr::LOCALHOST.into())
            .await
            .expect("hashing");
        let user = NewUser {
            username: &Username::try_from(username.to_owned()).expect("a username"),
            display_name: &DisplayName::try_from(name.to_owned()).expect("a name"),
            password_hash: &hash,
            role,
            invited_by: None,
            household_head: None,
        };
        let id = store
            .create_user(&user, self.state.clock.now_us())
            .await
            .expect("a new person");
        let rooms: Vec<RoomId> = rooms
            .iter()
            .map(|room| RoomId::try_from((*room).to_owned()).expect("a room id"))
            .collect();
        store
            .set_user_rooms(id, &rooms, self.state.clock.now_us())
            .await
            .expect("their rooms");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Shuts down as on SIGTERM (every client gets close 1001), then starts afresh.
    pub async fn restart(self) -> Self {
        self.state.shutdown.cancel();
        self.task
            .await
            .expect("server task")
            .expect("server shut down cleanly");
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("the same port again");
        let offset = self.state.clock.now_us();
        let config = (*self.state.config).clone();
        let server = Self::serve_on(listener, config, self.data).await;
        server.state.clock.set_now_us(offset);
        server
    }
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

/// A chromedriver on a free loopback port, stopped when dropped.
pub struct Driver {
    url: String,
    process: Child,
}

impl Driver {
    pub async fn start() -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("address").port()
        };
        // In a process group of its own, with the Chromiums it starts, so that dropping the
        // driver ends them all: killing chromedriver alone left its browsers running.
        let process = Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (scripts/setup.sh --test)");
        let driver = Self {
            url: format!("http://127.0.0.1:{port}"),
            process,
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

impl Drop for Driver {
    fn drop(&mut self) {
        let group = rustix::process::Pid::from_child(&self.process);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.process.wait();
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
    pub async fn log_in(&self, server: &Server, username: &str, name: &str) {
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
    pub async fn create_invite(&self, server: &Server, room: &str) -> String {
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
    /// is live, not frozen.
    pub async fn wait_for_moving_picture(&self) {
        let first = eventually("a picture", || self.picture_sample()).await;
        eventually("the picture to change", || async {
            self.picture_sample().await.filter(|later| *later != first)
        })
        .await;
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

/// Polls `check` until it returns `Some`, for at most `PATIENCE`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}
