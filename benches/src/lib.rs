//! Shared pieces of the benchmarks: the payload every case uses, the
//! hand-written floor (the least work any signed-cookie scheme can do), and
//! the peers' setups. Used by `benches/sessions.rs` and the `bench-server`
//! binary behind `http.sh`.
#![forbid(unsafe_code)]

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_extra::extract::cookie::Key;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use session_seal::store::{
    Move, MoveOutcome, PostgresStore, Record, RedisStore, RedisStoreConfig, SaveOutcome, SessionId,
    SessionStore, SqlStoreConfig, SqliteStore, StoreFuture, StoreKey, UserSession,
};
use session_seal::{Keyring, SessionError, SessionLayer, SessionSecret, TypedSession};
use sha2::Sha256;

/// The 149-byte payload of the benchmark issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "sid", namespace = "bench", max_age = "1d")]
pub struct BenchSession {
    /// A large user id.
    pub user_id: u64,
    /// Tenant slug.
    pub tenant: String,
    /// Role names.
    pub roles: Vec<String>,
    /// A CSRF token.
    pub csrf: String,
    /// When the user logged in.
    pub issued_at: u64,
}

/// The same payload kept in a session store: the cookie carries only an id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "ssid", namespace = "bench_store", max_age = "1d", store)]
pub struct StoredBenchSession {
    /// The benchmark payload.
    pub session: BenchSession,
}

/// The benchmark payload, encrypted (wire format 2): the row compared with
/// axum-extra's `PrivateCookieJar`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "esid", namespace = "bench_enc", max_age = "1d", encrypted)]
pub struct EncryptedBenchSession {
    /// A large user id.
    pub user_id: u64,
    /// Tenant slug.
    pub tenant: String,
    /// Role names.
    pub roles: Vec<String>,
    /// A CSRF token.
    pub csrf: String,
    /// When the user logged in.
    pub issued_at: u64,
}

/// The benchmark payload as a revocable cookie-mode type: the same JSON,
/// checked against the revocation table after its MAC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RevocableBenchSession(pub BenchSession);

impl session_seal::SessionPayload for RevocableBenchSession {
    const SPEC: session_seal::SessionSpec =
        session_seal::SessionSpec::builder("RevocableBenchSession", "rsid", "bench_rev")
            .max_age_secs(86_400)
            .absolute_max_age_secs(7 * 86_400)
            .revocable()
            .build();

    fn session_user(&self) -> Option<String> {
        Some(self.0.user_id.to_string())
    }
}

/// The benchmark payload as a signed type bound to the browser that
/// logged in (`fingerprint`): the same JSON after a 16-byte fingerprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FingerprintBenchSession(pub BenchSession);

impl session_seal::SessionPayload for FingerprintBenchSession {
    const SPEC: session_seal::SessionSpec =
        session_seal::SessionSpec::builder("FingerprintBenchSession", "fsid", "bench_fp")
            .max_age_secs(86_400)
            .fingerprint()
            .build();
}

/// The benchmark payload as an asymmetric type (wire format 3, Ed25519):
/// the same JSON, signed by the keyring, verified by public keys alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AsymmetricBenchSession(pub BenchSession);

impl session_seal::SessionPayload for AsymmetricBenchSession {
    const SPEC: session_seal::SessionSpec =
        session_seal::SessionSpec::builder("AsymmetricBenchSession", "asid", "bench_asym")
            .max_age_secs(86_400)
            .asymmetric()
            .build();
}

/// The `User-Agent` and `Accept-Language` of the fingerprint benchmarks: a
/// desktop browser's.
pub const BROWSER_HEADERS: [(&str, &str); 2] = [
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
    ),
    ("accept-language", "en-GB,en;q=0.9,de;q=0.8"),
];

session_seal::registry! {
    /// The session types of the benchmarks.
    pub struct BenchSessions {
        BenchSession, StoredBenchSession, EncryptedBenchSession, RevocableBenchSession,
        FingerprintBenchSession, AsymmetricBenchSession
    }
}

