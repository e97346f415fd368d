//! How a private thread stands for each of its readers (unread messages, how far the staff
//! read it), read from the database whenever it changes, for the hub to tell them live.

use nido_shared::{RoomId, ThreadState, UserId};

use crate::store::{Store, StoreError, ThreadReader, ThreadsShown};

/// A thread's state for the room's staff and for each family account that reads it.
pub struct ThreadStates {
    pub thread: UserId,
    pub staff: Option<ThreadState>,
    pub families: Vec<(UserId, ThreadState)>,
}

impl ThreadStates {
    /// Reads the thread's state for the staff and for each of `families`.
    pub async fn read(
        store: &Store,
        room: &RoomId,
        thread: UserId,
        families: Vec<UserId>,
    ) -> Result<Self, StoreError> {
        let one = ThreadsShown::One(thread);
        let staff = store
            .thread_states(room, ThreadReader::Staff, one)
            .await?
            .pop();
        let mut states = Vec::with_capacity(families.len());
        for family in families {
            let state = store
                .thread_states(room, ThreadReader::Family(family), one)
                .await?
                .pop();
            states.extend(state.map(|state| (family, state)));
        }
        Ok(Self {
            thread,
            staff,
            families: states,
        })
    }

    /// What the reader on a connection of `user` is told, staff or family.
    pub fn for_reader(&self, staff: bool, user: UserId) -> Option<&ThreadState> {
        if staff {
            self.staff.as_ref()
        } else {
            self.families
                .iter()
                .find(|(family, _)| *family == user)
                .map(|(_, state)| state)
        }
    }
}
