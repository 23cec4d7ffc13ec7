//! [`TestClient`]: a browser for one router, without a socket.

use axum::Router;
use axum::body::{Body, Bytes};
use http::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use session_core::fingerprint::ClientSignals;
use session_core::store::{Record, SaveOutcome, SessionId, SessionMeta, SessionStore, StoreKey};
use session_core::{Keyring, SealError, SessionPayload};
use tower::ServiceExt as _;

use super::clock::TestClock;
use super::jar::CookieJar;
use super::mint::{MintError, seal_for_test_client};

/// Drives a [`Router`] the way a browser would, in memory (tower's
/// `oneshot`, no socket): it sends the cookies it holds and keeps what
/// `Set-Cookie` says (see [`CookieJar`] for the rules).
///
/// Each client is one device; make another with [`device`](Self::device).
/// The client plays an HTTPS origin by default, so `Secure` cookies behave
/// as on a production site; [`plain_http`](Self::plain_http) plays an
/// `http://` origin, where browsers refuse them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum::{Router, routing::get};
/// use serde::{Deserialize, Serialize};
/// use session_seal::testing::{TestClient, TestClock};
/// use session_seal::{Keyring, SessionLayer, SessionPayload, SessionSecret, TypedSession};
///
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "sid", namespace = "app", max_age = "1h")]
/// struct Login { user: u64 }
/// session_seal::registry! { struct App { Login } }
///
/// async fn me(session: TypedSession<Login>) -> String {
///     session.get().map_or("anonymous".into(), |login| format!("user {}", login.user))
/// }
///
/// let keyring = Keyring::new(SessionSecret::generate());
/// let clock = TestClock::at(1_700_000_000);
/// let app = Router::new()
///     .route("/me", get(me))
///     .layer(SessionLayer::<App>::new(keyring.clone()).clock(clock.reader()));
///
/// let mut client = TestClient::new(app).with_clock(clock.clone());
/// client.with_session(&keyring, &Login { user: 7 }).unwrap();
/// assert_eq!(client.get("/me").await.text(), "user 7");
///
/// clock.advance(3600); // the cookie expires in the jar and in the layer
/// assert_eq!(client.get("/me").await.text(), "anonymous");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TestClient {
    router: Router,
    jar: CookieJar,
    clock: TestClock,
    secure_origin: bool,
}

/// One response, read whole.
#[derive(Clone, Debug)]
pub struct TestResponse {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl TestResponse {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Every `Set-Cookie` header value, in order.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect()
    }

    /// The `Set-Cookie` header value for cookie `name`, if the response has one.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies().into_iter().find(|line| {
            line.split_once('=')
                .is_some_and(|(cookie, _)| cookie.trim() == name)
        })
    }
}

impl TestClient {
    /// A client for `router` with an empty jar, an HTTPS origin, and the
    /// real time as its clock (see [`with_clock`](Self::with_clock)).
    pub fn new(router: Router) -> Self {
        TestClient {
            router,
            jar: CookieJar::new(),
            clock: TestClock::now_real(),
            secure_origin: true,
        }
    }

    /// Measures cookie expiry on `clock` (give the layer the same clock).
    pub fn with_clock(mut self, clock: TestClock) -> Self {
        self.clock = clock;
        self
    }

    /// Plays a plain-HTTP origin: `Secure` cookies are refused and not sent,
    /// as a browser does on `http://`.
    pub fn plain_http(mut self) -> Self {
        self.secure_origin = false;
        self
    }

    /// Another device: the same router, clock and origin, an empty jar.
    pub fn device(&self) -> Self {
        TestClient {
            jar: CookieJar::new(),
            ..self.clone()
        }
    }

    /// The client's clock.
    pub fn clock(&self) -> &TestClock {
        &self.clock
    }

    /// The cookies held.
    pub fn jar(&self) -> &CookieJar {
        &self.jar
    }

    /// The cookies held, to change by hand.
    pub fn jar_mut(&mut self) -> &mut CookieJar {
        &mut self.jar
    }

