//! One server per benchmark case, for `benches/http.sh`:
//! `bench-server <case> <port>` serves `GET /login` (sets the session
//! cookie) and `GET /` (reads the session, 200) on 127.0.0.1, single-threaded
//! so it can be pinned to one core.
//!
//! Cases: baseline, identity-layer (no session, tower's do-nothing layer),
//! floor, floor-write (re-signs every read), seal-read, seal-read-outer
//! (the session layer around the whole router, not `Router::layer`),
//! seal-write (re-seals every read), enc-read (an encrypted
//! type), signed-jar, private-jar,
//! tower-sessions, store-memory, store-redis (Redis at `SESSION_SEAL_REDIS_URL`,
//! default `redis://127.0.0.1:6379`), store-redis-cluster (the cluster at
//! `SESSION_SEAL_REDIS_CLUSTER_URLS`, default 127.0.0.1:7001-7003),
//! store-postgres (PostgreSQL at `SESSION_SEAL_POSTGRES_URL`, default the
//! database `.ci/run` sets up), store-sqlite (a fresh file in the temporary
//! directory).

use std::hint::black_box;

use axum::extract::Request;
use axum::http::header::{HeaderMap, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, ServiceExt};
use axum_extra::extract::cookie::{Cookie, PrivateCookieJar, SignedCookieJar};
use benches::{
    BenchSession, BenchSessions, EncryptedBenchSession, Floor, RevocableBenchSession,
    encrypted_payload, jar_key, keyring, payload, postgres_store, read_session,
    redis_cluster_store, redis_store, sqlite_store, stored_router,
};
use session_seal::revocation::Revocations;
use session_seal::{SessionLayer, TypedSession};
use tower_layer::Layer as _;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

