//! Test harness: the app on an ephemeral loopback port, and a small browser
//! (hyper-util client plus a cookie jar that honours Path, Max-Age and removal).

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod sql;
pub mod store;

/// Calls `$m!` with the name of every check of the store conformance
/// harness (`session_seal::store::conformance::CHECKS`, in its order), so
/// the test files that run them on each backend list them once.
/// `store_conformance.rs` asserts the list matches `CHECKS`.
#[allow(unused_macros)] // each test file uses a different part of the harness
macro_rules! with_every_check {
    ($m:ident) => {
        $m!(
            load_of_a_missing_key_is_none,
            create_then_load_returns_the_identical_record,
            create_over_a_live_row_conflicts,
            update_with_the_right_revision_saves_and_a_stale_one_conflicts,
            revisions_compare_exactly_near_u64_max,
            an_expired_row_reads_none_and_can_be_recreated,
            delete_returns_true_then_false,
            touch_moves_the_expiry_but_not_the_revision_or_data,
            list_user_returns_only_that_users_live_rows_oldest_first,
            delete_user_ends_all_or_all_but_one,
            a_user_change_moves_the_index_entry,
            a_row_off_its_users_route_is_refused,
            enforce_max_per_user_evicts_the_least_recently_used_never_keep,
            typed_operations_stay_in_their_namespace,
            move_session_replaces_the_row_and_its_index_entry,
            move_session_of_a_gone_row_is_gone_and_writes_nothing,
            move_session_at_a_stale_revision_conflicts_and_writes_nothing,
            move_session_without_expected_replaces_whatever_is_there,
            move_session_onto_a_live_key_conflicts,
            move_session_can_change_the_user,
            move_session_racing_delete_user_never_leaves_a_live_row,
            move_session_racing_save_lets_exactly_one_win,
        );
    };
}
#[allow(unused_imports)] // each test file uses a different part of the harness
pub(crate) use with_every_check;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use cookie::Cookie;
use http::header::{COOKIE, SET_COOKIE};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use session_seal::{Keyring, SessionSecret, Tier};

/// Serves `app` on 127.0.0.1 with an OS-chosen port; the server task ends
/// with the test's runtime.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Sends `request` and reads the whole response. Panics if the server does
/// not answer within 10 s or drops the connection: both are test failures.
pub async fn fetch(client: &Client<HttpConnector, Body>, request: Request<Body>) -> Reply {
    let response =
        tokio::time::timeout(std::time::Duration::from_secs(10), client.request(request))
            .await
            .expect("server answered within 10 s")
            .expect("connection not dropped");
    let status = response.status();
    let headers = response.headers().clone();
    let set_cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii Set-Cookie").to_owned())
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        headers,
        set_cookies,
        body: String::from_utf8(body.to_vec()).expect("utf-8 body"),
    }
}

/// A 32-byte secret of one repeated byte.
pub fn secret(byte: u8) -> SessionSecret {
    SessionSecret::from_bytes(&[byte; 32]).expect("32 bytes")
}

/// The development-tier keyring over `secret(1)` (no `Secure` by default).
pub fn dev_keyring() -> Keyring {
    Keyring::new(secret(1)).with_tier(Tier::Development)
}

/// A settable clock for `SessionLayer::clock`.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub fn at(now: u64) -> Self {
        TestClock(Arc::new(AtomicU64::new(now)))
    }
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
    pub fn reader(&self) -> impl Fn() -> u64 + Send + Sync + 'static {
        let clock = self.clone();
        move || clock.now()
    }
}

/// A stored cookie.
#[derive(Clone, Debug)]
pub struct Stored {
    pub name: String,
    pub value: String,
    pub path: String,
}

/// One response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Reply {
    /// The `Set-Cookie` lines for cookie `name`.
    pub fn set_cookies_named(&self, name: &str) -> Vec<Cookie<'static>> {
        self.set_cookies
            .iter()
            .filter_map(|line| Cookie::parse(line.clone()).ok())
            .filter(|c| c.name() == name)
            .collect()
    }
}

/// A minimal browser: sends matching cookies, stores `Set-Cookie`s.
pub struct Browser {
    client: Client<HttpConnector, Body>,
    addr: SocketAddr,
    pub jar: Vec<Stored>,
}

impl Browser {
    pub fn new(addr: SocketAddr) -> Self {
        Browser {
            client: Client::builder(TokioExecutor::new()).build_http(),
            addr,
            jar: Vec::new(),
        }
    }

    /// GET `path` with the jar's matching cookies, then apply `Set-Cookie`s.
    pub async fn get(&mut self, path: &str) -> Reply {
        let header = self.cookie_header(path);
        self.get_with_cookie_header(path, header.as_deref()).await
    }

    /// GET `path` with exactly this `Cookie` header (or none), then apply `Set-Cookie`s.
    pub async fn get_with_cookie_header(&mut self, path: &str, cookies: Option<&str>) -> Reply {
        let mut request = Request::get(format!("http://{}{path}", self.addr));
        if let Some(cookies) = cookies {
            request = request.header(COOKIE, cookies);
        }
        let request = request.body(Body::empty()).expect("request");
        let reply = fetch(&self.client, request).await;
        for line in &reply.set_cookies {
            self.store(line);
        }
        reply
    }

    /// The stored value of cookie `name` (any path).
    pub fn value(&self, name: &str) -> Option<String> {
        self.jar
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.value.clone())
    }

    /// Puts a cookie in the jar directly (as an attacker or a tampering user would).
    pub fn plant(&mut self, name: &str, value: &str, path: &str) {
        self.jar.retain(|c| !(c.name == name && c.path == path));
        self.jar.push(Stored {
            name: name.into(),
            value: value.into(),
            path: path.into(),
        });
    }

    fn cookie_header(&self, path: &str) -> Option<String> {
        let pairs: Vec<String> = self
            .jar
            .iter()
            .filter(|c| path_matches(&c.path, path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    fn store(&mut self, line: &str) {
        let cookie = Cookie::parse(line.to_owned()).expect("valid Set-Cookie");
        let path = cookie.path().unwrap_or("/").to_owned();
        let name = cookie.name().to_owned();
        self.jar.retain(|c| !(c.name == name && c.path == path));
        let removal = cookie.max_age().is_some_and(|age| age.whole_seconds() <= 0);
        if !removal {
            self.jar.push(Stored {
                name,
                value: cookie.value().to_owned(),
                path,
            });
        }
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    let request_path = request_path.split('?').next().unwrap_or("/");
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}
