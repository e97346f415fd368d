//! A child process's log, read as it runs so that the child never blocks on a full pipe,
//! keeping the lines a test or benchmark wants to look at.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncRead, BufReader, Lines};

/// The lines kept so far.
#[derive(Debug, Clone, Default)]
pub struct LogLines(Arc<Mutex<Vec<String>>>);

impl LogLines {
    /// Goes on reading `lines` to their end in a task, keeping up to `limit` lines in all
    /// of those `keep` accepts.
    pub fn keep_reading<R: AsyncRead + Unpin + Send + 'static>(
        &self,
        mut lines: Lines<BufReader<R>>,
        limit: usize,
        keep: impl Fn(&str) -> bool + Send + 'static,
    ) {
        let kept = self.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if keep(&line) {
                    kept.push_within(line, limit);
                }
            }
        });
    }

    pub(crate) fn push_within(&self, line: String, limit: usize) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() < limit {
            kept.push(line);
        }
    }

    pub fn snapshot(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Reads `lines` until `wanted` finds something in one, within `patience`.
pub async fn wait_for_line<R: AsyncRead + Unpin>(
    lines: &mut Lines<BufReader<R>>,
    patience: std::time::Duration,
    mut wanted: impl FnMut(&str) -> Option<String>,
) -> anyhow::Result<String> {
    tokio::time::timeout(patience, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(found) = wanted(&line) {
                return Ok(found);
            }
        }
        anyhow::bail!("it exited")
    })
    .await
    .map_err(|_| anyhow::anyhow!("timed out"))?
}
