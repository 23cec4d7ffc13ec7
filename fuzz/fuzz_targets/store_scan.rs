//! The layer's cookie scan plus store look-ups, through a real axum router
//! with the `SessionLayer` and a store that records every call.
//!
//! The input (format in `session_seal_fuzz::store_scan`) writes `Cookie`
//! header lines out of genuine sealed ids of two store-mode types (logged in:
//! their row exists; logged out: the seal opens, the row is gone), variants
//! of them (previous key, older, expired, another version or type), mutated
//! copies, other cookie names and junk. A handler extracts both types (and
//! the first again). For every input:
//!
//! - the answer is 200 (extraction never fails because of what the client
//!   sent) and nothing panics;
//! - per type, the store reads at most `min(4, distinct ids whose seal
//!   opens)` rows, never one row twice (issue 23: fault 1 read the row of
//!   every duplicate), and nothing is written;
//! - per type, the rows read are exactly, in order, the distinct opening ids
//!   in header order up to the first whose row exists, among the first four
//!   (the layer's rule: the first cookie that opens and whose row loads wins;
//!   browsers send the most specific cookie first);
//! - the handler sees that row's session (key and payload), or none, with
//!   the status of the first unusable cookie (`revoked` for a logged-out
//!   one); a second extractor of a type sees the same without reading again;
//! - `Set-Cookie`: the winning id re-sealed (byte for byte its canonical
//!   value) when its cookie was under the previous key or dies before its
//!   row, a removal when cookies were sent but none won, else nothing;
//! - every value that opens is one the fixture issued (no forgery opens).
#![no_main]

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};
use session_seal::store::{
    MemoryStore, Move, MoveOutcome, Record, SaveOutcome, SessionId, SessionStore, StoreFuture,
    StoreKey, UserSession,
};
use session_seal::{
    Keyring, OpenError, Registered, SessionLayer, SessionPayload, SessionSecret, SessionSpec,
    TypedSession,
};
use session_seal_fuzz::store_scan::*;
use session_seal_fuzz::{KEYRING, NOW, PREVIOUS};
use tower::ServiceExt as _;

/// The layer's documented cap: distinct rows read per type and request.
const MAX_STORE_LOOKUPS: usize = 4;

/// A signed-in account, in the store (indexed under its user).
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "acct",
    namespace = "acct",
    max_age = "8h",
    store,
    user = "user_id"
)]
pub struct AcctSession {
    pub user_id: u64,
    pub device: String,
}

/// `AcctSession`'s binding at schema version 2 (only to seal a value that
/// `AcctSession` must refuse as an unknown version).
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "acct",
    namespace = "acct",
    version = 2,
    max_age = "8h",
    store
)]
pub struct AcctV2 {
    pub user_id: u64,
}

/// An anonymous stored session (no user: random routes).
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "team", namespace = "team", max_age = "1h", store)]
pub struct TeamSession {
    pub team: String,
}

/// The specs, as statics (the model and the fixture hold references).
static ACCT_SPEC: SessionSpec = AcctSession::SPEC;
static TEAM_SPEC: SessionSpec = TeamSession::SPEC;

session_seal::registry! {
    /// The fuzzed layer's types.
    pub struct ScanSessions { AcctSession, TeamSession }
}

// ------------------------------------------------------------ counting store

/// The memory store behind a recorder: every `load` key in order, and a
/// count of every other call (all writes).
#[derive(Clone, Default)]
struct CountingStore {
    rows: MemoryStore,
    loads: Arc<Mutex<Vec<StoreKey>>>,
    writes: Arc<AtomicUsize>,
}

impl CountingStore {
    fn take_loads(&self) -> Vec<StoreKey> {
        std::mem::take(&mut *self.loads.lock().unwrap_or_else(PoisonError::into_inner))
    }
    fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }
}

impl SessionStore for CountingStore {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        self.loads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(*key);
        self.rows.load(key, now)
    }
    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        self.wrote();
        self.rows.save(key, record, expected, now)
    }
    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        self.wrote();
        self.rows.move_session(change)
    }
    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        self.wrote();
        self.rows.delete(key)
    }
    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        self.wrote();
        self.rows.touch(key, expires_at, now)
    }
    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        self.wrote();
        self.rows.list_user(namespace, user, now)
    }
    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        self.wrote();
        self.rows.delete_user(namespace, user, keep)
    }
}

// ------------------------------------------------------------------ the app