/// The session-seal handler of the read and write cases: reads the payload
/// in place (no clone), 401 without one; with `write`, re-seals the same
/// payload, as the floor's write case re-signs it.
pub async fn read_session(
    mut session: TypedSession<BenchSession>,
    write: bool,
) -> Result<StatusCode, SessionError> {
    let Some(user_id) = session.get().map(|p| p.user_id) else {
        return Ok(StatusCode::UNAUTHORIZED);
    };
    std::hint::black_box(user_id);
    if write {
        session.update(|p| {
            std::hint::black_box(&p.user_id);
        })?;
    }
    Ok(StatusCode::OK)
}

/// The benchmark payload's fields, for the hybrid-session types below
/// (each serializes to the same 149 bytes of JSON as [`BenchSession`]).
macro_rules! bench_fields_from {
    ($from:expr, $to:ident) => {{
        let from = $from;
        $to {
            user_id: from.user_id,
            tenant: from.tenant.clone(),
            roles: from.roles.clone(),
            csrf: from.csrf.clone(),
            issued_at: from.issued_at,
        }
    }};
}

/// Hybrid sessions: the refresh type, a login kept in the store whose id
/// rotates on every use (the benchmark payload, with a user).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, session_seal::SessionPayload)]
#[session(
    cookie = "refresh",
    namespace = "bench_refresh",
    store,
    user = "user_id"
)]
#[session(max_age = "30d", absolute_max_age = "90d")]
pub struct BenchLogin {
    /// A large user id.
    pub user_id: u64,
    /// Tenant slug.
    pub tenant: String,
    /// Role names.
    pub roles: Vec<String>,
    /// A CSRF token.
    pub csrf: String,
    /// When the user logged in.
    pub issued_at: u64,
}

/// Hybrid sessions: the access type (format 1, signed, five minutes),
/// refreshed from a [`BenchLogin`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, session_seal::SessionPayload)]
#[session(
    cookie = "access",
    namespace = "bench_access",
    max_age = "5m",
    user = "user_id"
)]
#[session(refresh = BenchLogin)]
pub struct BenchAccess {
    /// A large user id.
    pub user_id: u64,
    /// Tenant slug.
    pub tenant: String,
    /// Role names.
    pub roles: Vec<String>,
    /// A CSRF token.
    pub csrf: String,
    /// When the user logged in.
    pub issued_at: u64,
}

impl From<&BenchLogin> for BenchAccess {
    fn from(login: &BenchLogin) -> Self {
        bench_fields_from!(login, BenchAccess)
    }
}

/// [`BenchAccess`] without `refresh` (and so without `user`, which a plain
/// cookie-mode type cannot name): a cookie-mode type with the same payload
/// and lifetime (its cookie name as long), the row an access-cookie read
/// is compared with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "signed", namespace = "bench_signed", max_age = "5m")]
pub struct BenchPlainAccess {
    /// A large user id.
    pub user_id: u64,
    /// Tenant slug.
    pub tenant: String,
    /// Role names.
    pub roles: Vec<String>,
    /// A CSRF token.
    pub csrf: String,
    /// When the user logged in.
    pub issued_at: u64,
}

/// [`BenchLogin`] as an ordinary store-mode type (no refresh pairing): the
/// same payload, lifetimes and user, renewed with `renew()`, the row a
/// transparent refresh is compared with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "renewd", namespace = "bench_renew", store, user = "user_id")]
#[session(max_age = "30d", absolute_max_age = "90d")]
pub struct BenchRenewable {
    /// A large user id.
    pub user_id: u64,
    /// Tenant slug.
    pub tenant: String,
    /// Role names.
    pub roles: Vec<String>,
    /// A CSRF token.
    pub csrf: String,
    /// When the user logged in.
    pub issued_at: u64,
}

