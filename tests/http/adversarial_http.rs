//! Adversarial requests against the `multi_layer` example, sent by the test
//! kit's client with raw `Cookie` header lines: cookies moved between names,
//! hostile `Cookie` headers (many cookies, duplicates, empty names, quotes,
//! non-UTF-8, oversize values), and what ends up in `tracing` output. (The
//! layer sees the same header values over a socket: hyper passes the bytes
//! of a `Cookie` line through as they came.)
//!
//! Duplicate names: the layer tries the cookies called `T`'s name in the
//! order they were sent (all `Cookie` header lines, left to right) and the
//! first that opens wins; every one is tried, so planted cookies cannot push
//! the genuine one out of reach (the server's header size limit bounds the
//! work). When one
//! opens, the others are ignored and not cleared (a removal cookie would also
//! delete the valid one, which has the same name and path). When none opens,
//! the status reports the error of the first, and one removal cookie is sent.

use axum::body::Body;
use cookie::Cookie;
use http::header::COOKIE;
use http::{HeaderValue, Request, StatusCode};
use serde::{Deserialize, Serialize};
use session_seal::revocation::Revocations;
use session_seal::testing::{TestClient, TestClock, TestResponse};
use session_seal::{Keyring, SessionLayer, Tier, TypedSession};

use crate::app::{self, AdminSession, AppSessions};
use crate::common::logs::capture;
use crate::common::{dev_keyring, secret};

const T0: u64 = 1_750_000_000;

const BAD_SIGNATURE: &str = "rejected (session cookie signature is invalid)";
const MALFORMED: &str = "rejected (session cookie is malformed)";

/// The example behind a layer on `keyring` and `clock`: a client to make
/// fresh devices of.
fn start(keyring: Keyring, clock: &TestClock) -> TestClient {
    let layer = SessionLayer::<AppSessions>::new(keyring)
        .revocations(Revocations::local_with_clock::<AppSessions>(clock.reader()))
        .clock(clock.reader());
    TestClient::new(app::router(layer)).with_clock(clock.clone())
}

/// The example at `T0` with the development keyring, and its clock.
fn server() -> (TestClient, TestClock) {
    let clock = TestClock::at(T0);
    (start(dev_keyring(), &clock), clock)
}

/// Logs in on a fresh device and returns the cookie value the app set.
async fn login(app: &TestClient, path: &str, name: &str) -> String {
    let mut browser = app.device();
    let reply = browser.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    browser.cookie(name).expect("a session cookie").to_owned()
}

async fn admin_cookie(app: &TestClient, user_id: u64) -> String {
    login(app, &format!("/admin/login/{user_id}"), "admin_sid").await
}

/// GET `path` from a fresh device with exactly these `Cookie` header lines,
/// given as raw bytes (so they may be anything `HeaderValue` accepts,
/// including non-UTF-8).
async fn send(app: &TestClient, path: &str, cookie_lines: &[&[u8]]) -> TestResponse {
    let mut request = Request::get(path).body(Body::empty()).expect("request");
    for line in cookie_lines {
        let value = HeaderValue::from_bytes(line).expect("a valid header value");
        request.headers_mut().append(COOKIE, value);
    }
    app.device().send(request).await
}

/// The parsed `Set-Cookie`s for cookie `name`.
fn set_cookies_named(reply: &TestResponse, name: &str) -> Vec<Cookie<'static>> {
    reply
        .set_cookies()
        .into_iter()
        .filter_map(|line| Cookie::parse(line.to_owned()).ok())
        .filter(|cookie| cookie.name() == name)
        .collect()
}

/// Asserts the reply carries exactly one `Set-Cookie`, a removal of `name`.
fn assert_cleared(reply: &TestResponse, name: &str) {
    assert_eq!(reply.set_cookies().len(), 1, "{:?}", reply.set_cookies());
    let removal = &set_cookies_named(reply, name)[0];
    assert_eq!(removal.value(), "");
    assert_eq!(removal.max_age().map(|d| d.whole_seconds()), Some(0));
}