async fn app(case: &str) -> Option<Router> {
    let ok = || async { StatusCode::OK };
    let router = match case {
        "baseline" => Router::new().route("/", get(ok)).route("/login", get(ok)),
        // What any layer on a route costs in axum (a boxed service cloned
        // per request), with tower's do-nothing layer: part of every layered
        // row, none of the floor's.
        "identity-layer" => Router::new()
            .route("/", get(ok))
            .route("/login", get(ok))
            .layer(tower_layer::Identity::new()),
        // `floor-write` re-signs the payload on every read, as seal-write
        // re-seals it.
        "floor" | "floor-write" => {
            let write = case == "floor-write";
            let floor = Floor::new();
            let reader = floor.clone();
            Router::new()
                .route(
                    "/",
                    get(move |headers: HeaderMap| async move {
                        let Some(p) = reader.read(&headers) else {
                            return (StatusCode::UNAUTHORIZED, HeaderMap::new());
                        };
                        black_box(p.user_id);
                        let mut out = HeaderMap::new();
                        if write {
                            let set = format!("sid={}; Path=/; HttpOnly", reader.sign(&p));
                            if let Ok(value) = HeaderValue::from_str(&set) {
                                out.insert(SET_COOKIE, value);
                            }
                        }
                        (StatusCode::OK, out)
                    }),
                )
                .route(
                    "/login",
                    get(move || async move {
                        let set = format!("sid={}; Path=/; HttpOnly", floor.sign(&payload()));
                        let mut headers = HeaderMap::new();
                        headers.insert(
                            SET_COOKIE,
                            HeaderValue::from_str(&set).unwrap_or(HeaderValue::from_static("")),
                        );
                        headers
                    }),
                )
        }
        "seal-read" | "seal-write" => {
            seal_routes(case == "seal-write").layer(SessionLayer::<BenchSessions>::new(keyring()))
        }
        // The same as seal-read with the payload encrypted (wire format 2):
        // the row next to private-jar.
        "enc-read" => Router::new()
            .route(
                "/",
                get(|s: TypedSession<EncryptedBenchSession>| async move {
                    match s.get() {
                        Some(p) => {
                            black_box(p.user_id);
                            StatusCode::OK
                        }
                        None => StatusCode::UNAUTHORIZED,
                    }
                }),
            )
            .route(
                "/login",
                get(|mut s: TypedSession<EncryptedBenchSession>| async move {
                    s.insert(encrypted_payload()).map(|()| StatusCode::OK)
                }),
            )
            .layer(SessionLayer::<BenchSessions>::new(keyring())),
        // The payload as a revocable cookie type, checked against an
        // in-process revocation table (no I/O): the row next to seal-read.
        "rev-read" => Router::new()
            .route(
                "/",
                get(|s: TypedSession<RevocableBenchSession>| async move {
                    match s.get() {
                        Some(p) => {
                            black_box(p.0.user_id);
                            StatusCode::OK
                        }
                        None => StatusCode::UNAUTHORIZED,
                    }
                }),
            )
            .route(
                "/login",
                get(|mut s: TypedSession<RevocableBenchSession>| async move {
                    s.insert(RevocableBenchSession(payload()))
                        .map(|()| StatusCode::OK)
                }),
            )
            .layer(
                SessionLayer::<BenchSessions>::new(keyring())
                    .revocations(Revocations::local::<BenchSessions>()),
            ),
        "signed-jar" => Router::new()
            .route(
                "/",
                get(|jar: SignedCookieJar| async move {
                    let p = jar
                        .get("sid")
                        .and_then(|c| serde_json::from_str::<BenchSession>(c.value()).ok());
                    if p.is_some() {
                        StatusCode::OK
                    } else {
                        StatusCode::UNAUTHORIZED
                    }
                }),
            )
            .route(
                "/login",
                get(|jar: SignedCookieJar| async move {
                    let json = serde_json::to_string(&payload()).unwrap_or_default();
                    jar.add(Cookie::new("sid", json)).into_response()
                }),
            )
            .with_state(jar_key()),
        "private-jar" => Router::new()
            .route(
                "/",
                get(|jar: PrivateCookieJar| async move {
                    let p = jar
                        .get("sid")
                        .and_then(|c| serde_json::from_str::<BenchSession>(c.value()).ok());
                    if p.is_some() {
                        StatusCode::OK
                    } else {
                        StatusCode::UNAUTHORIZED
                    }
                }),
            )
            .route(
                "/login",
                get(|jar: PrivateCookieJar| async move {
                    let json = serde_json::to_string(&payload()).unwrap_or_default();
                    jar.add(Cookie::new("sid", json)).into_response()
                }),
            )
            .with_state(jar_key()),
        "tower-sessions" => Router::new()
            .route(
                "/",
                get(|session: Session| async move {
                    match session.get::<BenchSession>("s").await {
                        Ok(Some(p)) => {
                            black_box(p.user_id);
                            StatusCode::OK
                        }
                        _ => StatusCode::UNAUTHORIZED,
                    }
                }),
            )
            .route(
                "/login",
                get(|session: Session| async move {
                    match session.insert("s", payload()).await {
                        Ok(()) => StatusCode::OK,
                        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
                    }
                }),
            )
            .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false)),
        "store-memory" => stored_router(session_seal::store::MemoryStore::new()),
        "store-redis" => stored_router(redis_store().await?),
        "store-postgres" => stored_router(postgres_store().await?),
        "store-sqlite" => stored_router(sqlite_store().await?),
        "store-redis-cluster" => stored_router(redis_cluster_store().await?),
        _ => return None,
    };
    Some(router)
}

/// The session-seal read (or, with `write`, re-seal) routes, without the
/// layer: `seal-read` adds it with `Router::layer`, `seal-read-outer` wraps
/// the whole router in it.
fn seal_routes(write: bool) -> Router {
    Router::new()
        .route(
            "/",
            get(move |s: TypedSession<BenchSession>| read_session(s, write)),
        )
        .route(
            "/login",
            get(|mut s: TypedSession<BenchSession>| async move {
                s.insert(payload()).map(|()| StatusCode::OK)
            }),
        )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_default();
    let port: u16 = args.next().as_deref().unwrap_or("3100").parse()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        if case == "seal-read-outer" {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            let layer = SessionLayer::<BenchSessions>::new(keyring());
            let service = layer.layer(seal_routes(false));
            return axum::serve(listener, ServiceExt::<Request>::into_make_service(service)).await;
        }
        let router = app(&case).await.ok_or_else(|| {
            std::io::Error::other(format!("unknown or unavailable case `{case}`"))
        })?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        axum::serve(listener, router).await
    })?;
    Ok(())
}
