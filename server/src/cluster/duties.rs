//! What every node does on its own clock, from the database, whatever NATS does:
//!
//! - its heartbeat every second, and the clean-up after nodes that stopped beating (their
//!   viewings ended, their camera seats freed);
//! - a check that its cameras still hold their seats (one taken over elsewhere closes here);
//! - a poll of the access epoch: when it moves, every socket here is checked again against
//!   the database (sessions, roles, rooms, required second factors) and the rooms' policies
//!   (pause, hours) are read again;
//! - a check of its rooms' chat positions, which delivers what notifications missed;
//! - forgetting presence reports that stopped coming.

use std::collections::HashSet;
use std::time::Duration;

use nido_shared::ErrorCode;
use tokio::time::{Instant, MissedTickBehavior, interval};

use crate::state::AppState;

const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// A node judges others dead only after beating this long itself without a failure: after
/// a database outage every node first gets to beat again.
const JUDGE_AFTER: Duration = Duration::from_secs(7);
const ACCESS_POLL_EVERY: Duration = Duration::from_millis(250);
const CHAT_CHECK_EVERY: Duration = Duration::from_secs(2);
const PRESENCE_EXPIRY_EVERY: Duration = Duration::from_millis(250);

/// Runs this node's duties until the server stops (the caller aborts it).
pub async fn run_duties(state: AppState) {
    tokio::join!(
        beat(&state),
        watch_access(&state),
        check_chat_positions(&state),
        expire_presence(&state),
    );
}

async fn beat(state: &AppState) {
    let Some(cluster) = &state.cluster else {
        return;
    };
    let store = &state.store;
    let node = cluster.node().as_str();
    let mut every = interval(HEARTBEAT_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut first = true;
    let mut beating_since = None;
    loop {
        every.tick().await;
        let beat = store.heartbeat(node, &cluster.inner.description).await;
        beating_since = beat
            .is_ok()
            .then(|| beating_since.unwrap_or_else(Instant::now));
        match beat {
            Ok(made) if made && !first => {
                // The others took this node for dead (its heartbeat stalled): they ended its
                // viewings and freed its seats, so its connections start again, recorded.
                tracing::error!(
                    node,
                    "this node was taken for dead; closing its connections"
                );
                state.sockets.end_all(
                    ErrorCode::ServerError,
                    "the server lost its database for a while; reconnecting",
                );
            }
            Ok(_) => first = false,
            Err(error) => tracing::warn!(%error, "could not record this node's heartbeat"),
        }
        if beating_since.is_some_and(|since| since.elapsed() >= JUDGE_AFTER) {
            match store.end_dead_nodes().await {
                Ok(0) => {}
                Ok(ended) => tracing::info!(ended, "ended the viewings of nodes that stopped"),
                Err(error) => tracing::warn!(%error, "could not clean up after stopped nodes"),
            }
        }
        match store.camera_seats_of(node).await {
            Ok(held) => {
                let held: HashSet<_> = held.into_iter().collect();
                for seat in state.hub.local_camera_seats() {
                    if !held.contains(&seat) {
                        state.hub.evict_camera(&seat.0, seat.1);
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "could not check this node's camera seats"),
        }
    }
}

/// Re-checks every socket here whenever the access epoch moves (and once at start).
async fn watch_access(state: &AppState) {
    let mut every = interval(ACCESS_POLL_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut seen = None;
    loop {
        every.tick().await;
        let epoch = match state.store.access_epoch().await {
            Ok(epoch) => epoch,
            Err(error) => {
                tracing::warn!(%error, "could not read the access epoch");
                continue;
            }
        };
        if seen == Some(epoch) {
            continue;
        }
        match recheck_access(state).await {
            Ok(()) => seen = Some(epoch),
            Err(error) => tracing::warn!(%error, "could not re-check access"),
        }
    }
}

async fn recheck_access(state: &AppState) -> Result<(), crate::store::StoreError> {
    let open = state.sockets.summary();
    let rooms = state.hub.room_ids();
    let access = state
        .store
        .access_now(
            &open.sessions,
            &open.users,
            &open.rooms.iter().chain(&rooms).cloned().collect::<Vec<_>>(),
        )
        .await?;
    state.sockets.apply_access(&access, state.clock.now());
    for room in rooms {
        if let Some(policy) = access.rooms.get(&room) {
            state.hub.offer_policy(&room, policy.clone());
        }
    }
    Ok(())
}

async fn check_chat_positions(state: &AppState) {
    let Some(cluster) = &state.cluster else {
        return;
    };
    let mut every = interval(CHAT_CHECK_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut reconnects = cluster.backplane().reconnects();
    loop {
        tokio::select! {
            _ = every.tick() => {}
            Ok(()) = reconnects.changed() => {}
        }
        let rooms = state.hub.room_ids();
        if rooms.is_empty() {
            continue;
        }
        match state.store.chat_positions(&rooms).await {
            Ok(positions) => {
                for position in positions {
                    state.hub.offer_chat_position(position);
                }
            }
            Err(error) => tracing::warn!(%error, "could not check the rooms' chat positions"),
        }
    }
}

async fn expire_presence(state: &AppState) {
    let mut every = interval(PRESENCE_EXPIRY_EVERY);
    loop {
        every.tick().await;
        state.hub.expire_remote_presence();
    }
}
