//! [`SessionLayer`] and its [`SessionService`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::response::IntoResponse as _;
use http::header::{CACHE_CONTROL, HeaderMap, HeaderName, HeaderValue, VARY};
use http::{Request, Response};
use pin_project_lite::pin_project;
use session_core::revocation::Revocations;
use session_core::store::SessionStore;
use session_core::{Keyring, Registry, RegistryError};
use tower_layer::Layer;
use tower_service::Service;

use crate::client::ProxyHeader;
use crate::config::{Clock, LayerConfig};
use crate::fingerprint::{FingerprintMismatch, FingerprintPolicy, FingerprintSettings};
use crate::hybrid::{HybridSettings, RefreshReuse};
use crate::policy::SecurePolicy;
use crate::request::{Emit, RequestSessions, RequestState, SharedSessions};
use crate::store_mode;

/// The tower layer that makes the session types of registry `R` available to
/// handlers as [`TypedSession<T>`](crate::TypedSession) and
/// [`RequireSession<T>`](crate::RequireSession).
///
/// The layer puts the request's session state in its extensions, where the
/// extractors find it, whatever middleware runs in between (one that moves
/// the rest of the request to another task included). Cookies are opened
/// only for the types a handler extracts, once per request. After the
/// handler the layer appends one `Set-Cookie` per session that changed, was
/// re-issued (key rotation, schema migration, sliding renewal) or must be
/// cleared (invalid cookie, `remove`).
///
/// Responses that read or wrote a session are kept out of shared caches: the
/// layer adds `Vary: Cookie` when a handler extracted any session type, and
/// `Cache-Control: private` when it sets or clears a session cookie and the
/// handler set no `Cache-Control` of its own (which is never overridden).
/// A cached response carrying someone's `Set-Cookie` would hand their
/// session to the next visitor (Flask's CVE-2023-30861).
///
/// ```
/// use axum::{Router, routing::get};
/// use serde::{Deserialize, Serialize};
/// use session_axum::{SessionLayer, TypedSession};
/// use session_core::{Keyring, Registered, Registry, SessionPayload, SessionSecret, SessionSpec};
///
/// #[derive(Serialize, Deserialize)]
/// struct Visits(u32);
/// impl SessionPayload for Visits {
///     const SPEC: SessionSpec = SessionSpec::builder("Visits", "visits", "visits").build();
/// }
/// // `session_seal::registry!` writes this for you, with compile-time collision checks.
/// struct App;
/// impl Registry for App {
///     const SPECS: &'static [SessionSpec] = &[Visits::SPEC];
///     fn contains(id: std::any::TypeId) -> bool { id == std::any::TypeId::of::<Visits>() }
/// }
/// impl Registered for Visits {}
///
/// async fn count(mut visits: TypedSession<Visits>) -> Result<String, session_axum::SessionError> {
///     let n = visits.get().map_or(1, |v| v.0 + 1);
///     visits.insert(Visits(n))?;
///     Ok(format!("visit {n}"))
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(count))
///     .layer(SessionLayer::<App>::new(Keyring::new(SessionSecret::generate())));
/// ```
///
/// # Around the whole router
///
/// `Router::layer` wraps every route on its own: per request axum clones the
/// layered route (a boxed service) and boxes its future, for any layer,
/// tower's do-nothing one included (measured in `benches/README.md`). Wrapping
/// the finished router once avoids that; the layer then also sees requests
/// no route matches (they extract nothing, so it costs them no allocation).
/// Everything else is the same.
///
/// ```no_run
/// # use axum::{Router, routing::get};
/// # use session_axum::SessionLayer;
/// # use session_core::{Keyring, SessionSecret};
/// # struct App;
/// # impl session_core::Registry for App {
/// #     const SPECS: &'static [session_core::SessionSpec] = &[];
/// #     fn contains(_: std::any::TypeId) -> bool { false }
/// # }
/// use axum::ServiceExt; // into_make_service for any service
/// use axum::extract::Request;
/// use tower_layer::Layer as _; // `tower::Layer` with the tower crate
///
/// # async fn run() -> std::io::Result<()> {
/// let router = Router::new().route("/", get(|| async { "hello" }));
/// let app = SessionLayer::<App>::new(Keyring::new(SessionSecret::generate())).layer(router);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, ServiceExt::<Request>::into_make_service(app)).await
/// # }
/// ```
pub struct SessionLayer<R> {
    config: Arc<LayerConfig>,
    registry: PhantomData<fn() -> R>,
}