fn admin_says(reply: &TestResponse, text: &str) {
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), format!("{text}\n"));
}

// ---------------------------------------------------------------------------
// Cookies moved to other names
// ---------------------------------------------------------------------------

#[tokio::test]
async fn value_moved_to_any_other_cookie_name_is_absent_and_cleared() {
    let (app, _clock) = server();
    // (cookie name, its path, its whoami route, the app's label, login
    // route, whether the type is encrypted)
    let areas = [
        (
            "admin_sid",
            "/",
            "/admin/whoami",
            "admin",
            "/admin/login/1",
            true,
        ),
        (
            "tenant_sid",
            "/",
            "/tenant/whoami",
            "tenant",
            "/tenant/login/1/acme",
            false,
        ),
        (
            "ops_sid",
            "/ops",
            "/ops/whoami",
            "operator",
            "/ops/login/ada",
            false,
        ),
    ];
    let mut moved = 0;
    for (from_name, _, _, _, login_path, from_encrypted) in areas {
        let value = login(&app, login_path, from_name).await;
        for (to_name, to_path, whoami, label, _, to_encrypted) in areas {
            if to_name == from_name {
                continue;
            }
            let mut browser = app.device();
            browser.jar_mut().insert(to_name, &value, to_path);
            let reply = browser.get(whoami).await;
            assert_eq!(reply.status, StatusCode::OK);
            // Between two signed types the MAC key differs; between the
            // encrypted admin type and a signed one the format does.
            let reason = if from_encrypted == to_encrypted {
                BAD_SIGNATURE
            } else {
                MALFORMED
            };
            assert_eq!(
                reply.text(),
                format!("no {label} session: {reason}\n"),
                "{from_name} value sent as {to_name}"
            );
            assert_cleared(&reply, to_name);
            assert_eq!(browser.cookie(to_name), None);
            moved += 1;
        }
    }
    assert_eq!(moved, 6);
}

/// Another application's type: same secret, same cookie name as the admin
/// session, different namespace (encrypted too, so only the namespace in
/// the key derivation keeps them apart).
#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(
    cookie = "admin_sid",
    namespace = "other-app",
    max_age = "8h",
    encrypted
)]
struct OtherAppAdmin {
    user_id: u64,
    roles: Vec<String>,
}

#[tokio::test]
async fn same_name_cookie_of_another_namespace_is_rejected() {
    let (app, _clock) = server();
    let foreign = dev_keyring()
        .seal_at(
            &OtherAppAdmin {
                user_id: 1,
                roles: vec!["admin".into()],
            },
            T0,
        )
        .expect("seals");
    let header = format!("admin_sid={foreign}");
    let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
    admin_says(&reply, &format!("no admin session: {BAD_SIGNATURE}"));
    assert_cleared(&reply, "admin_sid");
    let reply = send(&app, "/admin/audit", &[header.as_bytes()]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_cleared(&reply, "admin_sid");
}

/// A sibling application's session: same secret, same namespace and JSON
/// shape and version as the example's admin session, another cookie name.
/// Encrypted like it: only the cookie name in the key derivation keeps the
/// two apart.
#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(
    cookie = "sibling_admin",
    namespace = "admin",
    version = 2,
    max_age = "8h",
    encrypted
)]
struct SiblingAdmin {
    user_id: u64,
    roles: Vec<String>,
}

session_seal::registry! {
    /// The sibling application's sessions.
    struct SiblingSessions { SiblingAdmin }
}

