//! Capturing what `tracing` logs during one test, in a binary whose tests
//! run in parallel.
//!
//! One global subscriber serves the whole binary and a thread-local picks
//! the buffer: events are kept only on a thread that is capturing, and the
//! others are not even formatted. (A per-test `set_default` is not reliable
//! while other tests run in parallel: a callsite first reached on a thread
//! without a subscriber can have its interest cached as "never" for every
//! thread.) Capture on a current-thread runtime (`#[tokio::test]`'s
//! default), so whatever the test awaits runs on the capturing thread.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once, PoisonError};

use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::{Layer as _, fmt};

/// What one test's thread logged (every level, TRACE and up).
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// Everything logged so far, as text.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

thread_local! {
    /// Where this thread's events go, if a test is capturing on it.
    static SINK: RefCell<Option<Capture>> = const { RefCell::new(None) };
}

fn capturing() -> bool {
    SINK.with(|sink| sink.borrow().is_some())
}

/// The global subscriber's writer: the capture of the emitting thread.
struct ThreadSink;

/// One event's writer.
struct SinkWriter(Option<Capture>);

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(capture) = &self.0 {
            capture
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> fmt::MakeWriter<'a> for ThreadSink {
    type Writer = SinkWriter;
    fn make_writer(&'a self) -> SinkWriter {
        SinkWriter(SINK.with(|sink| sink.borrow().clone()))
    }
}

/// Stops capturing on this thread when dropped.
pub struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        SINK.with(|sink| sink.borrow_mut().take());
    }
}

/// Captures every event emitted on this thread until the guard drops.
pub fn capture() -> (Capture, CaptureGuard) {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let layer = fmt::layer()
            .with_writer(ThreadSink)
            .with_ansi(false)
            .with_filter(dynamic_filter_fn(|_, _| capturing()));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
    let capture = Capture::default();
    SINK.with(|sink| *sink.borrow_mut() = Some(capture.clone()));
    (capture, CaptureGuard)
}