impl<R: Registry> SessionLayer<R> {
    /// A layer for the types of `R`, signing with `keyring`.
    ///
    /// Derives every type's keys now, so no request pays for key derivation.
    ///
    /// # Panics
    ///
    /// If two types of `R` share a cookie name or namespace. `registry!`
    /// already rejects that at compile time; this backstop catches registries
    /// written by hand. Use [`try_new`](Self::try_new) to get the error instead.
    pub fn new(keyring: Keyring) -> Self {
        match Self::try_new(keyring) {
            Ok(layer) => layer,
            Err(error) => panic!("invalid session registry: {error}"),
        }
    }

    /// Like [`new`](Self::new), returning a collision as an error.
    pub fn try_new(keyring: Keyring) -> Result<Self, RegistryError> {
        R::check()?;
        keyring.prepare(R::SPECS);
        Ok(SessionLayer {
            config: Arc::new(LayerConfig {
                keyring,
                secure: SecurePolicy::Auto,
                clock: None,
                registry_name: std::any::type_name::<R>(),
                contains: R::contains,
                store: None,
                revocations: None,
                clear_site_data: false,
                save_on_server_error: false,
                session_metadata: true,
                trusted_proxies: Vec::new(),
                proxy_header: ProxyHeader::XForwardedFor,
                fingerprint: FingerprintSettings::default(),
                hybrid: HybridSettings::default(),
            }),
            registry: PhantomData,
        })
    }

    /// Sets the revocations that `#[session(revocable)]` types are checked
    /// against (after their MAC, in memory: no I/O per request).
    ///
    /// Without them, extracting a revocable type fails with
    /// [`SessionRejection::MissingRevocations`](crate::SessionRejection::MissingRevocations);
    /// while their feed is silent past its staleness bound, with
    /// [`SessionRejection::RevocationsStale`](crate::SessionRejection::RevocationsStale)
    /// (503). Keep a clone of the handle to revoke users from admin code.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # use session_axum::SessionLayer;
    /// # use session_core::{Keyring, SessionSecret};
    /// use session_core::revocation::{MemoryFeed, Revocations};
    /// # struct App;
    /// # impl session_core::Registry for App {
    /// #     const SPECS: &'static [session_core::SessionSpec] = &[];
    /// #     fn contains(_: std::any::TypeId) -> bool { false }
    /// # }
    /// let revocations = Revocations::builder::<App>(MemoryFeed::new()).start();
    /// let layer = SessionLayer::<App>::new(Keyring::new(SessionSecret::generate()))
    ///     .revocations(revocations.clone());
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If `revocations` keeps revocations for less time than the longest
    /// `absolute_max_age` of `R`'s revocable types (a handle built for
    /// another registry): it would forget revocations that still match.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn revocations(self, revocations: Revocations) -> Self {
        let needed = session_core::revocation::retention_of(R::SPECS);
        let kept = revocations.table().retention_secs();
        assert!(
            kept >= needed,
            "revocations keep {kept} s but `{}` needs {needed} s: build them with \
             Revocations::builder::<{}>(feed)",
            std::any::type_name::<R>(),
            std::any::type_name::<R>(),
        );
        self.map_config(|config| config.revocations = Some(revocations))
    }
}

impl<R> SessionLayer<R> {
    /// Sets when cookies are `Secure` (default [`SecurePolicy::Auto`]).
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn secure(self, policy: SecurePolicy) -> Self {
        self.map_config(|config| config.secure = policy)
    }

    /// Replaces the clock (unix seconds) used to issue and check expiry, for
    /// tests that need time to pass.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn clock<F>(self, clock: F) -> Self
    where
        F: Fn() -> u64 + Send + Sync + 'static,
    {
        let clock: Clock = Arc::new(clock);
        self.map_config(|config| config.clock = Some(clock))
    }