/// What one extractor saw: status label, row key (hex) or `-`, payload or `-`.
fn describe<T: Registered + Send + Sync + std::fmt::Debug + 'static>(
    session: &TypedSession<T>,
) -> String {
    format!(
        "{} {} {:?}\n",
        session.status().label(),
        session
            .store_key()
            .map_or_else(|| "-".to_owned(), |key| key.to_hex()),
        session.get(),
    )
}

async fn scan(
    acct: TypedSession<AcctSession>,
    team: TypedSession<TeamSession>,
    again: TypedSession<AcctSession>,
) -> String {
    [describe(&acct), describe(&team), describe(&again)].concat()
}

async fn login_acct(Path(n): Path<u64>, mut session: TypedSession<AcctSession>) -> StatusCode {
    match session.insert(acct_payload(n)) {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn login_team(Path(n): Path<u64>, mut session: TypedSession<TeamSession>) -> StatusCode {
    match session.insert(team_payload(n)) {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn logout(mut acct: TypedSession<AcctSession>, mut team: TypedSession<TeamSession>) {
    acct.remove();
    team.remove();
}

fn acct_payload(n: u64) -> AcctSession {
    AcctSession {
        user_id: 100 + n,
        device: format!("device-{n}"),
    }
}

fn team_payload(n: u64) -> TeamSession {
    TeamSession {
        team: format!("team-{n}"),
    }
}

// ------------------------------------------------------------------ fixture

/// One session type's side of the fixture.
struct Kind {
    cookie: &'static str,
    namespace: &'static str,
    spec: &'static SessionSpec,
    /// Every id a value of this type's seal can carry: the type's own
    /// (`0..IDS`) and, for `team`, the `acct` id sealed as a team value.
    ids: Vec<SessionId>,
    keys: Vec<StoreKey>,
    /// The row's payload, as the handler prints it, for the live ids.
    payloads: Vec<Option<String>>,
    /// The expiry of the live rows (all were written at `NOW`).
    row_expires_at: u64,
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: Router,
    store: CountingStore,
    /// Genuine values (index as in `store_scan`) with their cookie names.
    values: Vec<(&'static str, String)>,
    kinds: [Kind; 2],
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::build);

impl Fixture {
    fn build() -> Fixture {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
        let store = CountingStore::default();
        let layer = SessionLayer::<ScanSessions>::new(KEYRING.clone())
            .clock(|| NOW)
            .store(store.clone());
        let app = Router::new()
            .route("/", get(scan))
            .route("/login/acct/{n}", get(login_acct))
            .route("/login/team/{n}", get(login_team))
            .route("/logout", get(logout))
            .layer(layer);

        // Sign in `IDS` sessions of each type through the layer, then sign
        // out all but the first `LIVE`: their seals stay valid, rows gone.
        let mut issued: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        for (kind, name) in [(0, "acct"), (1, "team")] {
            for n in 0..u64::from(IDS) {
                let response = runtime.block_on(call(&app, &format!("/login/{name}/{n}"), &[]));
                assert_eq!(response.0, StatusCode::OK);
                let value = set_cookie_values(&response.1, name);
                assert_eq!(value.len(), 1, "login sets one cookie");
                issued[kind].push(value[0].clone());
            }
        }
        for kind in &issued {
            for value in &kind[usize::from(LIVE)..] {
                let line = format!("acct={value}; team={value}");
                let response = runtime.block_on(call(&app, "/logout", &[line.as_bytes()]));
                assert_eq!(response.0, StatusCode::OK);
            }
        }

        let acct_spec = &ACCT_SPEC;
        let team_spec = &TEAM_SPEC;
        let open = |spec, value: &str| {
            KEYRING
                .open_id_at(spec, value, NOW)
                .expect("a value the layer just issued opens")
                .payload
        };
        let acct_ids: Vec<SessionId> = issued[0].iter().map(|v| open(acct_spec, v)).collect();
        let mut team_ids: Vec<SessionId> = issued[1].iter().map(|v| open(team_spec, v)).collect();
        team_ids.push(acct_ids[1].clone());

        let previous = Keyring::new(SessionSecret::from_bytes(&PREVIOUS).expect("32 bytes"));
        let seal = |keyring: &Keyring, spec, id: &SessionId, at: u64| {
            keyring.seal_id_at(spec, id, at, at).expect("seals")
        };
        let mut values: Vec<(&'static str, String)> = Vec::new();
        values.extend(issued[0].iter().map(|v| ("acct", v.clone())));
        values.extend(issued[1].iter().map(|v| ("team", v.clone())));
        values.push(("acct", seal(&previous, acct_spec, &acct_ids[0], NOW)));
        values.push(("acct", seal(&KEYRING, acct_spec, &acct_ids[1], NOW - 100)));
        values.push(("acct", seal(&previous, acct_spec, &acct_ids[3], NOW)));
        values.push((
            "acct",
            seal(&KEYRING, acct_spec, &acct_ids[2], NOW - 2 * 86_400),
        ));
        values.push(("acct", seal(&KEYRING, &AcctV2::SPEC, &acct_ids[0], NOW)));
        values.push(("team", seal(&previous, team_spec, &team_ids[0], NOW)));
        values.push(("team", seal(&KEYRING, team_spec, &team_ids[4], NOW - 100)));
        values.push(("acct", seal(&KEYRING, team_spec, &acct_ids[1], NOW)));
        assert_eq!(values.len(), usize::from(GENUINE));
        // The canonical values are what the layer would re-seal to.
        for (kind, spec) in [(0, acct_spec), (1, team_spec)] {
            let ids = if kind == 0 { &acct_ids } else { &team_ids };
            for (value, id) in issued[kind].iter().zip(ids) {
                assert_eq!(
                    *value,
                    seal(&KEYRING, spec, id, NOW),
                    "sealing is deterministic"
                );
            }
        }

        let kind = |cookie, namespace, spec: &'static SessionSpec, ids: Vec<SessionId>| {
            let keys: Vec<StoreKey> = ids
                .iter()
                .map(|id| StoreKey::derive(namespace, id))
                .collect();
            let payloads = (0..ids.len())
                .map(|n| {
                    (n < usize::from(LIVE)).then(|| match cookie {
                        "acct" => format!("{:?}", Some(&acct_payload(n as u64))),
                        _ => format!("{:?}", Some(&team_payload(n as u64))),
                    })
                })
                .collect();
            Kind {
                cookie,
                namespace,
                spec,
                ids,
                keys,
                payloads,
                row_expires_at: spec.expiry(NOW, NOW),
            }
        };
        let kinds = [
            kind("acct", "acct", acct_spec, acct_ids),
            kind("team", "team", team_spec, team_ids),
        ];
        // The store holds exactly the live rows.
        for kind in &kinds {
            for (n, key) in kind.keys.iter().enumerate() {
                let row = runtime
                    .block_on(store.rows.load(key, NOW))
                    .expect("the memory store answers");
                assert_eq!(
                    row.is_some(),
                    n < usize::from(LIVE),
                    "{} row {n}",
                    kind.namespace
                );
            }
        }
        assert_eq!(store.rows.len(), 2 * usize::from(LIVE));
        store.take_loads();
        store.writes.store(0, Ordering::SeqCst);
        Fixture {
            runtime,
            app,
            store,
            values,
            kinds,
        }
    }
}

/// One request through the router: status, headers, body.
fn call(
    app: &Router,
    path: &str,
    cookie_lines: &[&[u8]],
) -> impl Future<Output = (StatusCode, HeaderMap, String)> + use<> {
    let mut request = Request::get(path);
    for line in cookie_lines {
        request = request.header(COOKIE, HeaderValue::from_bytes(line).expect("valid line"));
    }
    let request = request.body(Body::empty()).expect("a request");
    let app = app.clone();
    async move {
        let response = app.oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("an in-memory body");
        (
            parts.status,
            parts.headers,
            String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        )
    }
}

/// The values of the response's `Set-Cookie` headers for `name`.
fn set_cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|line| {
            let line = line.to_str().expect("our Set-Cookie is ASCII");
            let (pair, _) = line.split_once(';').unwrap_or((line, ""));
            let (cookie, value) = pair.split_once('=')?;
            (cookie == name).then(|| value.to_owned())
        })
        .collect()
}

// -------------------------------------------------------------- the input

/// The `Cookie` lines the input describes (each ≤ `MAX_HEADER` in total).
fn header_lines(data: &[u8], values: &[(&'static str, String)]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = vec![Vec::new()];
    let mut separator = SEPARATORS[0];
    let mut total = 0usize;
    let mut input = data.iter().copied();
    let mut next = move || input.next();
    while let Some(op) = next() {
        let mut arg = || next().unwrap_or(0);
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        let mut raw = false;
        let genuine = |i: u8| &values[usize::from(i % GENUINE)];
        match op % 8 {
            OP_REF => {
                let (name, value) = genuine(arg());
                let copies = usize::from(arg()) + 1;
                pieces.extend(std::iter::repeat_n(
                    format!("{name}={value}").into_bytes(),
                    copies,
                ));
            }
            OP_NAMED => {
                let name = NAMES[usize::from(arg()) % NAMES.len()];
                let (_, value) = genuine(arg());
                pieces.push(format!("{name}={value}").into_bytes());
            }
            OP_MUTATE => {
                let (name, value) = genuine(arg());
                let mut value = value.clone().into_bytes();
                let at = usize::from(arg()) % value.len();
                match arg() {
                    0 => value.truncate(at),
                    x => value[at] ^= x,
                }
                let mut pair = format!("{name}=").into_bytes();
                pair.extend(value);
                pieces.push(pair);
            }
            OP_JUNK => {
                let name = NAMES[usize::from(arg()) % NAMES.len()];
                let len = arg();
                let mut pair = format!("{name}=").into_bytes();
                pair.extend((0..len).map(|_| arg()));
                pieces.push(pair);
            }
            OP_RAW => {
                let len = arg();
                pieces.push((0..len).map(|_| arg()).collect());
                raw = true;
            }
            OP_LINE => {
                if lines.len() < MAX_LINES {
                    lines.push(Vec::new());
                }
                continue;
            }
            OP_WRAP => {
                let (name, value) = genuine(arg());
                let (before, after_eq, after) = WRAPS[usize::from(arg()) % WRAPS.len()];
                pieces.push(format!("{before}{name}={after_eq}{value}{after}").into_bytes());
            }
            _ => {
                separator = SEPARATORS[usize::from(arg()) % SEPARATORS.len()];
                continue;
            }
        }
        for piece in pieces {
            let line = lines.last_mut().expect("at least one line");
            let sep: &[u8] = if raw || line.is_empty() {
                b""
            } else {
                separator.as_bytes()
            };
            if total + sep.len() + piece.len() > MAX_HEADER {
                return lines;
            }
            total += sep.len() + piece.len();
            line.extend_from_slice(sep);
            line.extend_from_slice(&piece);
        }
    }
    lines
}

// -------------------------------------------------------------- the model

/// What the layer must do for one type, by its documented rule.
#[derive(Debug, PartialEq)]
struct Expected {
    /// Ids (index into the kind's table) read from the store, in order.
    loads: Vec<usize>,
    /// Distinct ids whose seal opened (anywhere in the header).
    distinct_opened: usize,
    /// The id whose session the handler gets, and whether its cookie is re-sealed.
    winner: Option<(usize, bool)>,
    /// The status label the handler sees.
    status: &'static str,
}

/// The values of every cookie called `name`, in order (`;`-separated pairs,
/// the first `=` splits, both sides trimmed of ASCII whitespace); the
/// `cookie_header` target holds the layer's scanner to this rule.
fn cookies<'h>(headers: &'h HeaderMap, name: &str) -> Vec<&'h [u8]> {
    let mut found = Vec::new();
    for line in headers.get_all(COOKIE) {
        for pair in line.as_bytes().split(|&b| b == b';') {
            if let Some(at) = pair.iter().position(|&b| b == b'=')
                && pair[..at].trim_ascii() == name.as_bytes()
            {
                found.push(pair[at + 1..].trim_ascii());
            }
        }
    }
    found
}

fn expect(kind: &Kind, headers: &HeaderMap) -> Expected {
    let mut first_error: Option<OpenError> = None;
    let mut loads: Vec<usize> = Vec::new();
    let mut opened_ids: Vec<usize> = Vec::new();
    let mut winner = None;
    let mut capped = false;
    // Each distinct value is opened once (inputs repeat values a lot).
    let mut outcomes: HashMap<&[u8], Result<(usize, bool), OpenError>> = HashMap::new();
    for value in cookies(headers, kind.cookie) {
        let outcome = *outcomes.entry(value).or_insert_with(|| {
            let opened = std::str::from_utf8(value)
                .map_err(|_| OpenError::Malformed)
                .and_then(|value| KEYRING.open_id_at(kind.spec, value, NOW))?;
            let Some(id) = kind.ids.iter().position(|id| *id == opened.payload) else {
                panic!(
                    "a {} cookie opened to an id never issued: {value:?}",
                    kind.cookie
                );
            };
            Ok((
                id,
                opened.expires_at < kind.row_expires_at || opened.previous_key,
            ))
        });
        let (id, reseal) = match outcome {
            Ok(opened) => opened,
            Err(error) => {
                if winner.is_none() && !capped {
                    first_error.get_or_insert(error);
                }
                continue;
            }
        };
        if !opened_ids.contains(&id) {
            opened_ids.push(id);
        }
        if winner.is_some() || capped || loads.contains(&id) {
            continue;
        }
        if loads.len() == MAX_STORE_LOOKUPS {
            capped = true;
            continue;
        }
        loads.push(id);
        if kind.payloads[id].is_some() {
            winner = Some((id, reseal));
        } else {
            first_error.get_or_insert(OpenError::Revoked);
        }
    }
    let status = match (winner, first_error) {
        (Some(_), _) => "valid",
        (None, Some(error)) => error.label(),
        (None, None) => "absent",
    };
    Expected {
        loads,
        distinct_opened: opened_ids.len(),
        winner,
        status,
    }
}

// ------------------------------------------------------------- the target

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let lines = header_lines(data, &fixture.values);
    let lines: Vec<&[u8]> = lines
        .iter()
        .map(Vec::as_slice)
        .filter(|line| HeaderValue::from_bytes(line).is_ok())
        .collect();
    let mut headers = HeaderMap::new();
    for line in &lines {
        headers.append(COOKIE, HeaderValue::from_bytes(line).expect("checked"));
    }

    let (status, response_headers, body) =
        fixture.runtime.block_on(call(&fixture.app, "/", &lines));
    let loads = fixture.store.take_loads();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        fixture.store.writes.swap(0, Ordering::SeqCst),
        0,
        "reading sessions wrote to the store"
    );

    let seen: Vec<&str> = body.lines().collect();
    assert_eq!(seen.len(), 3, "{body}");
    assert_eq!(
        seen[0], seen[2],
        "a second extractor sees what the first did"
    );

    let expected: Vec<Expected> = fixture
        .kinds
        .iter()
        .map(|kind| expect(kind, &headers))
        .collect();
    for (kind, expected) in fixture.kinds.iter().zip(&expected) {
        // Issue 23: at most one read per distinct id whose seal opens, and
        // at most four per type and request.
        let mine: Vec<&StoreKey> = loads.iter().filter(|key| kind.keys.contains(key)).collect();
        let bound = MAX_STORE_LOOKUPS.min(expected.distinct_opened);
        assert!(
            mine.len() <= bound,
            "{}: {} store reads for {} distinct opening ids (cap {MAX_STORE_LOOKUPS})",
            kind.cookie,
            mine.len(),
            expected.distinct_opened,
        );
        for (n, key) in mine.iter().enumerate() {
            assert!(
                !mine[..n].contains(key),
                "{}: a row read twice",
                kind.cookie
            );
        }
    }
    // Exactly the model's reads, in order: the extractors run in argument
    // order (`acct`, then `team`; the second `acct` reads nothing).
    let want: Vec<StoreKey> = fixture
        .kinds
        .iter()
        .zip(&expected)
        .flat_map(|(kind, expected)| expected.loads.iter().map(|&id| kind.keys[id]))
        .collect();
    assert_eq!(loads, want, "rows read");

    for ((kind, expected), seen) in fixture.kinds.iter().zip(&expected).zip(&seen) {
        let (key, payload) = match expected.winner {
            Some((id, _)) => (
                kind.keys[id].to_hex(),
                kind.payloads[id].clone().expect("a live id"),
            ),
            None => ("-".to_owned(), "None".to_owned()),
        };
        assert_eq!(
            *seen,
            format!("{} {key} {payload}", expected.status),
            "{}: what the handler saw",
            kind.cookie
        );

        let set = set_cookie_values(&response_headers, kind.cookie);
        match expected.winner {
            Some((id, true)) => {
                let index = usize::from(if kind.cookie == "acct" { ACCT } else { TEAM }) + id;
                assert_eq!(
                    set,
                    [fixture.values[index].1.clone()],
                    "{}: re-sealed",
                    kind.cookie
                );
            }
            Some((_, false)) => assert!(set.is_empty(), "{}: {set:?}", kind.cookie),
            None if expected.status == "absent" => {
                assert!(set.is_empty(), "{}: {set:?}", kind.cookie);
            }
            None => assert_eq!(set, [String::new()], "{}: removal", kind.cookie),
        }
    }
});
