//! Unit tests of [`MemoryStore`] beyond the conformance checks: expiry at
//! its exact instant, the sweep's interval, and the per-user index emptied
//! with its last row.
use super::*;
use crate::store::tests::{NOW, block_on, create, key_for, row};

fn index_len(store: &MemoryStore) -> usize {
    store.lock().users.len()
}

#[test]
fn a_row_is_live_until_the_second_it_expires() {
    let store = MemoryStore::new();
    let key = key_for(Some("alice"));
    let record = row(Some("alice"), NOW);
    create(&store, &key, &record);
    let expires_at = record.expires_at;
    assert!(
        block_on(store.load(&key, expires_at - 1))
            .expect("memory")
            .is_some()
    );
    assert_eq!(
        block_on(store.load(&key, expires_at)).expect("memory"),
        None
    );
    // A touch at the expiry finds nothing live and changes nothing.
    assert!(!block_on(store.touch(&key, expires_at + 100, expires_at)).expect("memory"));
    assert!(block_on(store.touch(&key, expires_at + 100, expires_at - 1)).expect("memory"));
    let touched = block_on(store.load(&key, expires_at)).expect("memory");
    let touched = touched.expect("touched before it expired");
    assert_eq!(
        (touched.touched_at, touched.expires_at),
        (expires_at - 1, expires_at + 100)
    );
}

#[test]
fn purge_removes_exactly_the_expired_rows_and_their_index_entries() {
    let store = MemoryStore::new();
    assert!(store.is_empty());
    let (early, late) = (key_for(Some("alice")), key_for(Some("bob")));
    let early_row = row(Some("alice"), NOW);
    let late_row = Record {
        expires_at: early_row.expires_at + 1,
        ..row(Some("bob"), NOW)
    };
    create(&store, &early, &early_row);
    create(&store, &late, &late_row);
    assert_eq!(
        (store.len(), store.is_empty(), index_len(&store)),
        (2, false, 2)
    );
    assert_eq!(store.purge_expired(early_row.expires_at - 1), 0);
    assert_eq!(store.purge_expired(early_row.expires_at), 1);
    assert_eq!((store.len(), index_len(&store)), (1, 1));
    assert!(
        block_on(store.load(&late, early_row.expires_at))
            .expect("memory")
            .is_some()
    );
    assert_eq!(store.purge_expired(late_row.expires_at), 1);
    assert_eq!(
        (store.len(), store.is_empty(), index_len(&store)),
        (0, true, 0)
    );
    assert_eq!(format!("{store:?}"), "MemoryStore { rows: 0 }");
}

#[test]
fn a_user_keeps_an_index_entry_only_while_they_have_rows() {
    let store = MemoryStore::new();
    let (one, two) = (key_for(Some("alice")), key_for(Some("alice")));
    create(&store, &one, &row(Some("alice"), NOW));
    create(&store, &two, &row(Some("alice"), NOW));
    let anonymous = key_for(None);
    create(&store, &anonymous, &row(None, NOW));
    assert_eq!(index_len(&store), 1);
    assert!(block_on(store.delete(&one)).expect("memory"));
    assert_eq!(index_len(&store), 1, "alice still has a session");
    assert!(block_on(store.delete(&two)).expect("memory"));
    assert_eq!(index_len(&store), 0, "her last one is gone");
    assert!(block_on(store.delete(&anonymous)).expect("memory"));
    assert!(!block_on(store.delete(&anonymous)).expect("memory"));
    assert!(store.is_empty());
}

#[test]
fn writes_sweep_expired_rows_at_most_once_a_minute() {
    let store = MemoryStore::new();
    // The first write sweeps (the store has never swept) and sets the clock.
    create(&store, &key_for(None), &row(None, NOW));
    assert_eq!(store.lock().last_sweep, NOW);
    let expired = Record {
        expires_at: NOW + 1,
        ..row(None, NOW)
    };
    create(&store, &key_for(None), &expired);
    assert_eq!(store.len(), 2);
    // 59 s later the expired row is still held; at 60 s a write sweeps it.
    let save_at = |at: u64| {
        let outcome = block_on(store.save(&key_for(None), &row(None, at), None, at));
        assert_eq!(outcome.expect("memory"), SaveOutcome::Saved);
    };
    save_at(NOW + 59);
    assert_eq!(store.len(), 3, "no sweep within the minute");
    save_at(NOW + 60);
    assert_eq!(store.len(), 3, "swept the expired row, added one");
    assert_eq!(store.lock().last_sweep, NOW + 60);
    // A move sweeps too.
    let expired = Record {
        expires_at: NOW + 61,
        ..row(None, NOW + 60)
    };
    let old = key_for(None);
    create(&store, &old, &expired);
    let from = key_for(None);
    create(&store, &from, &row(None, NOW + 60));
    assert_eq!(store.len(), 5);
    let change = Move::new(
        from,
        Some(1),
        key_for(None),
        row(None, NOW + 120),
        NOW + 120,
    )
    .expect("anonymous");
    assert_eq!(
        block_on(store.move_session(&change)).expect("memory"),
        MoveOutcome::Moved
    );
    assert_eq!(
        store.len(),
        4,
        "the expired row swept, the moved one in place"
    );
    assert_eq!(block_on(store.load(&old, NOW)).expect("memory"), None);
}

#[test]
fn delete_user_counts_what_it_removed_and_spares_keep() {
    let store = MemoryStore::new();
    let keys: Vec<StoreKey> = (0..3).map(|_| key_for(Some("alice"))).collect();
    for key in &keys {
        create(&store, key, &row(Some("alice"), NOW));
    }
    let bob = key_for(Some("bob"));
    create(&store, &bob, &row(Some("bob"), NOW));
    let removed = block_on(store.delete_user("acct", "alice", Some(&keys[0])));
    assert_eq!(removed.expect("memory"), 2);
    assert_eq!(store.len(), 2);
    let removed = block_on(store.delete_user("acct", "alice", None));
    assert_eq!(removed.expect("memory"), 1);
    let removed = block_on(store.delete_user("acct", "alice", None));
    assert_eq!(removed.expect("memory"), 0);
    assert!(block_on(store.load(&bob, NOW)).expect("memory").is_some());
}

#[test]
fn list_user_is_oldest_first_and_live_only() {
    let store = MemoryStore::new();
    let (young, old, dead) = (
        key_for(Some("alice")),
        key_for(Some("alice")),
        key_for(Some("alice")),
    );
    create(&store, &young, &row(Some("alice"), NOW));
    create(&store, &old, &row(Some("alice"), NOW - 100));
    create(
        &store,
        &dead,
        &Record {
            expires_at: NOW + 10,
            ..row(Some("alice"), NOW - 200)
        },
    );
    let listed = block_on(store.list_user("acct", "alice", NOW + 10)).expect("memory");
    let keys: Vec<StoreKey> = listed.iter().map(|session| session.key).collect();
    assert_eq!(keys, vec![old, young]);
    assert_eq!(listed[0].created_at, NOW - 100);
}