    /// Sets the store that `#[session(store)]` types keep their rows in.
    ///
    /// One store serves every store-mode type of the registry (rows are keyed
    /// by namespace). Without one, extracting a store-mode type fails with
    /// [`SessionRejection::MissingStore`](crate::SessionRejection::MissingStore).
    ///
    /// ```
    /// # use session_axum::SessionLayer;
    /// # use session_core::{Keyring, SessionSecret, store::MemoryStore};
    /// # struct App;
    /// # impl session_core::Registry for App {
    /// #     const SPECS: &'static [session_core::SessionSpec] = &[];
    /// #     fn contains(_: std::any::TypeId) -> bool { false }
    /// # }
    /// let store = MemoryStore::new();
    /// let layer = SessionLayer::<App>::new(Keyring::new(SessionSecret::generate()))
    ///     .store(store.clone()); // keep `store` for admin operations (logout_all)
    /// ```
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn store(self, store: impl SessionStore) -> Self {
        let store: Arc<dyn SessionStore> = Arc::new(store);
        self.map_config(|config| config.store = Some(store))
    }

    /// Whether session changes are written when the handler answers with a
    /// server error (5xx). Default `false`: like Django's session middleware,
    /// a request that failed changes nothing (no `Set-Cookie`, no store write
    /// or delete), so half-done work in a failing handler cannot log a user
    /// in or out. Changes a handler already wrote with
    /// [`TypedSession::save`](crate::TypedSession::save) stay written and
    /// their cookies are still sent. Client errors (4xx) always write: a
    /// logout that answers 401 still logs out.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn save_on_server_error(self, save: bool) -> Self {
        self.map_config(|config| config.save_on_server_error = save)
    }

    /// Whether a response whose handler called
    /// [`TypedSession::logout_everywhere`](crate::TypedSession::logout_everywhere)
    /// successfully also carries `Clear-Site-Data: "cookies"` (default
    /// off). The browser then drops every cookie of the site (the whole
    /// registrable domain, not only this app's session cookies), so use it
    /// when "log out everywhere" should also forget everything else this
    /// browser holds. Browsers send it only over HTTPS.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn clear_site_data_on_logout_everywhere(self, on: bool) -> Self {
        self.map_config(|config| config.clear_site_data = on)
    }

    /// Whether a store-mode login records its client's address and user
    /// agent in the new row (default on), for a "your devices" page:
    /// [`TypedSession::user_sessions`](crate::TypedSession::user_sessions)
    /// lists them ([`UserSession::meta`](session_core::store::UserSession::meta)).
    ///
    /// **This is personal data.** What is stored, per store-mode session:
    ///
    /// - the client's IP address (the peer's; behind
    ///   [`trusted_proxies`](Self::trusted_proxies), the one they forward),
    ///   or nothing if unknown. The peer's address is known only when the
    ///   app is served with connect info:
    ///   `axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())`;
    /// - the `User-Agent` header, at most
    ///   [`SessionMeta::MAX_USER_AGENT_LEN`](session_core::store::SessionMeta::MAX_USER_AGENT_LEN)
    ///   (256) bytes of it.
    ///
    /// Both are those of the request that logged in (an `insert`); later
    /// requests, renewals and updates do not change them (the row's
    /// `touched_at` is the last-seen time). They live exactly as long as
    /// the session's row, and go with it at logout, expiry, eviction by
    /// `max_per_user`, or a ban. `Debug` output of rows and listings never
    /// shows them. Cookie-mode sessions record nothing.
    ///
    /// `false` records none of it: new rows hold no metadata (rows already
    /// stored keep theirs until they end). Tell your users (a privacy
    /// notice) if you keep it on.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn session_metadata(self, on: bool) -> Self {
        self.map_config(|config| config.session_metadata = on)
    }

    /// What happens to a session of a `#[session(fingerprint)]` type that a
    /// browser other than the one that logged in presents (its
    /// `User-Agent` or `Accept-Language` differ from the login's): by
    /// default ([`FingerprintPolicy::Enforce`]) it reads as absent, with
    /// status `Invalid(OpenError::FingerprintMismatch)`, its cookie is
    /// removed and, in store mode, its row deleted;
    /// [`FingerprintPolicy::Report`] only reports. Every mismatch is a
    /// `tracing` warning (type and namespace, never the user or a header
    /// value) and goes to [`on_fingerprint_mismatch`](Self::on_fingerprint_mismatch).
    /// See `session_core::fingerprint` for what the check stops and what it
    /// does not.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn fingerprint_policy(self, policy: FingerprintPolicy) -> Self {
        self.map_config(|config| config.fingerprint.policy = policy)
    }

    /// Calls `hook` on every client fingerprint mismatch (see
    /// [`fingerprint_policy`](Self::fingerprint_policy)), with the session's
    /// type and user, so the app can alert the user or its security team.
    /// It runs inside the request: keep it quick (hand slow work to a
    /// task).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use session_axum::{FingerprintMismatch, SessionLayer};
    /// # use session_core::{Keyring, SessionSecret};
    /// # struct App;
    /// # impl session_core::Registry for App {
    /// #     const SPECS: &'static [session_core::SessionSpec] = &[];
    /// #     fn contains(_: std::any::TypeId) -> bool { false }
    /// # }
    /// let alerts: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    /// let seen = Arc::clone(&alerts);
    /// let layer = SessionLayer::<App>::new(Keyring::new(SessionSecret::generate()))
    ///     .on_fingerprint_mismatch(move |event: &FingerprintMismatch| {
    ///         seen.lock().unwrap().push(event.user.clone());
    ///     });
    /// # drop(layer);
    /// ```
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn on_fingerprint_mismatch<F>(self, hook: F) -> Self
    where
        F: Fn(&FingerprintMismatch) + Send + Sync + 'static,
    {
        self.map_config(|config| config.fingerprint.hook = Some(Arc::new(hook)))
    }

    /// How long after a hybrid session's refresh id is rotated a request
    /// presenting it again shares that rotation (two tabs, a retried
    /// request) instead of being taken for a copied cookie (default 10 s,
    /// `session_core::store::refresh::DEFAULT_LEASE_SECS`). Whole seconds;
    /// keep it short: a thief's copy used within it is not detected.
    pub fn refresh_lease(self, lease: std::time::Duration) -> Self {
        self.map_config(|config| config.hybrid.lease_secs = lease.as_secs())
    }

    /// Calls `hook` when a hybrid session's rotated-out refresh id is
    /// presented after its lease window: someone holds a copy of it, and
    /// the login has been ended (see [`RefreshReuse`]). Use it to alert the
    /// user; it runs inside the request, so hand slow work to a task.
    pub fn on_refresh_reuse<F>(self, hook: F) -> Self
    where
        F: Fn(&RefreshReuse) + Send + Sync + 'static,
    {
        self.map_config(|config| config.hybrid.hook = Some(Arc::new(hook)))
    }

    /// The reverse proxies (load balancers) in front of the app whose
    /// forwarding header is believed, for the client address a store-mode
    /// login records (see [`session_metadata`](Self::session_metadata)).
    /// Default: none, and the address recorded is the peer's.
    ///
    /// Exact addresses only (no ranges): list each proxy the app's socket
    /// sees, IPv4 or IPv6 (an IPv4 address also matches its IPv6-mapped
    /// form). When the peer is one of them, the address recorded is the
    /// right-most of the forwarding header ([`proxy_header`](Self::proxy_header),
    /// `X-Forwarded-For` by default) that is not itself a trusted proxy:
    /// entries left of it were written by the client and are never
    /// believed. If every hop is trusted, the left-most is recorded; a hop
    /// that does not parse (or `unknown`) before an untrusted one records
    /// no address. A peer that is not listed is recorded as itself, and its
    /// forwarding headers are ignored: anyone can send one.
    ///
    /// ```
    /// # use session_axum::SessionLayer;
    /// # use session_core::{Keyring, SessionSecret};
    /// # struct App;
    /// # impl session_core::Registry for App {
    /// #     const SPECS: &'static [session_core::SessionSpec] = &[];
    /// #     fn contains(_: std::any::TypeId) -> bool { false }
    /// # }
    /// use std::net::{IpAddr, Ipv4Addr};
    ///
    /// let layer = SessionLayer::<App>::new(Keyring::new(SessionSecret::generate()))
    ///     .trusted_proxies([Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)]);
    /// ```
    ///
    /// Each call replaces the list.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn trusted_proxies<I>(self, proxies: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<IpAddr>,
    {
        let mut trusted: Vec<IpAddr> = proxies
            .into_iter()
            .map(|proxy| proxy.into().to_canonical())
            .collect();
        trusted.sort_unstable();
        trusted.dedup();
        self.map_config(|config| config.trusted_proxies = trusted)
    }

    /// Which header the [`trusted_proxies`](Self::trusted_proxies) write
    /// the client's address in (default [`ProxyHeader::XForwardedFor`]).
    /// Only that one is read: set it to the one your proxies maintain.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn proxy_header(self, header: ProxyHeader) -> Self {
        self.map_config(|config| config.proxy_header = header)
    }

    /// The keyring this layer seals and opens with.
    ///
    /// Handlers that seal or open values by hand (a link sent by email, a
    /// service that only verifies) reach the same keyring through the app's
    /// state: `Keyring` is `Clone`, so axum's `FromRef` hands it out as
    /// `State<Keyring>`.
    ///
    /// ```
    /// use axum::extract::{FromRef, State};
    /// use axum::{Router, routing::get};
    /// use session_core::{Keyring, SessionSecret};
    /// # struct App;
    /// # impl session_core::Registry for App {
    /// #     const SPECS: &'static [session_core::SessionSpec] = &[];
    /// #     fn contains(_: std::any::TypeId) -> bool { false }
    /// # }
    /// # use session_axum::SessionLayer;
    ///
    /// #[derive(Clone)]
    /// struct AppState {
    ///     keyring: Keyring,
    /// }
    ///
    /// impl FromRef<AppState> for Keyring {
    ///     fn from_ref(state: &AppState) -> Keyring {
    ///         state.keyring.clone()
    ///     }
    /// }
    ///
    /// async fn key_id(State(keyring): State<Keyring>) -> String {
    ///     keyring.primary_key_id().to_string()
    /// }
    ///
    /// let keyring = Keyring::new(SessionSecret::generate());
    /// let layer = SessionLayer::<App>::new(keyring.clone());
    /// let app: Router = Router::new()
    ///     .route("/kid", get(key_id))
    ///     .layer(layer)
    ///     .with_state(AppState { keyring });
    /// ```
    pub fn keyring(&self) -> &Keyring {
        &self.config.keyring
    }

    /// Changes this layer's settings; copies them first if a clone shares them.
    fn map_config(mut self, change: impl FnOnce(&mut LayerConfig)) -> Self {
        change(Arc::make_mut(&mut self.config));
        self
    }
}

