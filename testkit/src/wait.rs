//! Waiting for a state to be reached, by polling, with a deadline instead of a sleep.

use std::time::Duration;

const POLL_EVERY: Duration = Duration::from_millis(20);

/// Polls `check` until it returns `Some`, for at most `patience`; panics naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, patience: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + patience;
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