session_seal::registry! {
    /// The session types of the hybrid-session benchmarks.
    pub struct HybridBenchSessions {
        BenchPlainAccess, BenchAccess, BenchLogin, BenchRenewable
    }
}

/// The benchmark payload as a [`BenchLogin`].
pub fn bench_login() -> BenchLogin {
    bench_fields_from!(&payload(), BenchLogin)
}

/// The benchmark payload as a [`BenchAccess`].
pub fn bench_access() -> BenchAccess {
    bench_fields_from!(&payload(), BenchAccess)
}

/// The benchmark payload as a [`BenchPlainAccess`].
pub fn bench_plain_access() -> BenchPlainAccess {
    bench_fields_from!(&payload(), BenchPlainAccess)
}

/// The benchmark payload as a [`BenchRenewable`].
pub fn bench_renewable() -> BenchRenewable {
    bench_fields_from!(&payload(), BenchRenewable)
}

/// session-seal's keyring over [`SECRET`], keys derived for
/// [`HybridBenchSessions`] only.
pub fn hybrid_keyring() -> Keyring {
    let keyring =
        Keyring::new(SessionSecret::from_bytes(&SECRET).unwrap_or_else(|_| unreachable!()));
    keyring.prepare(<HybridBenchSessions as session_seal::Registry>::SPECS);
    keyring
}