impl<R> Clone for SessionLayer<R> {
    fn clone(&self) -> Self {
        SessionLayer {
            config: Arc::clone(&self.config),
            registry: PhantomData,
        }
    }
}

impl<R> fmt::Debug for SessionLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("registry", &self.config.registry_name)
            .field("keyring", &self.config.keyring)
            .field("secure", &self.config.secure)
            .field("store", &self.config.store.is_some())
            .field("save_on_server_error", &self.config.save_on_server_error)
            .field("session_metadata", &self.config.session_metadata)
            .field("trusted_proxies", &self.config.trusted_proxies.len())
            .field("fingerprint", &self.config.fingerprint)
            .finish_non_exhaustive()
    }
}

impl<S, R> Layer<S> for SessionLayer<R> {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service produced by [`SessionLayer`].
#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    config: Arc<LayerConfig>,
}

impl<S> fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("registry", &self.config.registry_name)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let sessions = SharedSessions::new(RequestSessions::new(Arc::clone(&self.config)));
        request
            .extensions_mut()
            .insert(RequestState(SharedSessions::clone(&sessions)));
        ResponseFuture {
            inner: self.inner.call(request),
            sessions: Some(sessions),
            flushing: None,
        }
    }
}

/// Writes the store-mode changes a handler left, then the cookies; on
/// failure, the error response replaces the handler's.
type Flushing = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

