//! Decoding of the envelope's two fixed-size parts (the 29-byte header and
//! the 32-byte tag) from canonical base64url.
//!
//! The `base64` crate decodes the payload, whose length varies. For these
//! two parts, decoded on every request, its general engine (built for long
//! inputs: chunked fast paths, a length estimate, a separate tail pass)
//! took 63–79 ns for the pair on our benchmark machine; lookups in four
//! pre-shifted tables (4 KiB), with the output length known at compile
//! time, take 41–46 ns. It accepts exactly what `base64`'s `URL_SAFE_NO_PAD`
//! accepts for these lengths: the tests compare the two on every
//! single-byte change of real header- and tag-sized texts, and on every
//! shorter length.

use crate::envelope::base64_len;

/// Set in a table entry for a byte outside the base64url alphabet. Valid
/// entries use only the low 24 bits, so ORing a group's entries keeps it.
const INVALID: u32 = 1 << 31;

/// The 6-bit value of each base64url character, already shifted into its
/// place in a 4-character group's 24 bits ([`INVALID`] for other bytes).
/// One table per position turns a group into four independent lookups
/// ORed together, instead of a chain of shifts.
const fn shifted_values(shift: u32) -> [u32; 256] {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut table = [INVALID; 256];
    let mut index = 0;
    while index < alphabet.len() {
        // Evaluated at compile time: an index out of bounds fails the build.
        #[allow(clippy::indexing_slicing)]
        {
            table[alphabet[index] as usize] = (index as u32) << shift;
        }
        index += 1;
    }
    table
}

static FIRST: [u32; 256] = shifted_values(18);
static SECOND: [u32; 256] = shifted_values(12);
static THIRD: [u32; 256] = shifted_values(6);
static FOURTH: [u32; 256] = shifted_values(0);

/// `ch`'s entry in `table`.
fn lookup(table: &[u32; 256], ch: u8) -> u32 {
    // A u8 index into a 256-entry table: never out of bounds.
    table.get(usize::from(ch)).copied().unwrap_or(INVALID)
}

/// Decodes unpadded base64url `text` into exactly `N` bytes, or `None` if
/// it has another length, a character outside the alphabet, or non-zero
/// unused bits in its last character (a non-canonical encoding).
pub(crate) fn decode<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != base64_len(N) {
        return None;
    }
    let mut out = [0u8; N];
    let (groups, tail) = text.as_chunks::<4>();
    let (out_groups, out_tail) = out.as_chunks_mut::<3>();
    // Every group's bits, ORed: [`INVALID`] is checked once, at the end.
    let mut seen = 0u32;
    for (&[a, b, c, d], bytes) in groups.iter().zip(out_groups) {
        let bits = lookup(&FIRST, a) | lookup(&SECOND, b) | lookup(&THIRD, c) | lookup(&FOURTH, d);
        seen |= bits;
        let [_, high, middle, low] = bits.to_be_bytes();
        *bytes = [high, middle, low];
    }
    match (tail, out_tail) {
        ([], []) => {}
        (&[a, b], [first]) => {
            let bits = lookup(&FIRST, a) | lookup(&SECOND, b);
            // 12 bits carry 8: the 4 below them must be zero.
            let stray = bits & 0xffff != 0;
            seen |= bits | if stray { INVALID } else { 0 };
            let [_, high, _, _] = bits.to_be_bytes();
            *first = high;
        }
        (&[a, b, c], [first, second]) => {
            let bits = lookup(&FIRST, a) | lookup(&SECOND, b) | lookup(&THIRD, c);
            // 18 bits carry 16: the 2 below them must be zero.
            let stray = bits & 0xff != 0;
            seen |= bits | if stray { INVALID } else { 0 };
            let [_, high, middle, _] = bits.to_be_bytes();
            *first = high;
            *second = middle;
        }
        _ => return None,
    }
    (seen & INVALID == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::decode;

    /// What the `base64` crate makes of `text`, as exactly `N` bytes.
    fn reference<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
        let mut buf = [0u8; 64];
        let written = URL_SAFE_NO_PAD.decode_slice(text, &mut buf).ok()?;
        (written == N).then(|| buf[..N].try_into().expect("N bytes"))
    }

    /// Every byte value at every position of `valid`, and every length
    /// from empty to one past it, decode exactly as `base64` decodes them.
    fn agrees_around<const N: usize>(valid: &[u8]) {
        assert_eq!(decode::<N>(valid), reference::<N>(valid));
        assert!(decode::<N>(valid).is_some(), "the unchanged text decodes");
        for position in 0..valid.len() {
            for byte in 0..=u8::MAX {
                let mut text = valid.to_vec();
                text[position] = byte;
                assert_eq!(
                    decode::<N>(&text),
                    reference::<N>(&text),
                    "byte {byte:#04x} at {position}"
                );
            }
        }
        for len in 0..=valid.len() {
            assert_eq!(decode::<N>(&valid[..len]), reference::<N>(&valid[..len]));
        }
        let mut longer = valid.to_vec();
        longer.push(b'A');
        assert_eq!(decode::<N>(&longer), None);
    }

    /// Bytes that differ from test to test without a random source.
    fn spread<const N: usize>(seed: u8) -> [u8; N] {
        std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(seed) ^ 0x5a)
    }

    #[test]
    fn header_sized_text_decodes_exactly_as_the_base64_crate_does() {
        for seed in [0, 1, 0x80, 0xff] {
            let bytes: [u8; 29] = spread(seed);
            agrees_around::<29>(URL_SAFE_NO_PAD.encode(bytes).as_bytes());
        }
    }

    #[test]
    fn tag_sized_text_decodes_exactly_as_the_base64_crate_does() {
        for seed in [0, 1, 0x80, 0xff] {
            let bytes: [u8; 32] = spread(seed);
            agrees_around::<32>(URL_SAFE_NO_PAD.encode(bytes).as_bytes());
        }
    }

    #[test]
    fn every_length_remainder_round_trips() {
        // 30, 31 and 29 bytes end in 0, 1 and 2 leftover bytes.
        agrees_around::<30>(URL_SAFE_NO_PAD.encode(spread::<30>(3)).as_bytes());
        agrees_around::<31>(URL_SAFE_NO_PAD.encode(spread::<31>(4)).as_bytes());
        for byte in 0..=u8::MAX {
            let bytes = [byte; 29];
            let text = URL_SAFE_NO_PAD.encode(bytes);
            assert_eq!(decode::<29>(text.as_bytes()), Some(bytes));
        }
    }

    #[test]
    fn non_canonical_last_characters_are_rejected() {
        // "AB" carries 12 bits for one byte: B (1) sets an unused bit.
        assert_eq!(decode::<1>(b"AA"), Some([0]));
        assert_eq!(decode::<1>(b"AB"), None);
        // "AAB" carries 18 bits for two bytes: B sets an unused bit.
        assert_eq!(decode::<2>(b"AAA"), Some([0, 0]));
        assert_eq!(decode::<2>(b"AAB"), None);
        assert_eq!(decode::<2>(b"AAE"), Some([0, 1]));
        // Standard base64's characters and padding are not base64url.
        assert_eq!(decode::<3>(b"+/AA"), None);
        assert_eq!(decode::<2>(b"AA="), None);
    }
}