#[tokio::test]
async fn cookie_of_a_sibling_app_sharing_the_namespace_is_rejected() {
    async fn whoami(session: TypedSession<SiblingAdmin>) -> String {
        match session.get() {
            Some(admin) => format!("sibling admin {}", admin.user_id),
            None => format!("no sibling session: {}", session.status().label()),
        }
    }
    let (app, clock) = server();
    let admin_value = admin_cookie(&app, 42).await;
    let sibling = TestClient::new(
        axum::Router::new()
            .route("/whoami", axum::routing::get(whoami))
            .layer(SessionLayer::<SiblingSessions>::new(dev_keyring()).clock(clock.reader())),
    )
    .with_clock(clock);
    // Sanity: the sibling's own cookie works there.
    let own = dev_keyring()
        .seal_at(
            &SiblingAdmin {
                user_id: 5,
                roles: vec!["admin".into()],
            },
            T0,
        )
        .expect("seals");
    let header = format!("sibling_admin={own}");
    let reply = send(&sibling, "/whoami", &[header.as_bytes()]).await;
    assert_eq!(reply.text(), "sibling admin 5");
    // The example app's admin cookie, renamed: rejected and cleared.
    let header = format!("sibling_admin={admin_value}");
    let reply = send(&sibling, "/whoami", &[header.as_bytes()]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "no sibling session: bad_signature");
    assert_cleared(&reply, "sibling_admin");
}

#[tokio::test]
async fn any_changed_character_of_a_real_cookie_is_rejected() {
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    let mut sent = 0;
    // Every position of the value (header, payload and the whole tag).
    for index in 0..good.len() {
        if good.as_bytes()[index] == b'.' {
            continue;
        }
        let mut bytes = good.clone().into_bytes();
        bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
        let header = [b"admin_sid=".as_slice(), &bytes].concat();
        let reply = send(&app, "/admin/whoami", &[&header]).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            reply.text().starts_with("no admin session: rejected"),
            "byte {index}: {}",
            reply.text()
        );
        assert_cleared(&reply, "admin_sid");
        sent += 1;
    }
    assert_eq!(sent, good.len() - good.matches('.').count());
}

// ---------------------------------------------------------------------------
// Many cookies, duplicates
// ---------------------------------------------------------------------------

#[tokio::test]
async fn two_hundred_cookies_with_the_session_last() {
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    let mut pairs: Vec<String> = (0..199).map(|i| format!("c{i}=v{i}")).collect();
    pairs.push(format!("admin_sid={good}"));
    let header = pairs.join("; ");
    let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
    admin_says(&reply, "admin 42 roles=admin");
    assert!(reply.set_cookies().is_empty());
    let reply = send(&app, "/sessions", &[header.as_bytes()]).await;
    assert_eq!(reply.text(), "admin:  user 42 roles=admin\ntenant: none\n");
}

