//! [`CrossOriginLayer`]: refuses cross-origin state-changing requests from
//! browsers; the rule is documented on the type.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::BoxError;
use axum::body::Body;
use axum::body::{Bytes, HttpBody};
use axum::response::IntoResponse;
use http::header::{HOST, ORIGIN};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::TRACING_TARGET;

/// The `Sec-Fetch-Site` request header.
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// Why [`CrossOriginLayer`] refused a request: 403.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrossOriginRejection {
    /// `Sec-Fetch-Site` said the request came from another site or origin.
    #[error("cross-origin request refused (Sec-Fetch-Site)")]
    FetchMetadata,
    /// Without `Sec-Fetch-Site`, `Origin` named another host.
    #[error("cross-origin request refused (Origin does not match Host)")]
    OriginMismatch,
    /// Neither header was sent and the layer refuses such requests.
    #[error("request without Sec-Fetch-Site or Origin refused")]
    NoBrowserHeaders,
}

impl CrossOriginRejection {
    /// The HTTP status: 403.
    pub fn status(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }

    /// The response body.
    pub fn body_text(&self) -> &'static str {
        "cross-origin request refused"
    }
}

impl IntoResponse for CrossOriginRejection {
    fn into_response(self) -> axum::response::Response {
        tracing::info!(target: TRACING_TARGET, reason = %self, "request refused");
        (self.status(), self.body_text()).into_response()
    }
}

#[derive(Clone, Debug, Default)]
struct Settings {
    trusted_origins: Vec<String>,
    exempt_paths: Vec<String>,
    refuse_headerless: bool,
}

/// A tower layer that refuses cross-origin state-changing requests from
/// browsers, using the headers browsers send (`Sec-Fetch-Site`, `Origin`),
/// with no token and no state.
///
/// The rule is Go 1.25's `net/http.CrossOriginProtection`, which the OWASP
/// CSRF cheat sheet's "Fetch Metadata" section also describes:
///
/// 1. `GET`, `HEAD` and `OPTIONS` are allowed (safe methods must not
///    change state).
/// 2. `Sec-Fetch-Site: same-origin` or `none` (typed in the address bar, a
///    bookmark) is allowed; any other value (`cross-site`, `same-site`) is
///    refused unless the request is exempt.
/// 3. Without `Sec-Fetch-Site` (browsers before 2023), an `Origin` whose
///    `host[:port]` equals the request's `Host` is allowed; any other
///    `Origin` (including `null`) is refused unless the request is exempt.
/// 4. With neither header the request is not from a browser (curl, a
///    server, a mobile app) or is a same-origin request from a very old
///    browser: allowed by default, or refused with
///    [`CrossOriginLayer::refuse_headerless`].
///
/// A request is exempt when its `Origin` is one of the trusted origins
/// ([`CrossOriginLayer::trust_origin`], compared byte for byte with the
/// header: `scheme://host[:port]`) or its path is exempt
/// ([`CrossOriginLayer::exempt_path`]: a webhook that other sites post to).
/// Refused requests get 403 with a short body and never reach the handler.
///
/// `SameSite=Lax` (the session default) already keeps cookies off most
/// cross-site posts, but not off same-site ones (a sibling subdomain) nor
/// off top-level `GET`s; this layer covers the first; the second is why
/// handlers of `GET` must not change state. For defence in depth, or to
/// accept some cross-origin posts, add tokens bound to a session type.
///
/// ```
/// use axum::{Router, routing::post};
/// use session_axum::CrossOriginLayer;
///
/// let app: Router = Router::new()
///     .route("/transfer", post(|| async { "done" }))
///     .route("/hooks/payment", post(|| async { "ok" }))
///     .layer(
///         CrossOriginLayer::new()
///             .trust_origin("https://partner.example")
///             .exempt_path("/hooks/"),
///     );
/// ```
#[derive(Clone, Debug, Default)]
pub struct CrossOriginLayer {
    settings: Arc<Settings>,
}

impl CrossOriginLayer {
    /// The rule with no trusted origin and no exempt path, allowing
    /// requests that carry neither header.
    pub fn new() -> Self {
        CrossOriginLayer::default()
    }

