//! [`SessionMeta`]: what the request that started a stored session said
//! about its client, for a "your devices" page.

use std::fmt;
use std::net::IpAddr;

use crate::fingerprint::Fingerprint;

/// What the request that started a store-mode session said about its
/// client: its address and its user agent. Recorded once, when the row is
/// created at login ([`StoreState::insert`](super::StoreState::insert));
/// renewals, updates, changes of user and touches keep it unchanged, so it
/// always describes the login. (The last-seen time is the row's
/// [`touched_at`](super::Record::touched_at).)
///
/// **Personal data.** A client address and a user agent identify a person
/// or their device, so they are stored only as long as the session's row
/// (they go with it at logout, expiry, eviction or a ban), and an adapter
/// may be told to record none of it (session-axum:
/// `SessionLayer::session_metadata(false)`).
///
/// Bounded whatever the request sent: the user agent is cut to
/// [`MAX_USER_AGENT_LEN`](Self::MAX_USER_AGENT_LEN) bytes at a character
/// boundary, with control characters (NUL, which PostgreSQL's `TEXT`
/// refuses, tabs, escapes) replaced by spaces and surrounding spaces
/// trimmed; an empty one is `None`. The address is an [`IpAddr`] (IPv4 in
/// IPv6, `::ffff:a.b.c.d`, as plain IPv4), stored as its text.
///
/// `Debug` tells only which parts are present, never their values (it
/// ends up in logs): use the accessors to show them.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct SessionMeta {
    client_addr: Option<IpAddr>,
    user_agent: Option<String>,
    fingerprint: Option<Fingerprint>,
}

impl SessionMeta {
    /// The longest user agent kept, in bytes (UTF-8). Browsers send about
    /// 100 to 150; longer ones are cut at a character boundary at or below
    /// this.
    pub const MAX_USER_AGENT_LEN: usize = 256;

    /// No metadata: what a row written with metadata off (or before it
    /// existed) holds.
    pub const NONE: SessionMeta = SessionMeta {
        client_addr: None,
        user_agent: None,
        fingerprint: None,
    };

    /// Metadata of a client at `client_addr` sending `user_agent`, bounded
    /// as the [type docs](Self) say.
    pub fn new(client_addr: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        SessionMeta {
            client_addr: client_addr.map(|addr| addr.to_canonical()),
            user_agent: user_agent.and_then(bounded_user_agent),
            fingerprint: None,
        }
    }

    /// The same metadata with the client's `fingerprint` (a type declared
    /// `#[session(fingerprint)]`; see [`crate::fingerprint`]). Recorded
    /// whatever the adapter's metadata setting: it is what the session is
    /// checked against, not a description of the device.
    #[must_use]
    pub fn with_fingerprint(mut self, fingerprint: Option<Fingerprint>) -> Self {
        self.fingerprint = fingerprint;
        self
    }

    /// The fingerprint of the browser that logged in, for a type that binds
    /// one (rows written before the type did have none).
    pub fn fingerprint(&self) -> Option<&Fingerprint> {
        self.fingerprint.as_ref()
    }

    /// The client's address, if known.
    pub fn client_addr(&self) -> Option<IpAddr> {
        self.client_addr
    }

    /// The client's user agent (bounded), if it sent one.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// Whether nothing is known: no address, user agent or fingerprint.
    pub fn is_empty(&self) -> bool {
        self.client_addr.is_none() && self.user_agent.is_none() && self.fingerprint.is_none()
    }
}

impl fmt::Debug for SessionMeta {
    /// Which parts are present, never their values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| present.then_some(Redacted);
        f.debug_struct("SessionMeta")
            .field("client_addr", &redacted(self.client_addr.is_some()))
            .field("user_agent", &redacted(self.user_agent.is_some()))
            .field("fingerprint", &redacted(self.fingerprint.is_some()))
            .finish()
    }
}

