//! The payload JSON of a seal, in a buffer that never grows and is wiped.

use std::io;

use zeroize::Zeroizing;

use super::{FIRST_SEAL_CAPACITY, MAX_JSON_LEN, MIN_SEALED_LEN};

/// The JSON of one payload being sealed as an encrypted value, in a
/// [`Zeroizing`] buffer that never grows and is wiped, spare capacity
/// included, when this is dropped.
pub(crate) struct PayloadJson {
    buf: Zeroizing<Vec<u8>>,
    /// The JSON's full length: the buffer holds all of it exactly when its
    /// length is this, which is always so up to [`MAX_JSON_LEN`].
    len: usize,
}

impl PayloadJson {
    /// Serializes `payload` into a buffer of [`FIRST_SEAL_CAPACITY`]. JSON
    /// that does not fit there but is short enough to seal is serialized
    /// once more, into a buffer of its exact length and room for format 2's
    /// nonce and tag (the first buffer is wiped as it is dropped). Longer
    /// JSON, which no cookie can carry, is kept only in part, with its full
    /// length for the `TooLarge` error.
    ///
    /// A `Serialize` impl whose second JSON is longer than its first gets
    /// that second JSON cut short too, and so is refused as too large: the
    /// buffer does not grow even then.
    ///
    /// `prefix` (a client fingerprint, or nothing) comes first, as part of
    /// the plaintext.
    pub(crate) fn serialize<P: serde::Serialize + ?Sized>(
        prefix: &[u8],
        payload: &P,
    ) -> Result<Self, serde_json::Error> {
        let json = Self::write(prefix, payload, FIRST_SEAL_CAPACITY)?;
        if json.len > json.buf.capacity() && json.len <= MAX_JSON_LEN {
            return Self::write(prefix, payload, json.len + MIN_SEALED_LEN);
        }
        Ok(json)
    }

    /// Serializes `prefix` and `payload` into a new buffer of `capacity`
    /// (which `prefix` fits).
    fn write<P: serde::Serialize + ?Sized>(
        prefix: &[u8],
        payload: &P,
        capacity: usize,
    ) -> Result<Self, serde_json::Error> {
        let mut buf = Zeroizing::new(Vec::with_capacity(capacity.max(prefix.len())));
        buf.extend_from_slice(prefix);
        let len = write_json(&mut buf, payload)?;
        Ok(PayloadJson { buf, len })
    }

    /// The JSON's full length, whether the buffer holds all of it or not.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The buffer, for sealing in place. Anything that writes to it must
    /// stay within its capacity.
    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

/// Serializes `payload` as JSON into `buf` after what it holds, without
/// ever growing it, and returns the full length (what `buf` held plus the
/// JSON).
///
/// Bytes that do not fit in `buf`'s spare capacity are counted and dropped,
/// so `buf` holds the whole JSON only when the returned length equals its
/// length.
pub(crate) fn write_json<P: serde::Serialize + ?Sized>(
    buf: &mut Vec<u8>,
    payload: &P,
) -> Result<usize, serde_json::Error> {
    let len = buf.len();
    let mut sink = FixedSink { buf, len };
    serde_json::to_writer(&mut sink, payload)?;
    Ok(sink.len)
}

/// The writer of [`write_json`]: appends within the capacity it was given,
/// and from the first write that does not fit on only counts.
struct FixedSink<'a> {
    buf: &'a mut Vec<u8>,
    /// Bytes written so far, kept or not. While this is within the
    /// capacity every write was kept; once past it nothing more is, so what
    /// is kept is always a prefix of the JSON.
    len: usize,
}

impl io::Write for FixedSink<'_> {
    // Inlined into serde_json's writes, as `Vec`'s own impl is: most write
    // a byte or two.
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.len = self.len.saturating_add(bytes.len());
        if self.len <= self.buf.capacity() {
            self.buf.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::FixedSink;

    #[test]
    fn the_sink_reports_every_byte_written_kept_or_not() {
        let mut buf = Vec::with_capacity(4);
        let capacity = buf.capacity();
        let mut sink = FixedSink {
            buf: &mut buf,
            len: 0,
        };
        // `write` takes all it is given, as `io::Write` requires of a writer
        // that does not fail (0 would mean it can take no more).
        assert_eq!(sink.write(b"abc").expect("infallible"), 3);
        assert_eq!(sink.write(b"de").expect("infallible"), 2);
        assert!(sink.flush().is_ok());
        assert_eq!(sink.len, 5);
        assert_eq!((buf.as_slice(), buf.capacity()), (&b"abc"[..], capacity));
    }
}