/// Hybrid sessions and store-mode renewal behind one router on `store`:
///
/// - `GET /login` logs in ([`BenchLogin`] in the store, a [`BenchAccess`]
///   cookie), `GET /access` reads the access session (refreshing it
///   transparently when its cookie has expired), `GET /signed` reads a
///   [`BenchPlainAccess`] cookie: 200, or 401 without a session.
/// - `GET /renewable/login` starts a [`BenchRenewable`] in the store,
///   `GET /renewable/renew` renews it (200, 401 without one).
pub fn hybrid_router(keyring: Keyring, store: impl SessionStore) -> Router {
    Router::new()
        .route(
            "/access",
            get(|s: TypedSession<BenchAccess>| async move {
                match s.get() {
                    Some(p) => {
                        std::hint::black_box(p.user_id);
                        StatusCode::OK
                    }
                    None => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .route(
            "/signed",
            get(|s: TypedSession<BenchPlainAccess>| async move {
                match s.get() {
                    Some(p) => {
                        std::hint::black_box(p.user_id);
                        StatusCode::OK
                    }
                    None => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .route(
            "/login",
            get(|mut s: TypedSession<BenchAccess>| async move {
                s.login(bench_login()).await.map(|()| StatusCode::OK)
            }),
        )
        .route(
            "/renewable/login",
            get(|mut s: TypedSession<BenchRenewable>| async move {
                s.insert(bench_renewable()).map(|()| StatusCode::OK)
            }),
        )
        .route(
            "/renewable/renew",
            get(|mut s: TypedSession<BenchRenewable>| async move {
                match s.renew() {
                    Ok(true) => StatusCode::OK,
                    Ok(false) => StatusCode::UNAUTHORIZED,
                    Err(error) => error.status(),
                }
            }),
        )
        .layer(SessionLayer::<HybridBenchSessions>::new(keyring).store(store))
        .with_state(())
}

/// The `name=value` of the `Set-Cookie` of `response` that sets the cookie
/// `name` (not one that removes it), if any.
pub fn set_cookie(response: &axum::response::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter(|line| !line.contains("Max-Age=0"))
        .filter_map(|line| line.split(';').next())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(cookie, value)| cookie == name && !value.is_empty())
        })
        .map(str::to_owned)
}

/// The seconds since the epoch, as the layer's clock reads them.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// A GET of `path` through `router`, with `cookie` as its `Cookie` header.
///
/// # Panics
///
/// If `cookie` is not a header value.
pub async fn get_through(
    router: &Router,
    path: &str,
    cookie: Option<&str>,
) -> axum::response::Response {
    use tower_service::Service as _;
    let mut request = http::Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(http::header::COOKIE, cookie);
    }
    let request = request
        .body(axum::body::Body::empty())
        .expect("a cookie header value");
    let Ok(response) = router.clone().call(request).await;
    response
}

/// A [`BenchAccess`] cookie (`access=…`) that expired an hour ago.
///
/// # Panics
///
/// If `keyring` cannot seal (a verify-only keyring).
pub fn expired_access_cookie(keyring: &Keyring) -> String {
    let value = keyring
        .seal_at(&bench_access(), unix_now() - 3600)
        .expect("a keyring that seals");
    format!("access={value}")
}

/// The `Cookie` header of a request to be refreshed transparently through
/// a [`hybrid_router`]: `expired_access` and the refresh cookie of a new
/// login (made by this call).
///
/// # Panics
///
/// If the login sets no refresh cookie.
pub async fn refresh_header(router: &Router, expired_access: &str) -> String {
    let login = get_through(router, "/login", None).await;
    let refresh = set_cookie(&login, "refresh").expect("a refresh cookie");
    format!("{expired_access}; {refresh}")
}

/// The `Cookie` header of a request to be renewed through a
/// [`hybrid_router`]: a new [`BenchRenewable`]'s cookie (made by this call).
///
/// # Panics
///
/// If the login sets no cookie.
pub async fn renew_header(router: &Router) -> String {
    let login = get_through(router, "/renewable/login", None).await;
    set_cookie(&login, "renewd").expect("a store-mode cookie")
}

/// The id sealed in `cookie` (`name=value`, or the value alone) of the
/// store-mode `spec`.
///
/// # Panics
///
/// If `cookie` does not open as one.
pub fn id_of(keyring: &Keyring, spec: &session_seal::SessionSpec, cookie: &str) -> SessionId {
    let value = cookie.split_once('=').map_or(cookie, |(_, value)| value);
    keyring
        .open_id_at(spec, value, unix_now())
        .expect("a store-mode cookie of the type")
        .payload
}

/// Checks that `response`, to a request with the `Cookie` header `sent`
/// (from [`refresh_header`]), refreshed the login: 200, a new refresh
/// cookie and a new access cookie, the presented id's row gone and its
/// tombstone written. Then deletes the tombstone and the moved row.
///
/// # Panics
///
/// If any of this does not hold, or the store fails.
pub async fn check_refreshed(
    store: &dyn SessionStore,
    keyring: &Keyring,
    sent: &str,
    response: &axum::response::Response,
) {
    use session_seal::SessionPayload as _;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, sent_refresh) = sent.split_once("; ").expect("two cookies sent");
    let refresh = set_cookie(response, "refresh").expect("a new refresh cookie");
    assert_ne!(refresh, sent_refresh, "the refresh id rotates");
    assert!(
        set_cookie(response, "access").is_some(),
        "a new access cookie"
    );
    let spec = &BenchLogin::SPEC;
    let namespace = spec.namespace();
    let old = id_of(keyring, spec, sent_refresh);
    let new = id_of(keyring, spec, &refresh);
    let (old_key, new_key) = (
        StoreKey::derive(namespace, &old),
        StoreKey::derive(namespace, &new),
    );
    let gone = store.load(&old_key, unix_now()).await.expect("the store");
    assert!(gone.is_none(), "the row moved");
    let tombstone = StoreKey::tombstone(namespace, &old);
    assert!(
        store.delete(&tombstone).await.expect("the store"),
        "a tombstone"
    );
    let moved = store.delete(&new_key).await.expect("the store");
    assert!(moved, "the row under the new id");
}

/// Checks that `response`, to a request with the `Cookie` header `sent`
/// (from [`renew_header`]), renewed the session: 200, a new cookie, the
/// old id's row gone. Then deletes the moved row.
///
/// # Panics
///
/// If any of this does not hold, or the store fails.
pub async fn check_renewed(
    store: &dyn SessionStore,
    keyring: &Keyring,
    sent: &str,
    response: &axum::response::Response,
) {
    use session_seal::SessionPayload as _;
    assert_eq!(response.status(), StatusCode::OK);
    let renewed = set_cookie(response, "renewd").expect("a new store-mode cookie");
    assert_ne!(renewed, sent, "the id changes");
    let spec = &BenchRenewable::SPEC;
    let namespace = spec.namespace();
    let (old, new) = (id_of(keyring, spec, sent), id_of(keyring, spec, &renewed));
    let (old_key, new_key) = (
        StoreKey::derive(namespace, &old),
        StoreKey::derive(namespace, &new),
    );
    let gone = store.load(&old_key, unix_now()).await.expect("the store");
    assert!(gone.is_none(), "the row moved");
    let moved = store.delete(&new_key).await.expect("the store");
    assert!(moved, "the row under the new id");
}

/// A store that notes each call's name and how long it took, to check
/// (and time) what a request does with its store.
#[derive(Clone)]
pub struct CallLog<S> {
    inner: S,
    calls: Arc<Mutex<Vec<(&'static str, Duration)>>>,
}

impl<S> CallLog<S> {
    /// Logs the calls to `inner`.
    pub fn new(inner: S) -> Self {
        CallLog {
            inner,
            calls: Arc::default(),
        }
    }

    /// The calls since the last `take`, in order.
    pub fn take(&self) -> Vec<(&'static str, Duration)> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The names of the calls since the last `take`, in order.
    pub fn take_names(&self) -> Vec<&'static str> {
        self.take().into_iter().map(|(name, _)| name).collect()
    }
}

impl<S: SessionStore> CallLog<S> {
    /// `call()`, timed from the call (a store may do its work there, before
    /// returning a ready future) to its result.
    fn timed<'a, T: Send + 'a>(
        &'a self,
        name: &'static str,
        call: impl FnOnce() -> StoreFuture<'a, T>,
    ) -> StoreFuture<'a, T> {
        let start = Instant::now();
        let call = call();
        Box::pin(async move {
            let result = call.await;
            let elapsed = start.elapsed();
            self.calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((name, elapsed));
            result
        })
    }
}

impl<S: SessionStore> SessionStore for CallLog<S> {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        self.timed("load", || self.inner.load(key, now))
    }
    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        self.timed("save", || self.inner.save(key, record, expected, now))
    }
    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        self.timed("move_session", || self.inner.move_session(change))
    }
    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        self.timed("delete", || self.inner.delete(key))
    }
    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        self.timed("touch", || self.inner.touch(key, expires_at, now))
    }
    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        self.timed("list_user", || self.inner.list_user(namespace, user, now))
    }
    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        self.timed("delete_user", || {
            self.inner.delete_user(namespace, user, keep)
        })
    }
}

