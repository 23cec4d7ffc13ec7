//! [`MemoryFeed`]: revocations within one process.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use super::{FeedFuture, Revocation, RevocationFeed, RevocationTable};

/// A [`RevocationFeed`] inside one process, for tests and single-binary
/// apps: every [`Revocations`](super::Revocations) built on a clone of it
/// sees every revocation published through any clone. Nothing survives a
/// restart; use a Redis, PostgreSQL or SQLite feed when that matters.
#[derive(Clone)]
pub struct MemoryFeed {
    shared: Arc<Shared>,
}

struct Shared {
    /// Every revocation of the window with its sequence number, oldest first.
    log: Mutex<Log>,
    /// The sequence number of the next revocation, for followers to wait on.
    published: watch::Sender<u64>,
}

#[derive(Default)]
struct Log {
    entries: VecDeque<(u64, Revocation)>,
    next: u64,
}

impl MemoryFeed {
    /// An empty feed.
    pub fn new() -> Self {
        MemoryFeed {
            shared: Arc::new(Shared {
                log: Mutex::new(Log::default()),
                published: watch::Sender::new(0),
            }),
        }
    }

    /// How many revocations the feed holds.
    pub fn len(&self) -> usize {
        self.log().entries.len()
    }

    /// How many followers are connected (each following handle counts one).
    pub fn followers(&self) -> usize {
        self.shared.published.receiver_count()
    }

    /// Whether the feed holds no revocation.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The revocations after sequence number `after` (all with `None`)
    /// within the window, and the last sequence number seen.
    fn since(&self, after: Option<u64>, window_start: u64) -> (Vec<Revocation>, Option<u64>) {
        let log = self.log();
        let fresh = log
            .entries
            .iter()
            .filter(|(seq, _)| after.is_none_or(|after| *seq > after))
            .filter(|(_, revocation)| revocation.at() >= window_start);
        let revocations = fresh.map(|(_, revocation)| revocation.clone()).collect();
        let last = log.next.checked_sub(1).or(after);
        (revocations, last)
    }
}

impl Default for MemoryFeed {
    fn default() -> Self {
        MemoryFeed::new()
    }
}

impl fmt::Debug for MemoryFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryFeed")
            .field("revocations", &self.len())
            .finish()
    }
}

impl RevocationFeed for MemoryFeed {
    fn publish<'a>(&'a self, revocation: &'a Revocation, keep_since: u64) -> FeedFuture<'a, ()> {
        Box::pin(async move {
            let next = {
                let mut log = self.log();
                log.entries.retain(|(_, kept)| kept.at() >= keep_since);
                let seq = log.next;
                log.entries.push_back((seq, revocation.clone()));
                log.next = seq + 1;
                log.next
            };
            self.shared.published.send_replace(next);
            Ok(())
        })
    }

    fn follow<'a>(&'a self, table: &'a RevocationTable) -> FeedFuture<'a, ()> {
        Box::pin(async move {
            // Subscribe before the replay, so nothing published in between
            // is missed: a change after it wakes the loop below.
            let mut published = self.shared.published.subscribe();
            let mut cursor = None;
            loop {
                published.borrow_and_update();
                let (fresh, last) = self.since(cursor, table.window_start());
                for revocation in &fresh {
                    table.apply(revocation);
                }
                cursor = last;
                table.heard();
                // A timeout is the heartbeat: one process cannot lose its feed.
                let _ = tokio::time::timeout(table.heartbeat(), published.changed()).await;
            }
        })
    }
}
