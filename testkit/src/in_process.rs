//! The real server started inside the test's process on a loopback port, with a database
//! of its own in a temporary directory, and the records tests put straight into it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use nido_server::store::{NewRoomRow, NewUser, StoreError};
use nido_server::{AppState, Config};
use nido_shared::{
    ChildId, DisplayName, RoomId, Timestamp, UserId, UserRole, Username, WeeklySchedule,
};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::{PASSWORD, TIME_ZONE};

/// A running server; dropping the test's runtime ends it.
pub struct InProcessServer {
    pub addr: SocketAddr,
    pub state: AppState,
    data: TempDir,
    task: JoinHandle<std::io::Result<()>>,
}

/// A server that was shut down, with its port and its data kept for a restart.
pub struct StoppedServer {
    pub addr: SocketAddr,
    config: Config,
    data: TempDir,
    clock: Timestamp,
}

impl InProcessServer {
    /// Starts with the test defaults, serving the app in `dist` if given.
    pub async fn start(dist: Option<&Path>) -> Self {
        Self::start_with(dist, |_| {}).await
    }

    /// Starts with the test defaults (the app in `dist`, none if not given; the daycare in
    /// [`TIME_ZONE`]) changed by `configure`.
    pub async fn start_with(dist: Option<&Path>, configure: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().expect("a data directory");
        let mut config = Config::with_defaults();
        config.dist = Some(
            dist.map(Path::to_owned)
                .unwrap_or_else(|| PathBuf::from("no-app-in-this-test")),
        );
        config.data_dir = data.path().to_owned();
        config.time_zone = Some(TIME_ZONE.into());
        // The whole suite runs on PostgreSQL too (scripts/test.sh).
        if std::env::var_os("NIDO_TEST_STORE").is_some_and(|store| store == "postgres") {
            let url = crate::postgres::fresh_database("suite").await;
            config.database = Some(url.parse().expect("a postgres:// URL"));
        }
        configure(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        Self::serve_on(listener, config, data).await
    }

    async fn serve_on(listener: TcpListener, config: Config, data: TempDir) -> Self {
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

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Makes the server's clock read this local time (`2026-11-25T10:00:00+01:00`) from now on.
    pub fn set_local_time(&self, time: &str) {
        let at = format!("{time}[{TIME_ZONE}]")
            .parse::<jiff::ZonedDateTime>()
            .expect("a zoned time");
        self.state
            .clock
            .set_now(Timestamp::from_micros(at.timestamp().as_microsecond()));
    }

    /// Creates a room with this name and schedule, unless one with this id exists.
    pub async fn room(&self, id: &str, name: &str, schedule: WeeklySchedule) {
        let room = NewRoomRow {
            slug: &room_id(id),
            name,
            schedule,
        };
        match self
            .state
            .store
            .create_room(&room, self.state.clock.now())
            .await
        {
            Ok(_) | Err(StoreError::Conflict) => {}
            Err(error) => panic!("creating room {id}: {error}"),
        }
    }

    /// Creates someone with an account, [`PASSWORD`] and these existing rooms: their id.
    pub async fn person(
        &self,
        role: UserRole,
        username: &str,
        name: &str,
        rooms: &[&str],
    ) -> UserId {
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
        let now = self.state.clock.now();
        let id = store.create_user(&user, now).await.expect("a new person");
        let rooms: Vec<RoomId> = rooms.iter().map(|room| room_id(room)).collect();
        store
            .set_user_rooms(id, &rooms, now)
            .await
            .expect("their rooms");
        id
    }

    /// Adds a child to a room, linked to these family accounts: their id. The room's new
    /// policy reaches the hub as an admin's change would.
    pub async fn child(&self, name: &str, room: &str, families: &[UserId]) -> ChildId {
        let name = DisplayName::try_from(name.to_owned()).expect("a name");
        let now = self.state.clock.now();
        let (id, (room, policy)) = self
            .state
            .store
            .create_child(&name, &room_id(room), families, now)
            .await
            .expect("a new child");
        self.state.hub.offer_policy(&room, policy);
        id
    }

    /// Ties a room's viewing to attendance and turns its watermark on, or off.
    pub async fn room_options(&self, room: &str, attendance_required: bool, watermark: bool) {
        let room = room_id(room);
        let store = &self.state.store;
        store
            .set_attendance_required(&room, attendance_required)
            .await
            .expect("the attendance option");
        let policy = store
            .set_watermark(&room, watermark)
            .await
            .expect("the watermark option");
        self.state.hub.offer_policy(&room, policy);
    }

    /// Shuts down as on SIGTERM (every client gets close 1001) and waits for the server to
    /// return; its port and data are kept.
    pub async fn stop(self) -> std::io::Result<StoppedServer> {
        self.state.shutdown.cancel();
        self.task.await.expect("the server task")?;
        Ok(StoppedServer {
            addr: self.addr,
            config: (*self.state.config).clone(),
            data: self.data,
            clock: self.state.clock.now(),
        })
    }

    /// Shuts down, then starts afresh on the same port with the same data and clock.
    pub async fn restart(self) -> Self {
        let stopped = self.stop().await.expect("the server shut down cleanly");
        stopped.start_again().await
    }
}

impl StoppedServer {
    pub async fn start_again(self) -> InProcessServer {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("the same port again");
        let server = InProcessServer::serve_on(listener, self.config, self.data).await;
        server.state.clock.set_now(self.clock);
        server
    }
}

fn room_id(id: &str) -> RoomId {
    RoomId::try_from(id.to_owned()).expect("a room id")
}