pin_project! {
    /// Future of [`SessionService`]: the inner response, store-mode writes
    /// still pending after the handler, then our `Set-Cookie`s.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        // The request's session state; taken when the response is ready.
        sessions: Option<SharedSessions>,
        flushing: Option<Flushing>,
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(flushing) = this.flushing.as_mut() {
            return flushing.as_mut().poll(cx).map(Ok);
        }
        let mut response = std::task::ready!(this.inner.poll(cx))?.map(Body::new);
        // No session type was extracted (or this future already completed):
        // nothing to write, and the response does not depend on cookies.
        let Some(sessions) = this.sessions.take().filter(|s| s.is_used()) else {
            return Poll::Ready(Ok(response));
        };
        // A failed request changes nothing, unless the app asked otherwise.
        let emit = if response.status().is_server_error() && !sessions.config.save_on_server_error {
            Emit::Committed
        } else {
            Emit::All
        };
        if emit == Emit::Committed || !sessions.has_store_work() {
            finish(sessions, &mut response, emit);
            return Poll::Ready(Ok(response));
        }
        let mut flushing: Flushing = Box::pin(async move {
            let emit = match store_mode::flush_all(&sessions).await {
                Ok(()) => Emit::All,
                // The handler's response is replaced: the client learns the
                // change failed. Only cookies that match what the store now
                // holds are sent (store changes already written, a revoked
                // session's removal); the rest of the request's changes are
                // dropped.
                Err(error) => {
                    response = error.into_response();
                    Emit::Committed
                }
            };
            finish(sessions, &mut response, emit);
            response
        });
        let poll = flushing.as_mut().poll(cx).map(Ok);
        *this.flushing = Some(flushing);
        poll
    }
}

