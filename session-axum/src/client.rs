//! Who the client of a request is, for the metadata of a store-mode login
//! ([`SessionMeta`]): its address (the peer, or behind trusted proxies the
//! forwarding header's right-most untrusted hop) and its user agent.
//!
//! Read once per request, when a store-mode type is first extracted, and
//! turned into a [`SessionMeta`] only when a row is created. Nothing here
//! panics on what a client sends: a header that does not parse gives no
//! address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::Extensions;
use http::header::{FORWARDED, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use session_core::store::SessionMeta;

use crate::config::LayerConfig;

/// `X-Forwarded-For` (not in `http`'s list of standard headers).
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Which header the layer's trusted proxies put the client's address in
/// (see [`SessionLayer::trusted_proxies`](crate::SessionLayer::trusted_proxies)).
///
/// Only the one header your proxies write is read: a proxy that appends to
/// `X-Forwarded-For` passes a client's own `Forwarded` header through
/// untouched (and the other way round), so reading both would let a client
/// name its own address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx's
    /// `$proxy_add_x_forwarded_for`, HAProxy's `option forwardfor`, most
    /// load balancers). The default.
    #[default]
    XForwardedFor,
    /// RFC 7239's `Forwarded: for=client, for=proxy1`: the `for=` of each
    /// element (an IPv4 address, `"[IPv6]"`, either with a port; `unknown`
    /// and obfuscated names give no address).
    Forwarded,
}

/// What a request says of its client, kept until a row is created.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestClient {
    addr: Option<IpAddr>,
    /// The raw header: copied into the row only at a login.
    user_agent: Option<HeaderValue>,
}

impl RequestClient {
    /// Reads the client of a request with `headers` and `extensions` as
    /// `config` says (nothing with metadata off).
    pub(crate) fn read(config: &LayerConfig, headers: &HeaderMap, extensions: &Extensions) -> Self {
        if !config.session_metadata {
            return RequestClient::default();
        }
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        RequestClient {
            addr: client_addr(peer, headers, &config.trusted_proxies, config.proxy_header),
            user_agent: headers.get(USER_AGENT).cloned(),
        }
    }

    /// The metadata a row created now records.
    pub(crate) fn meta(&self) -> SessionMeta {
        let user_agent = self.user_agent.as_ref().map(|value| {
            // Only what can be kept: no more bytes than the limit are
            // decoded (a cut character becomes U+FFFD, and is cut again).
            let bytes = value.as_bytes();
            let kept = bytes
                .get(..SessionMeta::MAX_USER_AGENT_LEN)
                .unwrap_or(bytes);
            String::from_utf8_lossy(kept)
        });
        SessionMeta::new(self.addr, user_agent.as_deref())
    }
}

/// The client's address: `None` without a peer address (the app was not
/// served with connect info); the peer unless it is one of `trusted`; for
/// a trusted peer, the right-most hop of `header` that is not itself
/// trusted (or, if every hop is trusted, the left-most: the request came
/// from trusted hosts only). A hop that is not an address (a malformed
/// header, `unknown`, an obfuscated name) before an untrusted one is found
/// gives `None`: what lies left of it cannot be vouched for.
pub(crate) fn client_addr(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
    header: ProxyHeader,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |addr: &IpAddr| trusted.contains(addr);
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut farthest = peer;
    let mut take = |hop: Option<IpAddr>| -> Result<Option<IpAddr>, ()> {
        let addr = hop.ok_or(())?.to_canonical();
        if is_trusted(&addr) {
            farthest = addr;
            Ok(None)
        } else {
            Ok(Some(addr))
        }
    };
    let found = match header {
        ProxyHeader::XForwardedFor => {
            let mut found = Ok(None);
            'values: for value in headers.get_all(X_FORWARDED_FOR).iter().rev() {
                let Ok(value) = value.to_str() else {
                    found = Err(());
                    break;
                };
                for hop in value
                    .rsplit(',')
                    .map(str::trim)
                    .filter(|hop| !hop.is_empty())
                {
                    found = take(parse_hop(hop));
                    if !matches!(found, Ok(None)) {
                        break 'values;
                    }
                }
            }
            found
        }
        ProxyHeader::Forwarded => {
            let mut found = Ok(None);
            match forwarded_hops(headers) {
                None => found = Err(()),
                Some(hops) => {
                    for hop in hops.into_iter().rev() {
                        found = take(hop);
                        if !matches!(found, Ok(None)) {
                            break;
                        }
                    }
                }
            }
            found
        }
    };
    match found {
        Ok(Some(addr)) => Some(addr),
        Ok(None) => Some(farthest),
        Err(()) => None,
    }
}

