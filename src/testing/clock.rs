//! [`TestClock`]: time that only moves when the test says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A settable clock in unix seconds, shared by the layer and the test client.
///
/// Give the layer [`reader`](Self::reader) and the client
/// [`TestClient::with_clock`](super::TestClient::with_clock) the same clock:
/// then cookies expire in the client's jar exactly when the layer stops
/// accepting them, and `advance` moves both.
///
/// ```
/// use session_seal::testing::TestClock;
///
/// let clock = TestClock::at(1_700_000_000);
/// let read = clock.reader();
/// clock.advance(3600);
/// assert_eq!(read(), 1_700_003_600);
/// ```
#[derive(Clone, Debug)]
pub struct TestClock(Arc<AtomicU64>);

impl TestClock {
    /// A clock standing at `now` (unix seconds).
    pub fn at(now: u64) -> Self {
        TestClock(Arc::new(AtomicU64::new(now)))
    }

    /// A clock standing at the real current time.
    pub fn now_real() -> Self {
        Self::at(session_core::unix_now())
    }

    /// The clock's time.
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets the clock to `now`.
    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// A function reading this clock, for
    /// [`SessionLayer::clock`](crate::SessionLayer::clock).
    pub fn reader(&self) -> impl Fn() -> u64 + Send + Sync + 'static {
        let clock = self.clone();
        move || clock.now()
    }
}
