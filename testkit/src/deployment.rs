//! A deployment of several real `nido-server` processes on one fresh PostgreSQL database
//! and a NATS server of their own, as an operator would run them: nodes can be killed
//! (SIGKILL) and started again, and NATS restarted on its port.

use nido_shared::{RoomId, UserRole};

use crate::{Api, NatsServer, NidoBinary, PASSWORD, RunningNido};

pub struct Deployment {
    binary: NidoBinary,
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
    /// `count` nodes of `binary`, each started with these extra options, an admin
    /// (`directora`) and a room `sala-1` open around the clock.
    pub async fn start(binary: NidoBinary, count: usize, options: &[&str]) -> Self {
        let database = crate::postgres::fresh_database("cluster").await;
        Self::start_on(binary, count, options, database).await
    }

    /// The same, on this (empty) database.
    pub async fn start_on(
        binary: NidoBinary,
        count: usize,
        options: &[&str],
        database: String,
    ) -> Self {
        let nats = NatsServer::start().await.expect("NATS starts");
        let data_dir = tempfile::tempdir().expect("a data directory");
        let mut deployment = Self {
            binary,
            database,
            nats,
            nodes: (0..count).map(|_| None).collect(),
            options: options.iter().map(|option| option.to_string()).collect(),
            data_dir,
            admin: String::new(),
        };
        deployment
            .binary
            .create_admin_with(
                deployment.data_dir.path(),
                &["--database", &deployment.database],
                "directora",
            )
            .await
            .expect("admin create");
        for node in 0..count {
            deployment.start_node(node).await;
        }
        let api = deployment.api(0);
        deployment.admin = api
            .log_in("directora", PASSWORD)
            .await
            .expect("the admin logs in");
        api.create_open_room(&deployment.admin, &room(), "Sala 1")
            .await
            .expect("a room");
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
        let node = self
            .binary
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
            node.child.kill().await.expect("SIGKILL");
        }
    }

    /// The nodes running now.
    pub fn live_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|node| self.nodes[*node].is_some())
            .collect()
    }

    /// Node `index`'s process id, while it runs.
    pub fn pid(&self, index: usize) -> Option<u32> {
        self.nodes[index].as_ref().and_then(|node| node.child.id())
    }

    /// The warnings and errors node `index` logged (its last 200).
    pub fn problems(&self, index: usize) -> Vec<String> {
        self.nodes[index]
            .as_ref()
            .map(|node| node.log.snapshot())
            .unwrap_or_default()
    }

    /// The nodes' video connections to NATS (named `nido <node> video`), as NATS's
    /// monitoring reports them: their subscriptions and message and byte counts.
    pub async fn nats_video_connections(&self) -> anyhow::Result<Vec<serde_json::Value>> {
        let connz = self.nats.monitor("/connz?subs=1&limit=1024").await?;
        let connections = connz["connections"].as_array().cloned().unwrap_or_default();
        Ok(connections
            .into_iter()
            .filter(|c| c["name"].as_str().is_some_and(|n| n.ends_with(" video")))
            .collect())
    }

    /// What each running node and NATS say about the room's video, for a failing test to
    /// print: the node's warnings and errors, its video and backplane counters, and each
    /// node's video connection to NATS (its subscriptions and message counts).
    pub async fn video_diagnosis(&self) -> String {
        let mut report = String::new();
        // A node that stopped answering is part of the answer.
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        for index in self.live_nodes() {
            let url = format!("http://{}/metrics", self.addr(index));
            let metrics = match http.get(url).send().await {
                Ok(response) => response.text().await.unwrap_or_default(),
                Err(error) => format!("no metrics: {error}"),
            };
            let counters: Vec<&str> = metrics
                .lines()
                .filter(|line| {
                    !line.starts_with('#')
                        && !line.contains("_bucket")
                        && (line.starts_with("nido_backplane") || line.starts_with("nido_video"))
                })
                .collect();
            report += &format!(
                "node {index}:\n  problems: {:?}\n  {}\n",
                self.problems(index),
                counters.join("\n  ")
            );
        }
        match self.nats_video_connections().await {
            Ok(connections) => {
                for connection in connections {
                    report += &format!(
                        "NATS {}: subscriptions {}, in {} msgs, out {} msgs\n",
                        connection["name"],
                        connection["subscriptions_list"],
                        connection["in_msgs"],
                        connection["out_msgs"]
                    );
                }
            }
            Err(error) => report += &format!("NATS monitoring: {error}\n"),
        }
        report
    }

    pub fn addr(&self, index: usize) -> &str {
        &self.nodes[index].as_ref().expect("the node runs").addr
    }

    pub fn api(&self, index: usize) -> Api {
        Api::new(self.addr(index))
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
        let invite = api
            .invite(&self.admin, role, &[room()], 1)
            .await
            .expect("an invite");
        api.register(&invite, username, PASSWORD)
            .await
            .expect("registered")
    }
}

/// The deployment's room.
pub fn room() -> RoomId {
    RoomId::try_from("sala-1".to_owned()).expect("a valid room id")
}
