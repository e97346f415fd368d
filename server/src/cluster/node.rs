//! This process among the nodes of its deployment: a random id of its own each time it
//! starts (a restarted node is a new node, so nothing of its last life is taken for alive),
//! and a description for the people reading the database.

use std::fmt;

/// A node's id: 16 hex digits, new at every start.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct NodeId(String);

impl NodeId {
    pub fn random() -> Self {
        Self(format!("{:016x}", rand::random::<u64>()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where this node runs: its host, its listening address and its process.
pub fn describe(listen: std::net::SocketAddr) -> String {
    let host = gethostname::gethostname();
    format!(
        "{} {listen} pid {}",
        host.to_string_lossy(),
        std::process::id()
    )
}
