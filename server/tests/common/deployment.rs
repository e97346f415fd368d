//! A deployment of several real `nido-server` processes on one fresh PostgreSQL database
//! and a NATS server of their own, as an operator would run them: nodes can be killed
//! (SIGKILL) and started again, and NATS restarted on its port.

use nido_shared::{RoomId, UserRole};
use nido_testkit::NatsServer;

use super::{Api, PASSWORD, RunningNido, TestClient, nido_binary};

pub struct Deployment {
    pub database: String,
    pub nats: NatsServer,
    nodes: Vec<Option<RunningNido>>,
    /// Given to every node at every start.
    options: Vec<String>,
    data_dir: tempfile::TempDir,
    /// The first admin's session cookie.
    pub admin: String,
}

impl Deployment {
    /// `count` nodes, an admin (`directora`) and an open room `sala-1`.
    pub async fn start(count: usize) -> Self {
        Self::start_with(count, &[]).await
    }

    /// The same, every node started with these extra options.
    pub async fn start_with(count: usize, options: &[&str]) -> Self {
        let database = nido_testkit::postgres::fresh_database("cluster").await;
        let nats = NatsServer::start().await.expect("NATS starts");
        let data_dir = tempfile::tempdir().unwrap();
        let mut deployment = Self {
            database,
            nats,
            nodes: Vec::new(),
            options: options.iter().map(|option| option.to_string()).collect(),
            data_dir,
            admin: String::new(),
        };
        nido_binary()
            .create_admin_with(
                deployment.data_dir.path(),
                &["--database", &deployment.database],
                "directora",
            )
            .await
            .expect("admin create");
        for _ in 0..count {
            deployment.nodes.push(None);
        }
        for node in 0..count {
            deployment.start_node(node).await;
        }
        let api = deployment.api(0);
        deployment.admin = api.log_in("directora", PASSWORD).await.unwrap();
        api.create_open_room(&deployment.admin, &room(), "Sala 1")
            .await
            .unwrap();
        deployment
    }

    /// Starts node `index` (again).
    pub async fn start_node(&mut self, index: usize) {
        let nats = self.nats.url();
        let mut all = vec![
            "--listen",
            "127.0.0.1:0",
            "--database",
            &self.database,
            "--backplane",
            &nats,
        ];
        all.extend(self.options.iter().map(String::as_str));
        let node = nido_binary()
            .start(self.data_dir.path(), &all, 200, |line| {
                line.contains("ERROR") || line.contains("WARN")
            })
            .await
            .expect("the node starts");
        self.nodes[index] = Some(node);
    }

    /// Kills node `index` at once (SIGKILL), as a crash would.
    pub async fn kill_node(&mut self, index: usize) {
        if let Some(mut node) = self.nodes[index].take() {
            node.child.kill().await.unwrap();
        }
    }

    /// The nodes running now.
    pub fn live_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|node| self.nodes[*node].is_some())
            .collect()
    }

    pub fn addr(&self, index: usize) -> &str {
        &self.nodes[index].as_ref().expect("the node runs").addr
    }

    pub fn api(&self, index: usize) -> Api {
        Api::new(self.addr(index))
    }

    /// A WebSocket to node `index` with `cookie`'s session.
    pub async fn connect(&self, index: usize, cookie: &str) -> TestClient {
        TestClient::connect(&format!("ws://{}/ws", self.addr(index)), Some(cookie)).await
    }

    /// A new family member of `sala-1`, logged in (through node 0): their cookie.
    pub async fn family(&self, username: &str) -> String {
        self.person(UserRole::Family, username).await
    }

    /// A new caregiver of `sala-1`, logged in: their cookie.
    pub async fn caregiver(&self, username: &str) -> String {
        self.person(UserRole::Caregiver, username).await
    }

    async fn person(&self, role: UserRole, username: &str) -> String {
        let api = self.api(0);
        let invite = api.invite(&self.admin, role, &[room()], 1).await.unwrap();
        api.register(&invite, username, PASSWORD).await.unwrap()
    }
}

/// The deployment's room.
pub fn room() -> RoomId {
    RoomId::try_from("sala-1".to_owned()).unwrap()
}
