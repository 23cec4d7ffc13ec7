//! The store-mode state of one session type within a request: the row in
//! use, how it relates to what the store holds, and what is still to write.

use session_core::store::{Record, SessionId, StoreKey};

/// One store-mode type's state within a request.
#[derive(Clone, Default)]
pub(crate) struct StoredState {
    /// The session in use, if any.
    pub(crate) current: Option<StoredSession>,
    /// Rows to delete at the next flush (sessions ended in this request).
    pub(crate) deletes: Vec<StoreKey>,
}

impl StoredState {
    /// Whether the store has not yet seen some change.
    pub(crate) fn has_work(&self) -> bool {
        !self.deletes.is_empty() || self.current.as_ref().is_some_and(|c| c.dirty)
    }
}

/// The session in use and how it relates to its row.
#[derive(Clone)]
pub(crate) struct StoredSession {
    pub(crate) id: SessionId,
    pub(crate) key: StoreKey,
    pub(crate) record: Record,
    /// The row's revision in the store under `key`; `None` until first
    /// written there.
    pub(crate) saved: Option<u64>,
    /// `record` differs from the row.
    pub(crate) dirty: bool,
    /// The row this session takes over when it is first written (its
    /// previous id), moved atomically.
    pub(crate) replaces: Option<Replaced>,
}

/// The row a session under a new id takes over.
#[derive(Clone, Copy)]
pub(crate) struct Replaced {
    pub(crate) key: StoreKey,
    /// `Some(revision)`: the same session continues (renewal, user change),
    /// so the old row must still be there at the revision this request
    /// read. `None`: a new login replaces whatever is there.
    pub(crate) expected: Option<u64>,
}

impl StoredSession {
    /// What this session takes over if it moves to a new id now.
    pub(crate) fn handover(&self, continues: bool) -> Option<Replaced> {
        match self.saved {
            Some(revision) => Some(Replaced {
                key: self.key,
                expected: continues.then_some(revision),
            }),
            None => self.replaces.map(|replaced| Replaced {
                expected: replaced.expected.filter(|_| continues),
                ..replaced
            }),
        }
    }

    /// Puts the session under `id` (not yet written there).
    pub(crate) fn move_to(&mut self, id: SessionId, namespace: &str, continues: bool) {
        self.replaces = self.handover(continues);
        self.key = StoreKey::derive(namespace, &id);
        self.id = id;
        self.saved = None;
        self.dirty = true;
    }
}