/// Shown for a value `Debug` keeps out of logs.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `user_agent` with control characters replaced by spaces, trimmed, and
/// cut to [`SessionMeta::MAX_USER_AGENT_LEN`] bytes at a character
/// boundary; `None` if nothing is left.
fn bounded_user_agent(user_agent: &str) -> Option<String> {
    let mut out = String::with_capacity(user_agent.len().min(SessionMeta::MAX_USER_AGENT_LEN));
    for c in user_agent.trim().chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > SessionMeta::MAX_USER_AGENT_LEN {
            break;
        }
        out.push(c);
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn user_agents_are_cut_at_a_char_boundary_within_the_limit() {
        let max = SessionMeta::MAX_USER_AGENT_LEN;
        let exact = "a".repeat(max);
        assert_eq!(
            SessionMeta::new(None, Some(&exact)).user_agent(),
            Some(&*exact)
        );
        let long = "b".repeat(max + 100);
        assert_eq!(
            SessionMeta::new(None, Some(&long))
                .user_agent()
                .map(str::len),
            Some(max)
        );
        // "é" is two bytes: 255 ASCII bytes then "é" would end at 257.
        let straddling = format!("{}é tail", "c".repeat(max - 1));
        let kept = SessionMeta::new(None, Some(&straddling));
        assert_eq!(kept.user_agent(), Some(&*"c".repeat(max - 1)));
        // Four-byte characters only: cut at a multiple of four.
        let emoji = "🦀".repeat(100);
        let kept = SessionMeta::new(None, Some(&emoji));
        assert_eq!(kept.user_agent().map(str::len), Some(max / 4 * 4));
    }

    #[test]
    fn control_characters_become_spaces_and_empty_is_none() {
        let meta = SessionMeta::new(None, Some(" Mozilla\0/5.0\t(X11)\r\n\u{1b}[31m "));
        assert_eq!(meta.user_agent(), Some("Mozilla /5.0 (X11)   [31m"));
        assert_eq!(SessionMeta::new(None, Some("")).user_agent(), None);
        assert_eq!(SessionMeta::new(None, Some(" \t\0 ")).user_agent(), None);
        assert!(SessionMeta::new(None, Some("\0")).is_empty());
        assert!(SessionMeta::NONE.is_empty());
        assert!(!SessionMeta::new(None, Some("Mozilla/5.0")).is_empty());
        let address = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
        assert!(!SessionMeta::new(Some(address), None).is_empty());
    }

    #[test]
    fn mapped_ipv4_addresses_are_plain_ipv4() {
        let mapped = IpAddr::V6(Ipv4Addr::new(203, 0, 113, 9).to_ipv6_mapped());
        let meta = SessionMeta::new(Some(mapped), None);
        assert_eq!(
            meta.client_addr(),
            Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)))
        );
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(SessionMeta::new(Some(v6), None).client_addr(), Some(v6));
        assert_eq!(SessionMeta::default(), SessionMeta::NONE);
    }

    #[test]
    fn a_fingerprint_is_kept_beside_the_client_and_read_back() {
        let fingerprint = Fingerprint::from_bytes([9; 16]);
        let meta = SessionMeta::new(None, Some("UA/1")).with_fingerprint(Some(fingerprint));
        assert_eq!(meta.fingerprint(), Some(&fingerprint));
        assert_eq!(meta.user_agent(), Some("UA/1"));
        let only = SessionMeta::NONE.with_fingerprint(Some(fingerprint));
        assert!(!only.is_empty());
        assert_eq!(only.fingerprint(), Some(&fingerprint));
        assert_eq!(SessionMeta::NONE.fingerprint(), None);
        assert_eq!(only.with_fingerprint(None), SessionMeta::NONE);
    }

    #[test]
    fn debug_shows_presence_never_values() {
        let meta = SessionMeta::new(
            Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7))),
            Some("SecretBrowser/1.0"),
        );
        let debug = format!("{meta:?}");
        assert!(!debug.contains("198.51"), "{debug}");
        assert!(!debug.contains("SecretBrowser"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert_eq!(
            format!("{:?}", SessionMeta::NONE),
            "SessionMeta { client_addr: None, user_agent: None, fingerprint: None }"
        );
    }
}