    /// Allows requests whose `Origin` header is exactly `origin`
    /// (`scheme://host[:port]`, no path, no trailing slash).
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn trust_origin(mut self, origin: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.settings)
            .trusted_origins
            .push(origin.into());
        self
    }

    /// Exempts a path: the exact path, or, when `path` ends with `/`, every
    /// path under it. For endpoints other sites legitimately post to
    /// (webhooks, a payment provider's return URL), which must then protect
    /// themselves (a signature on the body).
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn exempt_path(mut self, path: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.settings)
            .exempt_paths
            .push(path.into());
        self
    }

    /// Refuses unsafe requests that carry neither `Sec-Fetch-Site` nor
    /// `Origin` (default: allowed, as non-browser clients send neither).
    /// Every browser released since 2020 sends `Origin` on cross-origin
    /// posts, so this matters only for apps that serve no API clients.
    #[must_use = "the layer with this setting is returned, not changed in place"]
    pub fn refuse_headerless(mut self, refuse: bool) -> Self {
        Arc::make_mut(&mut self.settings).refuse_headerless = refuse;
        self
    }

    /// Checks a request's method, URI and headers against the rule (for
    /// use outside tower, or in a handler).
    ///
    /// # Errors
    ///
    /// Why it is refused.
    pub fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CrossOriginRejection> {
        check(&self.settings, method, uri, headers)
    }
}

fn check(
    settings: &Settings,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), CrossOriginRejection> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let path = uri.path();
    let origin = headers.get(ORIGIN).map(|value| value.as_bytes());
    let exempt = || {
        origin.is_some_and(|origin| {
            settings
                .trusted_origins
                .iter()
                .any(|trusted| trusted.as_bytes() == origin)
        }) || settings.exempt_paths.iter().any(|exempt| {
            path == exempt || (exempt.ends_with('/') && path.starts_with(exempt.as_str()))
        })
    };
    if let Some(site) = headers.get(SEC_FETCH_SITE) {
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
            _ if exempt() => Ok(()),
            _ => Err(CrossOriginRejection::FetchMetadata),
        };
    }
    let Some(origin) = origin else {
        return if settings.refuse_headerless && !exempt() {
            Err(CrossOriginRejection::NoBrowserHeaders)
        } else {
            Ok(())
        };
    };
    // HTTP/1.1 sends `Host`; HTTP/2 the `:authority` that becomes the URI's.
    let host = headers.get(HOST).map(|value| value.as_bytes()).or_else(|| {
        uri.authority()
            .map(|authority| authority.as_str().as_bytes())
    });
    if host.is_some_and(|host| origin_host(origin) == Some(host)) || exempt() {
        return Ok(());
    }
    Err(CrossOriginRejection::OriginMismatch)
}

/// The `host[:port]` of an `Origin` value (`scheme://host[:port]`); `None`
/// for `null` or anything else that is not an origin.
fn origin_host(origin: &[u8]) -> Option<&[u8]> {
    let at = origin.windows(3).position(|window| window == b"://")?;
    let host = origin.get(at + 3..)?;
    let valid = !host.is_empty()
        && host
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-.:[]_".contains(byte));
    valid.then_some(host)
}

impl<S> Layer<S> for CrossOriginLayer {
    type Service = CrossOriginService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CrossOriginService {
            inner,
            settings: Arc::clone(&self.settings),
        }
    }
}

/// The service produced by [`CrossOriginLayer`].
#[derive(Clone)]
pub struct CrossOriginService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> fmt::Debug for CrossOriginService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrossOriginService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CrossOriginService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = CrossOriginFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match check(
            &self.settings,
            request.method(),
            request.uri(),
            request.headers(),
        ) {
            Ok(()) => CrossOriginFuture {
                state: State::Inner {
                    future: self.inner.call(request),
                },
            },
            Err(rejection) => CrossOriginFuture {
                state: State::Refused {
                    response: Some(rejection.into_response()),
                },
            },
        }
    }
}

pin_project! {
    /// Future of [`CrossOriginService`]: the inner response, or the 403.
    pub struct CrossOriginFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum State<F> {
        // Allowed: the inner service answers.
        Inner {
            #[pin]
            future: F,
        },
        // Refused before the inner service; the 403 until it is returned.
        Refused {
            response: Option<Response<Body>>,
        },
    }
}

impl<F, ResBody, E> Future for CrossOriginFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Inner { future } => future
                .poll(cx)
                .map(|result| result.map(|response| response.map(Body::new))),
            StateProjection::Refused { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| StatusCode::FORBIDDEN.into_response()))),
        }
    }
}

#[cfg(test)]
mod tests;
