//! Key names. Every key starts with the prefix and a hash tag holding a
//! route as four hex digits, so Redis Cluster puts a user's rows and index
//! (all on the user's route) in one slot.

use session_core::store::StoreKey;

/// The key names of one store (one prefix).
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    prefix: String,
}

/// `{rrrr}`: the hash tag of a route.
fn tag(route: u16) -> String {
    format!("{{{route:04x}}}")
}

impl Layout {
    /// `None` if `prefix` contains a brace: Redis would take a hash tag from
    /// it and the keys of one user could land in different slots.
    pub(crate) fn new(prefix: &str) -> Option<Self> {
        (!prefix.contains(['{', '}'])).then(|| Layout {
            prefix: prefix.to_owned(),
        })
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `<prefix>:{<route>}:row:<key hex>`.
    pub(crate) fn row(&self, key: &StoreKey) -> String {
        format!("{}:{}:row:{}", self.prefix, tag(key.route()), key.to_hex())
    }

    /// `<prefix>:{<user route>}:user:<namespace>:<user>`.
    pub(crate) fn index(&self, namespace: &str, user: &str) -> String {
        let route = StoreKey::user_route(namespace, user);
        format!("{}:{}:user:{namespace}:{user}", self.prefix, tag(route))
    }

    /// `<prefix>:{<user route>}:epoch:<namespace>:<user>`: a counter that
    /// every "log out everywhere" of the user raises, in the index's slot. A
    /// cross-slot move that must put a row back does so only if it is
    /// unchanged since the row was taken out (see the crate docs).
    pub(crate) fn epoch(&self, namespace: &str, user: &str) -> String {
        let route = StoreKey::user_route(namespace, user);
        format!("{}:{}:epoch:{namespace}:{user}", self.prefix, tag(route))
    }

    /// `<prefix>:revocations`: the stream of a
    /// [`RedisRevocationFeed`](crate::RedisRevocationFeed). One key, so in a
    /// cluster it lives in one slot (the feed's traffic is small).
    pub(crate) fn revocations(&self) -> String {
        format!("{}:revocations", self.prefix)
    }

    /// The row of index member `member` (a key's hex), if it is a key's
    /// canonical hex on `route`; `None` for junk, which no script may
    /// address (it could name a key in another slot).
    pub(crate) fn member_row(&self, route: u16, member: &[u8]) -> Option<String> {
        let key = std::str::from_utf8(member)
            .ok()
            .and_then(StoreKey::from_hex)?;
        (key.route() == route && key.to_hex().as_bytes() == member).then(|| self.row(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::store::SessionId;

    #[test]
    fn a_users_rows_and_index_share_one_hash_tag() {
        let layout = Layout::new("app").expect("no braces");
        let key = StoreKey::derive("admin", &SessionId::generate_for("admin", Some("alice")));
        let route = StoreKey::user_route("admin", "alice");
        let tag = format!("{{{route:04x}}}");
        assert_eq!(layout.row(&key), format!("app:{tag}:row:{}", key.to_hex()));
        assert_eq!(
            layout.index("admin", "alice"),
            format!("app:{tag}:user:admin:alice")
        );
        assert_eq!(
            layout.epoch("admin", "alice"),
            format!("app:{tag}:epoch:admin:alice")
        );
        assert_eq!(
            layout.member_row(route, key.to_hex().as_bytes()),
            Some(layout.row(&key))
        );
    }

    #[test]
    fn junk_members_and_braced_prefixes_are_refused() {
        let layout = Layout::new("app").expect("no braces");
        let key = StoreKey::from_bytes([0xab; 32]);
        assert_eq!(layout.member_row(0xabab, b"not hex"), None);
        assert_eq!(
            layout.member_row(0xabab, key.to_hex().to_uppercase().as_bytes()),
            None,
            "only the canonical form"
        );
        assert_eq!(
            layout.member_row(0x0001, key.to_hex().as_bytes()),
            None,
            "another route is another slot"
        );
        assert!(Layout::new("a{b}").is_none());
        assert!(Layout::new("a}").is_none());
    }
}
