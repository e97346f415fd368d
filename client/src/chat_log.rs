//! The chat as a page holds it: stored messages by their room sequence number, and this
//! page's own messages not acknowledged yet (pending, resent after a reconnect) or refused
//! (failed, with a retry).

use std::collections::BTreeMap;

use nido_shared::{ChatId, ChatLine};

/// One of this page's messages the server has not stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChat {
    pub id: String,
    pub text: String,
    pub failed: bool,
}

/// What the chat panel shows, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatEntry {
    Stored(ChatLine),
    Pending(PendingChat),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatLog {
    stored: BTreeMap<u64, ChatLine>,
    pending: Vec<PendingChat>,
    has_older: bool,
    asked_for_older: bool,
}

impl ChatLog {
    /// The newest stored message's number: what a reconnect asks to continue after.
    pub fn last_seq(&self) -> Option<u64> {
        self.stored.keys().next_back().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.stored.is_empty() && self.pending.is_empty()
    }

    pub fn entries(&self) -> Vec<ChatEntry> {
        let stored = self.stored.values().cloned().map(ChatEntry::Stored);
        stored
            .chain(self.pending.iter().cloned().map(ChatEntry::Pending))
            .collect()
    }

    /// What joining sent: the latest messages (`replace`) or those missed while away.
    pub fn apply_backlog(
        &mut self,
        lines: Vec<ChatLine>,
        has_older: bool,
        replace: bool,
        deleted: &[u64],
    ) {
        if replace {
            self.stored.clear();
            self.has_older = has_older;
        }
        for seq in deleted {
            self.stored.remove(seq);
        }
        lines.into_iter().for_each(|line| self.add(line));
    }

    /// A stored message; if it is one of ours, it is no longer pending.
    pub fn add(&mut self, line: ChatLine) {
        self.pending.retain(|p| p.id != line.id.as_str());
        self.stored.insert(line.seq, line);
    }

    pub fn add_older(&mut self, lines: Vec<ChatLine>, has_older: bool) {
        self.has_older = has_older;
        self.asked_for_older = false;
        lines.into_iter().for_each(|line| self.add(line));
    }

    pub fn remove(&mut self, seq: u64) {
        self.stored.remove(&seq);
    }

    pub fn queue(&mut self, id: String, text: String) {
        self.pending.push(PendingChat {
            id,
            text,
            failed: false,
        });
    }

    /// The server refused one of ours: shown as failed until retried.
    pub fn fail(&mut self, id: &ChatId) {
        for pending in self.pending.iter_mut().filter(|p| p.id == id.as_str()) {
            pending.failed = true;
        }
    }

    /// Marks a failed message as pending again and returns it, to send.
    pub fn retry(&mut self, id: &str) -> Option<PendingChat> {
        let pending = self.pending.iter_mut().find(|p| p.id == id)?;
        pending.failed = false;
        Some(pending.clone())
    }

    /// Messages to send again after reconnecting.
    pub fn unacknowledged(&self) -> Vec<PendingChat> {
        self.pending.iter().filter(|p| !p.failed).cloned().collect()
    }

    /// The number to ask older messages before, once per page, while there are older ones.
    pub fn ask_for_older(&mut self) -> Option<u64> {
        if !self.has_older || self.asked_for_older {
            return None;
        }
        let oldest = *self.stored.keys().next()?;
        self.asked_for_older = true;
        Some(oldest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nido_shared::{DisplayName, Role, Timestamp, UserId};

    fn line(seq: u64, id: &str) -> ChatLine {
        ChatLine {
            thread: None,
            seq,
            id: ChatId::try_from(id.to_owned()).unwrap(),
            user_id: UserId::new(1),
            sent_at_us: Timestamp::UNIX_EPOCH,
            from: DisplayName::try_from("Ana".to_owned()).unwrap(),
            role: Role::Viewer,
            staff: false,
            text: format!("line {seq}"),
        }
    }

    fn seqs(log: &ChatLog) -> Vec<u64> {
        log.entries()
            .into_iter()
            .filter_map(|e| match e {
                ChatEntry::Stored(line) => Some(line.seq),
                ChatEntry::Pending(_) => None,
            })
            .collect()
    }

    #[test]
    fn lines_are_ordered_by_seq_and_never_doubled() {
        let mut log = ChatLog::default();
        log.apply_backlog(
            vec![line(1, "aaaaaaaa"), line(2, "bbbbbbbb")],
            false,
            true,
            &[],
        );
        log.add(line(4, "dddddddd"));
        log.apply_backlog(
            vec![line(3, "cccccccc"), line(4, "dddddddd")],
            false,
            false,
            &[1],
        );
        assert_eq!(seqs(&log), [2, 3, 4]);
        assert_eq!(log.last_seq(), Some(4));
    }

    #[test]
    fn pending_messages_are_acknowledged_failed_and_retried() {
        let mut log = ChatLog::default();
        log.queue("mine-0001".into(), "hola".into());
        log.queue("mine-0002".into(), "adiós".into());
        log.fail(&ChatId::try_from("mine-0002".to_owned()).unwrap());
        assert_eq!(log.unacknowledged().len(), 1);
        log.add(line(7, "mine-0001"));
        assert!(log.unacknowledged().is_empty());
        assert_eq!(log.retry("mine-0002").unwrap().text, "adiós");
        assert_eq!(log.unacknowledged().len(), 1);
    }

    #[test]
    fn older_pages_are_asked_for_once_each() {
        let mut log = ChatLog::default();
        log.apply_backlog(vec![line(51, "aaaaaaaa")], true, true, &[]);
        assert_eq!(log.ask_for_older(), Some(51));
        assert_eq!(log.ask_for_older(), None);
        log.add_older(vec![line(50, "bbbbbbbb")], false);
        assert_eq!(log.ask_for_older(), None);
        assert_eq!(seqs(&log), [50, 51]);
    }
}
