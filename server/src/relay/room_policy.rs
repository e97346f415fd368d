//! A room's policy: what decides whether families see its camera (viewing hours and the
//! privacy pause), stored in the database and versioned so that a stale copy never wins.

use nido_shared::WeeklySchedule;

/// A room's viewing hours and pause as of one change. Every change takes the next number
/// of one counter in the database, so of two copies the one with the higher version is
/// the newer, whichever reached the hub first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomPolicy {
    pub version: i64,
    pub schedule: WeeklySchedule,
    /// Staff paused the camera: no frame goes out until staff resume it.
    pub paused: bool,
}

impl RoomPolicy {
    /// The newer of two copies.
    pub fn newer(self, other: Self) -> Self {
        if other.version > self.version {
            other
        } else {
            self
        }
    }
}