/// Writes the session cookies `emit` selects, and the caching headers a
/// response that depends on sessions needs.
fn finish(mut sessions: SharedSessions, response: &mut Response<Body>, emit: Emit) {
    let headers = response.headers_mut();
    if sessions.config.clear_site_data
        && sessions
            .ended_everywhere
            .load(std::sync::atomic::Ordering::Acquire)
    {
        headers.insert(
            HeaderName::from_static("clear-site-data"),
            HeaderValue::from_static("\"cookies\""),
        );
    }
    // The request, and the extractors with it, are normally gone by now:
    // then the state is ours alone and is written without its lock. A
    // handler that kept a `TypedSession` (moved into a spawned task, say)
    // shares it still; that copy's later changes are not sent.
    let written = match Arc::get_mut(&mut sessions) {
        Some(unshared) => unshared.write_unshared(headers, emit),
        None => sessions.write(headers, emit),
    };
    let Some(written) = written else {
        return;
    };
    add_vary_cookie(headers);
    if written > 0 && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private"));
    }
}

/// Adds `Cookie` to `Vary` unless it is there already (or `Vary: *`).
fn add_vary_cookie(headers: &mut HeaderMap) {
    if !headers.get_all(VARY).iter().any(covers_cookie) {
        headers.append(VARY, HeaderValue::from_static("cookie"));
    }
}

/// Whether a `Vary` value lists `Cookie` (any case) or is `*`.
fn covers_cookie(value: &HeaderValue) -> bool {
    value.as_bytes().split(|&b| b == b',').any(|token| {
        let token = token.trim_ascii();
        token == b"*" || token.eq_ignore_ascii_case(b"cookie")
    })
}

#[cfg(test)]
mod tests {
    use http::header::{HeaderMap, HeaderValue, VARY};

    use super::add_vary_cookie;

    /// `Vary` after [`add_vary_cookie`] on a response that had `before`.
    fn vary_after(before: &[&'static str]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for value in before {
            headers.append(VARY, HeaderValue::from_static(value));
        }
        add_vary_cookie(&mut headers);
        headers
            .get_all(VARY)
            .iter()
            .map(|value| value.to_str().expect("ascii").to_owned())
            .collect()
    }

    #[test]
    fn a_response_without_vary_gets_cookie() {
        assert_eq!(vary_after(&[]), ["cookie"]);
    }

    #[test]
    fn other_vary_values_are_kept_and_cookie_added_last() {
        assert_eq!(
            vary_after(&["accept-encoding", "origin"]),
            ["accept-encoding", "origin", "cookie"]
        );
    }

    #[test]
    fn a_vary_that_covers_cookie_is_left_as_the_handler_set_it() {
        assert_eq!(vary_after(&["Accept, Cookie"]), ["Accept, Cookie"]);
        assert_eq!(vary_after(&["origin", "COOKIE"]), ["origin", "COOKIE"]);
        assert_eq!(vary_after(&["*"]), ["*"]);
        assert_eq!(vary_after(&["origin", " * "]), ["origin", " * "]);
    }

    #[test]
    fn a_token_that_only_contains_cookie_does_not_cover_it() {
        assert_eq!(vary_after(&["cookies"]), ["cookies", "cookie"]);
        assert_eq!(vary_after(&["set-cookie"]), ["set-cookie", "cookie"]);
    }
}