    /// The live value of cookie `name`, if held.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.value(name, self.clock.now())
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.request(Method::GET, path, Body::empty()).await
    }

    /// `POST path` with `body`.
    pub async fn post(&mut self, path: &str, body: impl Into<Body>) -> TestResponse {
        self.request(Method::POST, path, body.into()).await
    }

    /// A request with this method, path and body.
    ///
    /// # Panics
    ///
    /// If `path` is not a valid request target: a mistake in the test.
    pub async fn request(&mut self, method: Method, path: &str, body: Body) -> TestResponse {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(body)
            .unwrap_or_else(|error| panic!("invalid test request for {path:?}: {error}"));
        self.send(request).await
    }

    /// Sends `request` with the jar's cookies for its path added to any
    /// `Cookie` header it already has, and keeps the response's `Set-Cookie`s.
    ///
    /// # Panics
    ///
    /// If the router fails (axum routers never do) or the body cannot be
    /// read: both are test failures.
    pub async fn send(&mut self, mut request: Request<Body>) -> TestResponse {
        let path = request.uri().path().to_owned();
        let now = self.clock.now();
        if let Some(header) = self.jar.header_for(&path, now, self.secure_origin) {
            let value = HeaderValue::from_str(&header)
                .unwrap_or_else(|error| panic!("jar cookie is not a header value: {error}"));
            request.headers_mut().append(COOKIE, value);
        }
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .unwrap_or_else(|error| panic!("reading the response body of {path}: {error}"))
            .to_bytes();
        let now = self.clock.now();
        for line in parts.headers.get_all(SET_COOKIE) {
            if let Ok(line) = line.to_str() {
                self.jar.apply(line, &path, now, self.secure_origin);
            }
        }
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// Starts this client logged in: `payload` sealed now (on the client's
    /// clock) under `keyring`, in the jar under `T`'s cookie name and path,
    /// expiring when the value does (as the layer's `Set-Cookie` would).
    ///
    /// Other flavours: pass a keyring made only of a *previous* secret to
    /// mint a cookie under a retired-but-accepted key; use
    /// [`with_session_sealed_at`](Self::with_session_sealed_at) for an
    /// expired one; for one under an older schema version, declare the old
    /// type as it was (the same `cookie`, `namespace` and format, the old
    /// `version`) and mint that. For store-mode types use
    /// [`with_stored_session`](Self::with_stored_session). A type that binds
    /// a client fingerprint is bound to a client that sends neither
    /// `User-Agent` nor `Accept-Language`, as requests the test builds
    /// without them.
    pub fn with_session<T: SessionPayload>(
        &mut self,
        keyring: &Keyring,
        payload: &T,
    ) -> Result<&mut Self, SealError> {
        let now = self.clock.now();
        let value = seal_for_test_client(keyring, payload, now)?;
        let expires_at = T::SPEC.expiry(now, now);
        self.jar
            .insert_until(T::SPEC.cookie(), &value, T::SPEC.path(), Some(expires_at));
        Ok(self)
    }

    /// Like [`with_session`](Self::with_session), sealed at `issued_at`, and
    /// kept in the jar whatever its expiry: a time far enough back gives a
    /// cookie that has expired, as a browser that kept a stale cookie would
    /// send it.
    pub fn with_session_sealed_at<T: SessionPayload>(
        &mut self,
        keyring: &Keyring,
        payload: &T,
        issued_at: u64,
    ) -> Result<&mut Self, SealError> {
        let value = seal_for_test_client(keyring, payload, issued_at)?;
        self.jar.insert(T::SPEC.cookie(), &value, T::SPEC.path());
        Ok(self)
    }

    /// Starts this client logged in to a store-mode type: writes a new row
    /// for `payload` into `store` (give the layer the same store) and puts
    /// its sealed id in the jar. A type that binds a client fingerprint is
    /// bound as [`with_session`](Self::with_session) says.
    pub async fn with_stored_session<T: SessionPayload>(
        &mut self,
        keyring: &Keyring,
        store: &dyn SessionStore,
        payload: &T,
    ) -> Result<&mut Self, MintError> {
        let spec = T::SPEC;
        if !spec.is_stored() {
            return Err(MintError::NotStored {
                type_name: spec.type_name(),
            });
        }
        let now = self.clock.now();
        let user = payload.session_user();
        let id = SessionId::generate_for(spec.namespace(), user.as_deref());
        let record = Record {
            namespace: spec.namespace().to_owned(),
            user,
            version: spec.version(),
            data: serde_json::to_vec(payload).map_err(session_core::SealError::Serialize)?,
            revision: 1,
            created_at: now,
            touched_at: now,
            expires_at: spec.expiry(now, now),
            // A type that binds a fingerprint is bound to a client that
            // sends neither header, as the test client's requests.
            meta: SessionMeta::NONE.with_fingerprint(
                spec.binds_fingerprint()
                    .then(|| keyring.fingerprint(&spec, &ClientSignals::default())),
            ),
        };
        let key = StoreKey::derive(spec.namespace(), &id);
        if store.save(&key, &record, None, now).await? == SaveOutcome::Conflict {
            return Err(MintError::Conflict);
        }
        let value = keyring.seal_id_at(&spec, &id, now, now)?;
        self.jar
            .insert_until(spec.cookie(), &value, spec.path(), Some(record.expires_at));
        Ok(self)
    }
}
