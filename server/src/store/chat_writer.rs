//! Group commit for chat: one task writes every message, and the messages that arrive
//! while a commit is under way go into the next transaction together, stored with a fixed
//! number of statements and one `fsync`. On a busy server each statement waits its turn
//! on the CPU, so a busy room's chat waits for one batch, not for a queue of messages.
//! Stopping lets the batch under way and the messages already queued be stored first.

use nido_shared::Timestamp;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::backend::Backend;
use super::chat::{Appended, NewChat, OwnedChat};
use super::chat_batch::append_batch;
use super::{Store, StoreError};

impl Store {
    /// Stores a message with its conversation's next number, unless this sender already sent one
    /// with this id, which is returned instead. Answers once the message is committed.
    pub async fn append_chat(
        &self,
        chat: &NewChat<'_>,
        now: Timestamp,
    ) -> Result<Appended, StoreError> {
        self.chat_writer.append(chat, now).await
    }
}

/// Most messages in one transaction.
const MAX_BATCH: usize = 256;
/// Messages waiting for the writer before senders wait for room.
const QUEUE: usize = 1024;

/// Hands messages to the writer task; cheap to clone.
#[derive(Debug, Clone)]
pub struct ChatWriter {
    requests: mpsc::Sender<Request>,
    stop: CancellationToken,
    task: TaskTracker,
}

struct Request {
    chat: OwnedChat,
    reply: oneshot::Sender<Result<Appended, StoreError>>,
}

impl ChatWriter {
    /// Starts the writer task on `backend`'s chat pool.
    pub(super) fn start(backend: Backend) -> Self {
        let (requests, queue) = mpsc::channel(QUEUE);
        let stop = CancellationToken::new();
        let task = TaskTracker::new();
        task.spawn(write_batches(backend, queue, stop.clone()));
        task.close();
        Self {
            requests,
            stop,
            task,
        }
    }

    /// Stores what was handed over already, refuses what comes after, and returns once the
    /// writer has stopped.
    pub async fn stop(&self) {
        self.stop.cancel();
        self.task.wait().await;
    }

    /// Stores the message once its transaction is committed, or finds the one this sender
    /// sent before with the same id.
    async fn append(&self, chat: &NewChat<'_>, now: Timestamp) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        let chat = OwnedChat {
            room: chat.room.clone(),
            thread: chat.thread,
            user_id: chat.user_id,
            client_id: chat.client_id.clone(),
            name: chat.name.clone(),
            role: chat.role,
            staff: chat.staff,
            text: chat.text.to_owned(),
            now,
        };
        self.requests
            .send(Request { chat, reply })
            .await
            .map_err(|_| StoreError::ChatWriterStopped)?;
        answer.await.map_err(|_| StoreError::ChatWriterStopped)?
    }
}

async fn write_batches(
    backend: Backend,
    mut queue: mpsc::Receiver<Request>,
    stop: CancellationToken,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = tokio::select! {
            received = queue.recv_many(&mut batch, MAX_BATCH) => received,
            () = stop.cancelled() => {
                // What was sent before the stop is stored; what comes later is refused.
                queue.close();
                queue.recv_many(&mut batch, MAX_BATCH).await
            }
        };
        if received == 0 {
            return;
        }
        match store_batch(&backend, &batch).await {
            Ok(results) => {
                for (request, result) in batch.drain(..).zip(results) {
                    // A message whose room was deleted meanwhile was not stored.
                    let _ = request.reply.send(result.ok_or(StoreError::NotFound));
                }
            }
            Err(error) => {
                // Nothing of the batch was stored: every sender hears so and may resend.
                tracing::error!(%error, "could not store chat messages");
                for request in batch.drain(..) {
                    let _ = request.reply.send(Err(StoreError::ChatNotStored));
                }
            }
        }
    }
}

async fn store_batch(
    backend: &Backend,
    batch: &[Request],
) -> Result<Vec<Option<Appended>>, StoreError> {
    let chats: Vec<&OwnedChat> = batch.iter().map(|request| &request.chat).collect();
    append_batch(backend, &chats).await
}