/// Store mode behind a router: `GET /login` starts a [`StoredBenchSession`]
/// in `store`, `GET /` reads it (200, or 401 without one).
pub fn stored_router(store: impl SessionStore) -> Router {
    Router::new()
        .route(
            "/",
            get(|s: TypedSession<StoredBenchSession>| async move {
                match s.get() {
                    Some(p) => {
                        std::hint::black_box(p.session.user_id);
                        StatusCode::OK
                    }
                    None => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .route(
            "/login",
            get(|mut s: TypedSession<StoredBenchSession>| async move {
                s.insert(StoredBenchSession { session: payload() })
                    .map(|()| StatusCode::OK)
            }),
        )
        // The load test's writes: a change to the payload, and a renewal
        // (the session moves to a new id; the response carries its cookie).
        .route(
            "/update",
            get(|mut s: TypedSession<StoredBenchSession>| async move {
                match s.update(|p| p.session.issued_at += 1) {
                    Ok(true) => StatusCode::OK,
                    Ok(false) => StatusCode::UNAUTHORIZED,
                    Err(error) => error.status(),
                }
            }),
        )
        .route(
            "/renew",
            get(|mut s: TypedSession<StoredBenchSession>| async move {
                match s.renew() {
                    Ok(true) => StatusCode::OK,
                    Ok(false) => StatusCode::UNAUTHORIZED,
                    Err(error) => error.status(),
                }
            }),
        )
        .layer(SessionLayer::<BenchSessions>::new(keyring()).store(store))
        // Handlers become routes once, as `axum::serve` does, not per call.
        .with_state(())
}

/// A Redis store at `SESSION_SEAL_REDIS_URL` (default `redis://127.0.0.1:6379`)
/// under a benchmark prefix, or `None` with a note when none answers.
pub async fn redis_store() -> Option<RedisStore> {
    let url = std::env::var("SESSION_SEAL_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let config = RedisStoreConfig::default().key_prefix("session-seal-bench");
    let store = RedisStore::with_config(&url, config).ok()?;
    match store.ping().await {
        Ok(()) => Some(store),
        Err(error) => {
            eprintln!("note: no Redis at {url} ({error}); skipping the Redis store cases");
            None
        }
    }
}

/// A PostgreSQL store at `SESSION_SEAL_POSTGRES_URL` (default: the
/// database `.ci/run` sets up) in the table `session_seal_bench`, or `None`
/// with a note when none answers.
pub async fn postgres_store() -> Option<PostgresStore> {
    let url = std::env::var("SESSION_SEAL_POSTGRES_URL").unwrap_or_else(|_| {
        "postgres://session_seal:session_seal@127.0.0.1:5432/session_seal_test".to_owned()
    });
    let config = SqlStoreConfig::default().table("session_seal_bench");
    let store = PostgresStore::with_config(&url, config).ok()?;
    match store.migrate().await {
        Ok(()) => Some(store),
        Err(error) => {
            let host = url.rsplit('@').next().unwrap_or_default();
            eprintln!("note: no PostgreSQL at {host} ({error}); skipping the Postgres store cases");
            None
        }
    }
}

/// A SQLite store in a fresh file `session-seal-bench.db` in the temporary
/// directory (replacing the previous run's).
pub async fn sqlite_store() -> Option<SqliteStore> {
    let path = std::env::temp_dir().join("session-seal-bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    let store = SqliteStore::open(&path, SqlStoreConfig::default()).ok()?;
    match store.migrate().await {
        Ok(()) => Some(store),
        Err(error) => {
            eprintln!(
                "note: SQLite at {} failed ({error}); skipping the SQLite cases",
                path.display()
            );
            None
        }
    }
}

/// A Redis Cluster store on the nodes in `SESSION_SEAL_REDIS_CLUSTER_URLS`
/// (comma-separated; default the three primaries `.ci/run` starts on
/// 127.0.0.1:7001-7003) under a benchmark prefix, or `None` with a note
/// when the cluster does not answer.
pub async fn redis_cluster_store() -> Option<RedisStore> {
    let urls = std::env::var("SESSION_SEAL_REDIS_CLUSTER_URLS").unwrap_or_else(|_| {
        "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003".to_owned()
    });
    let config = RedisStoreConfig::default().key_prefix("session-seal-bench");
    let store = RedisStore::cluster_with_config(urls.split(','), config).ok()?;
    match store.ping().await {
        Ok(()) => Some(store),
        Err(error) => {
            eprintln!("note: no Redis Cluster at {urls} ({error}); skipping the cluster cases");
            None
        }
    }
}

/// The benchmark payload.
pub fn payload() -> BenchSession {
    BenchSession {
        user_id: 4_242_424_242,
        tenant: "acme-widgets".into(),
        roles: vec!["admin".into(), "billing".into(), "support".into()],
        csrf: "9f86d081884c7d659a2feaa0c55ad015".into(),
        issued_at: 1_732_291_200,
    }
}

/// The benchmark payload as the encrypted type (the same 149 bytes of JSON).
pub fn encrypted_payload() -> EncryptedBenchSession {
    let BenchSession {
        user_id,
        tenant,
        roles,
        csrf,
        issued_at,
    } = payload();
    EncryptedBenchSession {
        user_id,
        tenant,
        roles,
        csrf,
        issued_at,
    }
}

/// axum-extra's `PrivateCookieJar` as a handler uses it: the payload as
/// JSON, added to a fresh jar, the `Set-Cookie` written into a response.
/// Returns the header's length.
pub fn private_jar_seal(key: &Key, payload: &BenchSession) -> usize {
    use axum::response::IntoResponse as _;
    use axum_extra::extract::cookie::{Cookie, PrivateCookieJar};
    let json = serde_json::to_string(payload).unwrap_or_default();
    let response = PrivateCookieJar::new(key.clone())
        .add(Cookie::new("sid", json))
        .into_response();
    response
        .headers()
        .get(http::header::SET_COOKIE)
        .map_or(0, |value| value.len())
}

/// axum-extra's `PrivateCookieJar` reading: the jar from the request
/// headers (it decrypts each cookie there), `get` (decrypts again), JSON.
pub fn private_jar_open(key: &Key, headers: &http::HeaderMap) -> Option<BenchSession> {
    use axum_extra::extract::cookie::PrivateCookieJar;
    let jar = PrivateCookieJar::from_headers(headers, key.clone());
    serde_json::from_str(jar.get("sid")?.value()).ok()
}

/// The primitive under `PrivateCookieJar`: the cookie crate's `PrivateJar`
/// encrypting one cookie (AES-256-GCM, random nonce, base64), without the
/// jar's header handling. Returns the encrypted value.
pub fn private_core_seal(key: &Key, payload: &BenchSession) -> String {
    use axum_extra::extract::cookie::Cookie;
    let json = serde_json::to_string(payload).unwrap_or_default();
    let mut jar = cookie::CookieJar::new();
    jar.private_mut(key).add(Cookie::new("sid", json));
    jar.get("sid")
        .map(|cookie| cookie.value().to_owned())
        .unwrap_or_default()
}

/// The cookie crate's `PrivateJar::decrypt` of one value, then JSON.
pub fn private_core_open(key: &Key, value: &str) -> Option<BenchSession> {
    use axum_extra::extract::cookie::Cookie;
    let jar = cookie::CookieJar::new();
    let cookie = jar
        .private(key)
        .decrypt(Cookie::new("sid", value.to_owned()))?;
    serde_json::from_str(cookie.value()).ok()
}

/// A `Cookie` header map carrying `name=value`.
pub fn cookie_headers(value: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_str(value) {
        headers.insert(http::header::COOKIE, value);
    }
    headers
}

/// The `sid=value` a browser sends back for `payload` sealed by
/// `PrivateCookieJar`.
pub fn private_jar_cookie(key: &Key, payload: &BenchSession) -> String {
    use axum::response::IntoResponse as _;
    use axum_extra::extract::cookie::{Cookie, PrivateCookieJar};
    let json = serde_json::to_string(payload).unwrap_or_default();
    let response = PrivateCookieJar::new(key.clone())
        .add(Cookie::new("sid", json))
        .into_response();
    sent_back_cookie(&response)
}

/// Fixed secret bytes, so runs are comparable.
pub const SECRET: [u8; 64] = [0x5a; 64];

/// session-seal's keyring over [`SECRET`], keys derived for [`BenchSessions`].
pub fn keyring() -> Keyring {
    let keyring =
        Keyring::new(SessionSecret::from_bytes(&SECRET).unwrap_or_else(|_| unreachable!()));
    keyring.prepare(<BenchSessions as session_seal::Registry>::SPECS);
    keyring
}

/// axum-extra's cookie key over [`SECRET`].
pub fn jar_key() -> Key {
    Key::from(&SECRET)
}

/// The floor: serde_json, a pre-keyed HMAC-SHA256 state cloned per
/// operation, base64url. `P "." T` with the MAC over `P`. No binding, no
/// expiry, no version: what session-seal must not be much slower than.
#[derive(Clone)]
pub struct Floor {
    state: Arc<Hmac<Sha256>>,
}

impl Default for Floor {
    fn default() -> Self {
        Self::new()
    }
}

impl Floor {
    /// Keys the MAC once.
    pub fn new() -> Self {
        let state = Hmac::<Sha256>::new_from_slice(&SECRET).unwrap_or_else(|_| unreachable!());
        Floor {
            state: Arc::new(state),
        }
    }

    /// Serializes, encodes and MACs `payload`.
    pub fn sign(&self, payload: &BenchSession) -> String {
        let json = serde_json::to_vec(payload).unwrap_or_default();
        let mut out = String::with_capacity(json.len() * 4 / 3 + 48);
        URL_SAFE_NO_PAD.encode_string(&json, &mut out);
        let mut mac = (*self.state).clone();
        mac.update(out.as_bytes());
        let tag = mac.finalize().into_bytes();
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        out
    }

    /// Checks the MAC, then decodes and deserializes.
    pub fn verify(&self, value: &str) -> Option<BenchSession> {
        let (payload, tag_text) = value.rsplit_once('.')?;
        let mut tag = [0u8; 34];
        let written = URL_SAFE_NO_PAD.decode_slice(tag_text, &mut tag).ok()?;
        let mut mac = (*self.state).clone();
        mac.update(payload.as_bytes());
        mac.verify_slice(tag.get(..written)?).ok()?;
        let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

impl Floor {
    /// The floor's whole read, as its handlers do it: the `sid` cookie from
    /// the request's only `Cookie` line, verified and decoded.
    pub fn read(&self, headers: &http::HeaderMap) -> Option<BenchSession> {
        let value = headers
            .get(http::header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("sid="))?;
        self.verify(value)
    }
}

/// Sorts `samples` and returns the fastest and the median, for the
/// interleaved races of the profiling binaries.
pub fn min_and_median(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let min = samples.first().copied().unwrap_or(f64::NAN);
    let median = samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN);
    (min, median)
}

/// The `name=value` of the first `Set-Cookie` of `response` (what a browser
/// sends back), for setting up the peers' cookies.
pub fn sent_back_cookie(response: &axum::response::Response) -> String {
    response
        .headers()
        .get(http::header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|line| line.split(';').next())
        .unwrap_or_default()
        .to_owned()
}

/// Two connections (publisher, follower) to the revocation feed at
/// `target`: `redis://…`, `redis+cluster://…`, `postgres://…` or
/// `sqlite:PATH`; `None` when it cannot be reached or is not one of these.
pub async fn revocation_feeds(
    target: &str,
) -> Option<(
    Box<dyn session_seal::revocation::RevocationFeed>,
    Box<dyn session_seal::revocation::RevocationFeed>,
)> {
    use session_seal::revocation::{
        PostgresRevocationFeed, RedisRevocationFeed, SqliteRevocationFeed,
    };
    if target.starts_with("redis") {
        let publisher = RedisRevocationFeed::new(target).ok()?;
        let follower = RedisRevocationFeed::new(target).ok()?;
        return Some((Box::new(publisher), Box::new(follower)));
    }
    if target.starts_with("postgres") {
        let publisher = PostgresRevocationFeed::new(target).ok()?;
        publisher.migrate().await.ok()?;
        let follower = PostgresRevocationFeed::new(target).ok()?;
        return Some((Box::new(publisher), Box::new(follower)));
    }
    let path = target.strip_prefix("sqlite:")?;
    let publisher = SqliteRevocationFeed::open(path, SqlStoreConfig::default()).ok()?;
    publisher.migrate().await.ok()?;
    let follower = SqliteRevocationFeed::open(path, SqlStoreConfig::default()).ok()?;
    Some((Box::new(publisher), Box::new(follower)))
}