/// An address as a forwarding header writes it: `192.0.2.1`,
/// `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(addr) = hop.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(addr) = hop.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<std::net::Ipv6Addr>().ok())
        .map(IpAddr::V6)
}

/// The `for=` of every element of the request's `Forwarded` headers, in
/// order (`None` for an element without one or whose value is not an
/// address); `None` for a header that does not parse.
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for value in headers.get_all(FORWARDED) {
        let value = value.to_str().ok()?;
        for element in split_outside_quotes(value, ',')? {
            if element.trim().is_empty() {
                continue;
            }
            let mut hop = None;
            for pair in split_outside_quotes(element, ';')? {
                let Some((name, value)) = pair.split_once('=') else {
                    if pair.trim().is_empty() {
                        continue;
                    }
                    return None;
                };
                if name.trim().eq_ignore_ascii_case("for") {
                    hop = unquote(value.trim()).and_then(parse_hop);
                }
            }
            hops.push(hop);
        }
    }
    Some(hops)
}

/// `text` split at each `separator` outside double quotes; `None` if a
/// quoted string is not closed.
fn split_outside_quotes(text: &str, separator: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if c == separator && !quoted => {
                parts.push(text.get(start..at)?);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    parts.push(text.get(start..)?);
    Some(parts)
}

/// A token, or a quoted string without its quotes (`None` if it holds an
/// escape: no address needs one).
fn unquote(value: &str) -> Option<&str> {
    match value.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').filter(|inner| !inner.contains('\\')),
        None => Some(value),
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const INNER_PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
    const SPOOFED: IpAddr = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4));

    fn headers(name: HeaderName, values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(name.clone(), HeaderValue::from_static(value));
        }
        headers
    }

    fn xff(peer: IpAddr, values: &[&'static str]) -> Option<IpAddr> {
        let headers = headers(X_FORWARDED_FOR, values);
        client_addr(
            Some(peer),
            &headers,
            &[PROXY, INNER_PROXY],
            ProxyHeader::XForwardedFor,
        )
    }

    fn forwarded(peer: IpAddr, values: &[&'static str]) -> Option<IpAddr> {
        let headers = headers(FORWARDED, values);
        client_addr(
            Some(peer),
            &headers,
            &[PROXY, INNER_PROXY],
            ProxyHeader::Forwarded,
        )
    }

    #[test]
    fn without_a_peer_there_is_no_address_whatever_the_headers_say() {
        let headers = headers(X_FORWARDED_FOR, &["203.0.113.9"]);
        assert_eq!(
            client_addr(None, &headers, &[PROXY], ProxyHeader::XForwardedFor),
            None
        );
    }

    #[test]
    fn an_untrusted_peer_is_the_client_and_its_headers_are_ignored() {
        assert_eq!(xff(CLIENT, &["1.2.3.4"]), Some(CLIENT));
        assert_eq!(xff(CLIENT, &["not an address"]), Some(CLIENT));
        assert_eq!(forwarded(CLIENT, &["for=1.2.3.4"]), Some(CLIENT));
        // No proxies configured: every peer is untrusted.
        let headers = headers(X_FORWARDED_FOR, &["1.2.3.4"]);
        assert_eq!(
            client_addr(Some(PROXY), &headers, &[], ProxyHeader::XForwardedFor),
            Some(PROXY)
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        assert_eq!(xff(PROXY, &["203.0.113.9"]), Some(CLIENT));
        // A client's own spoofed entry is left of the one its proxy added.
        assert_eq!(xff(PROXY, &["1.2.3.4, 203.0.113.9"]), Some(CLIENT));
        assert_eq!(
            xff(PROXY, &["1.2.3.4, 203.0.113.9, 10.0.0.2"]),
            Some(CLIENT)
        );
        // Several header lines are one list, in order.
        assert_eq!(
            xff(PROXY, &["1.2.3.4", "203.0.113.9", "10.0.0.2"]),
            Some(CLIENT)
        );
        assert_eq!(
            xff(PROXY, &["1.2.3.4, 203.0.113.9", " , 10.0.0.2 ,"]),
            Some(CLIENT)
        );
        // Ports and brackets, as some proxies write them.
        assert_eq!(xff(PROXY, &["203.0.113.9:4711"]), Some(CLIENT));
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x17));
        for value in ["2001:db8::17", "[2001:db8::17]", "[2001:db8::17]:4711"] {
            let mut headers = HeaderMap::new();
            headers.insert(X_FORWARDED_FOR, HeaderValue::from_static(value));
            assert_eq!(
                client_addr(Some(PROXY), &headers, &[PROXY], ProxyHeader::XForwardedFor),
                Some(v6),
                "{value}"
            );
        }
        // IPv4 in IPv6 is IPv4, for the peer, the hops and the trust list.
        let mapped = IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        assert_eq!(xff(mapped, &["::ffff:203.0.113.9"]), Some(CLIENT));
        assert_eq!(xff(CLIENT, &[]).map(|addr| addr.is_ipv4()), Some(true));
    }

    #[test]
    fn when_every_hop_is_trusted_the_farthest_one_is_the_client() {
        assert_eq!(xff(PROXY, &[]), Some(PROXY), "no header: the proxy itself");
        assert_eq!(xff(PROXY, &["10.0.0.2"]), Some(INNER_PROXY));
        assert_eq!(xff(PROXY, &["10.0.0.2, 10.0.0.1"]), Some(INNER_PROXY));
        assert_eq!(xff(PROXY, &[""]), Some(PROXY), "an empty list");
    }

    #[test]
    fn a_malformed_hop_before_an_untrusted_one_gives_no_address() {
        for value in [
            "garbage",
            "203.0.113.9, garbage",
            "unknown",
            "203.0.113.9 10.0.0.2",
            "1.2.3.4.5",
            "[2001:db8::1",
            "2001:db8::1]",
            "[203.0.113.9]",
            "203.0.113.9:99999",
            "\u{7f}",
        ] {
            let mut headers = HeaderMap::new();
            if let Ok(header) = HeaderValue::from_str(value) {
                headers.insert(X_FORWARDED_FOR, header);
            }
            assert_eq!(
                client_addr(Some(PROXY), &headers, &[PROXY], ProxyHeader::XForwardedFor),
                if headers.is_empty() {
                    Some(PROXY)
                } else {
                    None
                },
                "{value:?}"
            );
        }
        // Garbage left of the client's own entry is never reached.
        assert_eq!(xff(PROXY, &["garbage, 203.0.113.9"]), Some(CLIENT));
        // Bytes that are not visible ASCII.
        let mut headers = HeaderMap::new();
        headers.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"203.0.113.9\xff").expect("obs-text is a valid value"),
        );
        assert_eq!(
            client_addr(Some(PROXY), &headers, &[PROXY], ProxyHeader::XForwardedFor),
            None
        );
    }

    #[test]
    fn the_forwarded_header_is_read_only_when_configured() {
        assert_eq!(forwarded(PROXY, &["for=203.0.113.9"]), Some(CLIENT));
        assert_eq!(
            forwarded(
                PROXY,
                &["for=1.2.3.4, for=203.0.113.9;proto=https;by=10.0.0.1"]
            ),
            Some(CLIENT)
        );
        assert_eq!(
            forwarded(PROXY, &["For=\"203.0.113.9:4711\"", "for=10.0.0.2"]),
            Some(CLIENT)
        );
        assert_eq!(
            forwarded(PROXY, &["for=\"[2001:db8:cafe::17]:4711\""]),
            Some(IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 0xcafe, 0, 0, 0, 0, 0x17
            )))
        );
        // A quoted comma does not split an element.
        assert_eq!(
            forwarded(PROXY, &["for=1.2.3.4;by=\"a,b\", for=203.0.113.9"]),
            Some(CLIENT)
        );
        for bad in [
            "for=unknown",
            "for=_hidden",
            "proto=https",
            "for=\"203.0.113.9",
            "for",
            "for=\"\\1.2.3.4\"",
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(FORWARDED, HeaderValue::from_static(bad));
            assert_eq!(
                client_addr(Some(PROXY), &headers, &[PROXY], ProxyHeader::Forwarded),
                None,
                "{bad}"
            );
        }
        // Configured for `Forwarded`, `X-Forwarded-For` is ignored, and the
        // other way round: a proxy passes the other one through untouched.
        let mut both = headers(X_FORWARDED_FOR, &["1.2.3.4"]);
        both.insert(FORWARDED, HeaderValue::from_static("for=203.0.113.9"));
        assert_eq!(
            client_addr(Some(PROXY), &both, &[PROXY], ProxyHeader::Forwarded),
            Some(CLIENT)
        );
        assert_eq!(
            client_addr(Some(PROXY), &both, &[PROXY], ProxyHeader::XForwardedFor),
            Some(SPOOFED)
        );
    }

    #[test]
    fn long_or_hostile_headers_never_panic() {
        let long = format!("{}203.0.113.9", "10.0.0.2, ".repeat(2000));
        let mut headers = HeaderMap::new();
        headers.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_str(&long).expect("ascii"),
        );
        headers.insert(FORWARDED, HeaderValue::from_str(&long).expect("ascii"));
        for header in [ProxyHeader::XForwardedFor, ProxyHeader::Forwarded] {
            let _ = client_addr(Some(PROXY), &headers, &[PROXY, INNER_PROXY], header);
        }
        for value in [
            ",,,,", "\"", "\"\"", ";;;", "=", "for=", "for=\"\"", "[]", "[", "]:",
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(X_FORWARDED_FOR, HeaderValue::from_static(value));
            headers.insert(FORWARDED, HeaderValue::from_static(value));
            for header in [ProxyHeader::XForwardedFor, ProxyHeader::Forwarded] {
                let _ = client_addr(Some(PROXY), &headers, &[PROXY], header);
            }
        }
    }

    #[test]
    fn the_user_agent_is_bounded_and_decoded_lossily() {
        let client = |value: HeaderValue| RequestClient {
            addr: Some(CLIENT),
            user_agent: Some(value),
        };
        let meta = client(HeaderValue::from_static("Mozilla/5.0 (X11)")).meta();
        assert_eq!(meta.user_agent(), Some("Mozilla/5.0 (X11)"));
        assert_eq!(meta.client_addr(), Some(CLIENT));
        let long = "a".repeat(10_000);
        let meta = client(HeaderValue::from_str(&long).expect("ascii")).meta();
        assert_eq!(
            meta.user_agent().map(str::len),
            Some(SessionMeta::MAX_USER_AGENT_LEN)
        );
        let latin1 = HeaderValue::from_bytes(b"Agent \xe9t\xe9").expect("obs-text");
        assert_eq!(
            client(latin1).meta().user_agent(),
            Some("Agent \u{fffd}t\u{fffd}")
        );
        assert!(RequestClient::default().meta().is_empty());
    }
}
