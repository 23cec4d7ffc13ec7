//! How a store-mode session id travels and rests: as the payload of its
//! cookie (a JSON string of its base64url text) and, in the store, as a
//! hash bound to its namespace (see the [module docs](super)).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Bytes of a session id.
pub(crate) const ID_LEN: usize = 24;
/// Length of a session id in base64url without padding.
const ID_B64_LEN: usize = 32;
/// Bytes of an id (and of its store key) that carry the route.
pub(crate) const ROUTE_LEN: usize = 2;
/// Domain separation of the at-rest hash.
const STORE_KEY_DOMAIN: &[u8] = b"session-seal/store/v1\0";
/// Domain separation of a rotated refresh id's tombstone key.
const TOMBSTONE_KEY_DOMAIN: &[u8] = b"session-seal/tombstone/v1\0";
/// Domain separation of a user's route.
const USER_ROUTE_DOMAIN: &[u8] = b"session-seal/route/v1\0";

/// The payload sealed into a store-mode cookie: `"` base64url(id) `"`, in
/// a buffer wiped when dropped.
pub(crate) fn id_json(id: &[u8; ID_LEN]) -> Zeroizing<Vec<u8>> {
    let mut text = Zeroizing::new([0u8; ID_B64_LEN]);
    // The output is exactly the encoded length, so this cannot fail; if it
    // did, an empty id would not open as any session.
    let written = URL_SAFE_NO_PAD
        .encode_slice(id, &mut *text)
        .unwrap_or_default();
    let mut json = Zeroizing::new(Vec::with_capacity(ID_B64_LEN + 2));
    json.push(b'"');
    json.extend_from_slice(text.get(..written).unwrap_or_default());
    json.push(b'"');
    json
}

/// The id in an opened store-mode payload: exactly `"` and the canonical
/// base64url of 24 bytes and `"`; anything else is `None`.
pub(crate) fn id_from_json(json: &[u8]) -> Option<[u8; ID_LEN]> {
    let text = json.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if text.len() != ID_B64_LEN {
        return None;
    }
    let mut room = [0u8; ID_LEN + 3];
    let written = URL_SAFE_NO_PAD.decode_slice(text, &mut room).ok()?;
    room.get(..written)?.try_into().ok()
}

/// The at-rest key of `namespace`'s session `id`: SHA-256 over the domain,
/// the namespace (length-prefixed) and the id, with the id's route in its
/// first two bytes.
pub(crate) fn store_key(namespace: &str, id: &[u8; ID_LEN]) -> [u8; 32] {
    routed_key(STORE_KEY_DOMAIN, namespace, id)
}

/// The at-rest key of the tombstone left by `namespace`'s refresh id `id`
/// when it is rotated: as [`store_key`] under its own domain, so a
/// tombstone never shares a key with a session row.
pub(crate) fn tombstone_key(namespace: &str, id: &[u8; ID_LEN]) -> [u8; 32] {
    routed_key(TOMBSTONE_KEY_DOMAIN, namespace, id)
}

/// SHA-256 over `domain`, the namespace (length-prefixed) and the id, with
/// the id's route in its first two bytes.
fn routed_key(domain: &[u8], namespace: &str, id: &[u8; ID_LEN]) -> [u8; 32] {
    let mut key: [u8; 32] = hash_with_namespace(domain, namespace, id);
    if let (Some(route), Some(from)) = (key.get_mut(..ROUTE_LEN), id.get(..ROUTE_LEN)) {
        route.copy_from_slice(from);
    }
    key
}

/// The route of every session of `user` in `namespace`.
pub(crate) fn user_route(namespace: &str, user: &str) -> u16 {
    let [high, low, ..] = hash_with_namespace(USER_ROUTE_DOMAIN, namespace, user.as_bytes());
    u16::from_be_bytes([high, low])
}

/// SHA-256 of `domain ‖ len8(namespace) ‖ namespace ‖ rest`.
fn hash_with_namespace(domain: &[u8], namespace: &str, rest: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(domain);
    hash.update([u8::try_from(namespace.len()).unwrap_or(u8::MAX)]);
    hash.update(namespace.as_bytes());
    hash.update(rest);
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_form_round_trips_and_nothing_else_reads() {
        let id = [7u8; ID_LEN];
        let json = id_json(&id);
        assert_eq!(json.len(), ID_B64_LEN + 2);
        assert_eq!(id_from_json(&json), Some(id));
        for bad in [
            &b""[..],
            b"\"\"",
            b"\"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH",
            b"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH",
            b"\"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH=\"",
            b"\"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc\"",
            b"\"+wcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\"",
        ] {
            assert_eq!(
                id_from_json(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