#[tokio::test]
async fn two_hundred_duplicates_are_all_tried() {
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    let header_with_good_at = |position: usize| {
        (0..200)
            .map(|i| {
                if i == position {
                    format!("admin_sid={good}")
                } else {
                    format!("admin_sid=junk{i}")
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    // Wherever the genuine cookie stands among planted ones, it opens, and
    // nothing is cleared (a removal would hit the genuine cookie too).
    for position in [0, 7, 8, 12, 100, 199] {
        let header = header_with_good_at(position);
        let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
        admin_says(&reply, "admin 42 roles=admin");
        assert!(reply.set_cookies().is_empty(), "position {position}");
    }
    // Without a genuine one, the first error is reported and one removal sent.
    let junk = (0..200)
        .map(|i| format!("admin_sid=junk{i}"))
        .collect::<Vec<_>>()
        .join("; ");
    let reply = send(&app, "/admin/whoami", &[junk.as_bytes()]).await;
    admin_says(&reply, &format!("no admin session: {MALFORMED}"));
    assert_cleared(&reply, "admin_sid");
    assert_eq!(reply.set_cookies().len(), 1, "{:?}", reply.set_cookies());
    // 200 copies of a valid cookie: one session, nothing written.
    let header = vec![format!("admin_sid={good}"); 200].join("; ");
    let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
    admin_says(&reply, "admin 42 roles=admin");
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn duplicate_names_first_that_opens_wins() {
    let (app, clock) = server();
    let one = admin_cookie(&app, 1).await;
    let two = admin_cookie(&app, 2).await;
    let ones = format!("admin_sid={one}; admin_sid={two}");
    admin_says(
        &send(&app, "/admin/whoami", &[ones.as_bytes()]).await,
        "admin 1 roles=admin",
    );
    let twos = format!("admin_sid={two}; admin_sid={one}");
    admin_says(
        &send(&app, "/admin/whoami", &[twos.as_bytes()]).await,
        "admin 2 roles=admin",
    );
    // Invalid ones before a valid one are skipped, and not cleared.
    let header = format!("admin_sid=garbage; admin_sid={two}x; admin_sid={two}; admin_sid={one}");
    let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
    admin_says(&reply, "admin 2 roles=admin");
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    // Across several Cookie header lines the order is line by line.
    let line_a = format!("x=1; admin_sid={two}");
    let line_b = format!("admin_sid={one}");
    admin_says(
        &send(
            &app,
            "/admin/whoami",
            &[line_b.as_bytes(), line_a.as_bytes()],
        )
        .await,
        "admin 1 roles=admin",
    );
    admin_says(
        &send(
            &app,
            "/admin/whoami",
            &[line_a.as_bytes(), line_b.as_bytes()],
        )
        .await,
        "admin 2 roles=admin",
    );
    // An expired duplicate first: the fresh one still wins.
    clock.advance(8 * 3600 - 10);
    let fresh = admin_cookie(&app, 3).await;
    clock.advance(20);
    let header = format!("admin_sid={one}; admin_sid={fresh}");
    admin_says(
        &send(&app, "/admin/whoami", &[header.as_bytes()]).await,
        "admin 3 roles=admin",
    );
}

#[tokio::test]
async fn when_no_duplicate_opens_the_first_error_is_reported() {
    let (app, clock) = server();
    let old = admin_cookie(&app, 1).await;
    let tenant = login(&app, "/tenant/login/1/acme", "tenant_sid").await;
    clock.advance(8 * 3600);
    let expired_first = format!("admin_sid={old}; admin_sid={tenant}");
    let reply = send(&app, "/admin/whoami", &[expired_first.as_bytes()]).await;
    admin_says(
        &reply,
        &format!(
            "no admin session: rejected (session expired at unix time {})",
            T0 + 8 * 3600
        ),
    );
    assert_cleared(&reply, "admin_sid");
    // A signed tenant value under the encrypted admin type's name: the
    // wrong format.
    let forged_first = format!("admin_sid={tenant}; admin_sid={old}");
    let reply = send(&app, "/admin/whoami", &[forged_first.as_bytes()]).await;
    admin_says(&reply, &format!("no admin session: {MALFORMED}"));
    assert_cleared(&reply, "admin_sid");
}

// ---------------------------------------------------------------------------
// Odd syntax: empty names, quotes, non-UTF-8, oversize
// ---------------------------------------------------------------------------

#[tokio::test]
async fn empty_names_and_values_have_defined_results() {
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    let with_empty_names = format!("=x; =; ; =={good}; admin_sid={good}");
    admin_says(
        &send(&app, "/admin/whoami", &[with_empty_names.as_bytes()]).await,
        "admin 42 roles=admin",
    );
    // An empty name never matches, even when it carries a valid value.
    let only_empty_name = format!("={good}");
    let reply = send(&app, "/admin/whoami", &[only_empty_name.as_bytes()]).await;
    admin_says(&reply, "no admin session: none");
    assert!(reply.set_cookies().is_empty());
    // A name without '=' is not a cookie; an empty value is a malformed one.
    for header in ["admin_sid", ";;;", " ; = ; ", "admin_sid;"] {
        let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
        admin_says(&reply, "no admin session: none");
        assert!(reply.set_cookies().is_empty(), "{header:?}");
    }
    for header in ["admin_sid=", "admin_sid= ", "admin_sid=;", "admin_sid=="] {
        let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
        admin_says(&reply, &format!("no admin session: {MALFORMED}"));
        assert_cleared(&reply, "admin_sid");
    }
}

#[tokio::test]
async fn quoted_values_and_names_are_not_unquoted() {
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    // RFC 6265 allows a DQUOTE-wrapped value; we never issue one, so a quoted
    // value is not ours: malformed, cleared.
    for header in [
        format!("admin_sid=\"{good}\""),
        format!("admin_sid=\"{good}"),
        format!("admin_sid={good}\""),
    ] {
        let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
        admin_says(&reply, &format!("no admin session: {MALFORMED}"));
        assert_cleared(&reply, "admin_sid");
    }
    // A quoted name is another name.
    let header = format!("\"admin_sid\"={good}");
    let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
    admin_says(&reply, "no admin session: none");
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn non_utf8_bytes_in_the_cookie_header_have_defined_results() {
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    let cat = |parts: &[&[u8]]| parts.concat();
    // Not UTF-8 in our cookie's value: malformed, cleared.
    for header in [
        cat(&[b"admin_sid=\xff\xfe"]),
        cat(&[b"admin_sid=", good.as_bytes(), b"\x80"]),
        cat(&[b"admin_sid=\xc3", good.as_bytes()]),
    ] {
        let reply = send(&app, "/admin/whoami", &[&header]).await;
        admin_says(&reply, &format!("no admin session: {MALFORMED}"));
        assert_cleared(&reply, "admin_sid");
    }
    // Not UTF-8 elsewhere: ignored.
    for header in [
        cat(&[b"junk=\xff\xfe\xfd; admin_sid=", good.as_bytes()]),
        cat(&[b"\xe2\x82=1; admin_sid=", good.as_bytes(), b"; \xff"]),
    ] {
        let reply = send(&app, "/admin/whoami", &[&header]).await;
        admin_says(&reply, "admin 42 roles=admin");
        assert!(reply.set_cookies().is_empty());
    }
    // Not UTF-8 in a name: that cookie is not ours.
    let header = cat(&[b"\xffadmin_sid=", good.as_bytes()]);
    let reply = send(&app, "/admin/whoami", &[&header]).await;
    admin_says(&reply, "no admin session: none");
}

#[tokio::test]
async fn oversize_cookie_values_are_absent_and_cleared() {
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    for size in [4097, 16 * 1024, 64 * 1024] {
        let padded = format!("{good}{}", "A".repeat(size - good.len()));
        for value in ["A".repeat(size), padded] {
            let header = format!("admin_sid={value}");
            let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
            admin_says(
                &reply,
                &format!(
                    "no admin session: rejected (session cookie is {size} bytes, over the 4096-byte limit)"
                ),
            );
            assert_cleared(&reply, "admin_sid");
        }
    }
    // A huge unrelated cookie next to a valid session changes nothing.
    let header = format!("big={}; admin_sid={good}", "B".repeat(60 * 1024));
    admin_says(
        &send(&app, "/admin/whoami", &[header.as_bytes()]).await,
        "admin 42 roles=admin",
    );
}

#[tokio::test]
async fn hostile_headers_never_cause_a_server_error() {
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    let tenant = login(&app, "/tenant/login/1/acme", "tenant_sid").await;
    let mut headers: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b";".to_vec(),
        b"=".to_vec(),
        b"\t".to_vec(),
        b"admin_sid=..".to_vec(),
        b"admin_sid=a.b.c".to_vec(),
        b"admin_sid=%00%01".to_vec(),
        b"admin_sid=\x80\x81\x82; tenant_sid=\xfe; ops_sid=\xff".to_vec(),
        format!("admin_sid={tenant}; tenant_sid={good}; ops_sid={good}").into_bytes(),
        format!("admin_sid={}", ".".repeat(5000)).into_bytes(),
        format!("admin_sid={}", "\u{2603}".repeat(100)).into_bytes(),
        "admin_sid=x; ".repeat(300).into_bytes(),
        "a=b;".repeat(1000).into_bytes(),
        format!("tenant_sid={good}=={good}").into_bytes(),
        b"admin_sid=\"\"; tenant_sid=\"; ops_sid=\\".to_vec(),
    ];
    headers.extend((0x80u8..=0xff).step_by(7).map(|b| {
        let mut h = b"admin_sid=".to_vec();
        h.extend_from_slice(&[b; 3]);
        h
    }));
    let routes: [(&str, &[StatusCode]); 6] = [
        ("/admin/whoami", &[StatusCode::OK]),
        ("/tenant/whoami", &[StatusCode::OK]),
        ("/ops/whoami", &[StatusCode::OK]),
        ("/sessions", &[StatusCode::OK]),
        ("/admin/audit", &[StatusCode::UNAUTHORIZED]),
        ("/ops/console", &[StatusCode::UNAUTHORIZED]),
    ];
    let mut requests = 0;
    for header in &headers {
        for (route, allowed) in routes {
            let reply = send(&app, route, &[header]).await;
            assert!(
                allowed.contains(&reply.status),
                "{route} with {:?}: {} {}",
                String::from_utf8_lossy(header),
                reply.status,
                reply.text()
            );
            assert!(!reply.text().is_empty());
            // Anything we write in answer to junk is a removal.
            for line in reply.set_cookies() {
                let cookie = Cookie::parse(line).expect("valid Set-Cookie");
                assert_eq!(cookie.value(), "", "{line}");
            }
            requests += 1;
        }
    }
    assert_eq!(requests, headers.len() * routes.len());
    // The server is still serving sessions afterwards.
    let header = format!("admin_sid={good}");
    admin_says(
        &send(&app, "/admin/whoami", &[header.as_bytes()]).await,
        "admin 42 roles=admin",
    );
}

#[test]
fn layer_debug_shows_key_ids_not_secrets() {
    let keyring = Keyring::new(secret(3)).with_previous(secret(1));
    let primary = keyring.primary_key_id();
    let layer =
        SessionLayer::<AppSessions>::new(keyring).revocations(Revocations::local::<AppSessions>());
    for shown in [format!("{layer:?}"), format!("{layer:#?}")] {
        assert!(shown.contains(&primary.to_string()), "{shown}");
        for byte in [1, 3] {
            let b64 = secret(byte).to_base64().to_string();
            assert!(!shown.contains(&b64[..12]), "{shown}");
        }
        assert!(
            !shown.contains("030303") && !shown.contains("010101"),
            "{shown}"
        );
    }
}

// ---------------------------------------------------------------------------
// tracing output
// ---------------------------------------------------------------------------

/// Fails if `log` contains `value`, any of its parts, or the secret.
fn assert_not_logged(log: &str, value: &str) {
    assert!(!value.is_empty());
    assert!(!log.contains(value), "cookie value in the log:\n{log}");
    for part in value.split('.').filter(|p| p.len() >= 12) {
        assert!(!log.contains(part), "cookie part {part} in the log:\n{log}");
        // Also no 16-character fragment of it.
        for start in (0..part.len().saturating_sub(16)).step_by(8) {
            let fragment = &part[start..start + 16];
            assert!(
                !log.contains(fragment),
                "fragment {fragment} logged:\n{log}"
            );
        }
    }
    let secret_b64 = secret(1).to_base64().to_string();
    assert!(
        !log.contains(&secret_b64[..16]),
        "secret in the log:\n{log}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn tampered_cookie_logs_name_and_reason_not_value() {
    let (log, _guard) = capture();
    let (app, _clock) = server();
    let good = admin_cookie(&app, 42).await;
    let (header, rest) = good.split_once('.').expect("dot");
    let mut payload = rest.as_bytes().to_vec();
    payload[2] = if payload[2] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{header}.{}", String::from_utf8(payload).expect("ascii"));
    let cookie_header = format!("admin_sid={tampered}");
    let reply = send(&app, "/admin/whoami", &[cookie_header.as_bytes()]).await;
    admin_says(&reply, &format!("no admin session: {BAD_SIGNATURE}"));

    let log = log.text();
    let line = log
        .lines()
        .find(|l| l.contains("treated as absent"))
        .unwrap_or_else(|| panic!("an event about the cookie:\n{log}"));
    assert!(line.contains("admin_sid"), "{line}");
    assert!(line.contains("bad_signature"), "{line}");
    assert_not_logged(&log, &tampered);
    assert_not_logged(&log, &good);
}

#[tokio::test(flavor = "current_thread")]
async fn another_types_cookie_logs_name_and_reason_not_value() {
    let (log, _guard) = capture();
    let (app, _clock) = server();
    let tenant = login(&app, "/tenant/login/7/acme-widgets", "tenant_sid").await;
    let header = format!("ops_sid={tenant}");
    let reply = send(&app, "/ops/console", &[header.as_bytes()]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    let log = log.text();
    let line = log
        .lines()
        .find(|l| l.contains("treated as absent"))
        .unwrap_or_else(|| panic!("an event about the cookie:\n{log}"));
    assert!(
        line.contains("ops_sid") && line.contains("bad_signature"),
        "{line}"
    );
    assert!(
        !log.contains("acme-widgets"),
        "payload content logged:\n{log}"
    );
    assert_not_logged(&log, &tenant);
}

#[tokio::test(flavor = "current_thread")]
async fn expired_cookie_logs_name_and_reason_not_value() {
    let (log, _guard) = capture();
    let (app, clock) = server();
    let mut browser = app.device();
    browser.get("/ops/login/ada").await;
    let value = browser.cookie("ops_sid").expect("ops cookie").to_owned();
    clock.advance(15 * 60);
    // The jar dropped it at its Max-Age; a browser whose clock lags sends it.
    browser.jar_mut().insert("ops_sid", &value, "/ops");
    let reply = browser.get("/ops/whoami").await;
    assert!(reply.text().contains("session expired"), "{}", reply.text());

    let log = log.text();
    let line = log
        .lines()
        .find(|l| l.contains("treated as absent"))
        .unwrap_or_else(|| panic!("an event about the cookie:\n{log}"));
    assert!(
        line.contains("ops_sid") && line.contains("expired"),
        "{line}"
    );
    assert_not_logged(&log, &value);
}

#[tokio::test(flavor = "current_thread")]
async fn reissue_under_rotation_logs_neither_old_nor_new_value() {
    let (log, _guard) = capture();
    let clock = TestClock::at(T0);
    let old = Keyring::new(secret(1))
        .seal_at(
            &AdminSession {
                user_id: 9,
                roles: vec!["admin".into()],
            },
            T0,
        )
        .expect("seals");
    let rotated = Keyring::new(secret(2))
        .with_previous(secret(1))
        .with_tier(Tier::Development);
    let app = start(rotated, &clock);
    let header = format!("admin_sid={old}");
    let reply = send(&app, "/admin/whoami", &[header.as_bytes()]).await;
    admin_says(&reply, "admin 9 roles=admin");
    let new = set_cookies_named(&reply, "admin_sid")[0].value().to_owned();
    assert!(!new.is_empty() && new != old);

    let log = log.text();
    let line = log
        .lines()
        .find(|l| l.contains("re-issuing"))
        .unwrap_or_else(|| panic!("a re-issue event:\n{log}"));
    assert!(
        line.contains("admin_sid") && line.contains("previous_key=true"),
        "{line}"
    );
    assert_not_logged(&log, &old);
    assert_not_logged(&log, &new);
    let secret_b64 = secret(2).to_base64().to_string();
    assert!(!log.contains(&secret_b64[..16]));
}

#[tokio::test(flavor = "current_thread")]
async fn oversize_and_malformed_cookies_log_only_name_and_reason() {
    let (log, _guard) = capture();
    let (app, _clock) = server();
    let big = "Q".repeat(5000);
    let header = format!("tenant_sid={big}; admin_sid=secret-looking-value-0123456789");
    send(&app, "/sessions", &[header.as_bytes()]).await;
    let log = log.text();
    let absent: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("treated as absent"))
        .collect();
    assert_eq!(absent.len(), 2, "{log}");
    assert!(
        absent
            .iter()
            .any(|l| l.contains("tenant_sid") && l.contains("too_large"))
    );
    assert!(
        absent
            .iter()
            .any(|l| l.contains("admin_sid") && l.contains("malformed"))
    );
    assert!(!log.contains("QQQQQQQQQQQQ"), "{log}");
    assert!(!log.contains("secret-looking"), "{log}");
}
