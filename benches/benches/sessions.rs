//! `cargo bench -p benches`: seal/open of session-seal (signed and
//! encrypted) against the hand-written floor and axum-extra's cookie jars
//! (`private-jar` is `PrivateCookieJar` as a handler uses it,
//! `private-jar-core` the cookie crate's `PrivateJar` under it), and the per-request cost
//! through an axum router for session-seal, both jars and tower-sessions.
//! `cargo run -p benches --release --bin bench-report` prints the table.

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, PrivateCookieJar, SignedCookieJar};
use benches::{
    BenchSession, BenchSessions, EncryptedBenchSession, Floor, encrypted_payload, jar_key, keyring,
    payload, private_core_open, private_core_seal, private_jar_open, private_jar_seal, redis_store,
    sent_back_cookie, stored_router,
};
use criterion::{Criterion, criterion_group, criterion_main};
use http::header::{COOKIE, HeaderMap, HeaderValue};
use http::{Request, StatusCode};
use session_seal::{SessionLayer, TypedSession};
use tower_service::Service;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

const NOW: u64 = 1_750_000_000;

fn cookie_headers(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::from_str(value).unwrap());
    headers
}

fn primitives(c: &mut Criterion) {
    let payload = payload();
    let encrypted = encrypted_payload();
    let floor = Floor::new();
    let keyring = keyring();
    let key = jar_key();

    let mut sign = c.benchmark_group("sign");
    sign.bench_function("floor", |b| b.iter(|| floor.sign(black_box(&payload))));
    sign.bench_function("session-seal", |b| {
        b.iter(|| keyring.seal_at(black_box(&payload), NOW).unwrap())
    });
    sign.bench_function("signed-jar", |b| {
        b.iter(|| {
            let json = serde_json::to_string(black_box(&payload)).unwrap();
            SignedCookieJar::new(key.clone())
                .add(Cookie::new("sid", json))
                .into_response()
        })
    });
    sign.bench_function("session-seal-encrypted", |b| {
        b.iter(|| keyring.seal_at(black_box(&encrypted), NOW).unwrap())
    });
    sign.bench_function("private-jar", |b| {
        b.iter(|| private_jar_seal(&key, black_box(&payload)))
    });
    sign.bench_function("private-jar-core", |b| {
        b.iter(|| private_core_seal(&key, black_box(&payload)))
    });
    sign.finish();

    let floor_value = floor.sign(&payload);
    let sealed = keyring.seal_at(&payload, NOW).unwrap();
    let sealed_encrypted = keyring.seal_at(&encrypted, NOW).unwrap();
    let private_core_value = private_core_seal(&key, &payload);
    let signed_headers = {
        let json = serde_json::to_string(&payload).unwrap();
        let response = SignedCookieJar::new(key.clone())
            .add(Cookie::new("sid", json))
            .into_response();
        cookie_headers(&sent_back_cookie(&response))
    };
    let private_headers = {
        let json = serde_json::to_string(&payload).unwrap();
        let response = PrivateCookieJar::new(key.clone())
            .add(Cookie::new("sid", json))
            .into_response();
        cookie_headers(&sent_back_cookie(&response))
    };

    let mut verify = c.benchmark_group("verify");
    verify.bench_function("floor", |b| {
        b.iter(|| floor.verify(black_box(&floor_value)).unwrap())
    });
    verify.bench_function("session-seal", |b| {
        b.iter(|| {
            keyring
                .open_at::<BenchSession>(black_box(&sealed), NOW + 1)
                .unwrap()
        })
    });
    verify.bench_function("signed-jar", |b| {
        b.iter(|| {
            let jar = SignedCookieJar::from_headers(black_box(&signed_headers), key.clone());
            let cookie = jar.get("sid").unwrap();
            serde_json::from_str::<BenchSession>(cookie.value()).unwrap()
        })
    });
    verify.bench_function("session-seal-encrypted", |b| {
        b.iter(|| {
            keyring
                .open_at::<EncryptedBenchSession>(black_box(&sealed_encrypted), NOW + 1)
                .unwrap()
        })
    });
    verify.bench_function("private-jar", |b| {
        b.iter(|| private_jar_open(&key, black_box(&private_headers)).unwrap())
    });
    verify.bench_function("private-jar-core", |b| {
        b.iter(|| private_core_open(&key, black_box(&private_core_value)).unwrap())
    });
    verify.finish();
}

/// One GET through `router` with `cookie`, on a current-thread runtime.
fn call(rt: &tokio::runtime::Runtime, router: &Router, cookie: Option<&str>) -> StatusCode {
    let mut request = Request::get("/");
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let request = request.body(Body::empty()).unwrap();
    rt.block_on(router.clone().call(request)).unwrap().status()
}

fn read_per_request(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let payload = payload();
    let key = jar_key();

    let baseline = Router::new().route("/", get(|| async { StatusCode::OK }));

    let seal_router = Router::new()
        .route(
            "/",
            get(|s: TypedSession<BenchSession>| async move {
                black_box(s.get().map(|p| p.user_id));
                StatusCode::OK
            }),
        )
        .layer(SessionLayer::<BenchSessions>::new(keyring()));
    let seal_cookie = format!("sid={}", keyring().seal(&payload).unwrap());

    let encrypted_router = Router::new()
        .route(
            "/",
            get(|s: TypedSession<EncryptedBenchSession>| async move {
                black_box(s.get().map(|p| p.user_id));
                StatusCode::OK
            }),
        )
        .layer(SessionLayer::<BenchSessions>::new(keyring()));
    let encrypted_cookie = format!("esid={}", keyring().seal(&encrypted_payload()).unwrap());

    let signed_router = Router::new()
        .route(
            "/",
            get(|jar: SignedCookieJar| async move {
                let p: BenchSession =
                    serde_json::from_str(jar.get("sid").unwrap().value()).unwrap();
                black_box(p.user_id);
                StatusCode::OK
            }),
        )
        .with_state(key.clone());
    let signed_cookie = {
        let json = serde_json::to_string(&payload).unwrap();
        let response = SignedCookieJar::new(key.clone())
            .add(Cookie::new("sid", json))
            .into_response();
        sent_back_cookie(&response)
    };

    let private_router = Router::new()
        .route(
            "/",
            get(|jar: PrivateCookieJar| async move {
                let p: BenchSession =
                    serde_json::from_str(jar.get("sid").unwrap().value()).unwrap();
                black_box(p.user_id);
                StatusCode::OK
            }),
        )
        .with_state(key.clone());
    let private_cookie = {
        let json = serde_json::to_string(&payload).unwrap();
        let response = PrivateCookieJar::new(key.clone())
            .add(Cookie::new("sid", json))
            .into_response();
        sent_back_cookie(&response)
    };

    let tower_router = Router::new()
        .route(
            "/",
            get(|session: Session| async move {
                let p: Option<BenchSession> = session.get("s").await.unwrap();
                black_box(p.map(|p| p.user_id));
                StatusCode::OK
            }),
        )
        .route(
            "/login",
            get(|session: Session| async move {
                session.insert("s", payload_for_login()).await.unwrap();
                StatusCode::OK
            }),
        )
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false));
    let tower_cookie = {
        let request = Request::get("/login").body(Body::empty()).unwrap();
        let response = rt.block_on(tower_router.clone().call(request)).unwrap();
        sent_back_cookie(&response)
    };

    // Each case must really read a session, or the comparison is void.
    assert_eq!(call(&rt, &seal_router, Some(&seal_cookie)), StatusCode::OK);
    assert_eq!(
        call(&rt, &encrypted_router, Some(&encrypted_cookie)),
        StatusCode::OK
    );
    assert_eq!(
        call(&rt, &signed_router, Some(&signed_cookie)),
        StatusCode::OK
    );
    assert_eq!(
        call(&rt, &private_router, Some(&private_cookie)),
        StatusCode::OK
    );
    assert_eq!(
        call(&rt, &tower_router, Some(&tower_cookie)),
        StatusCode::OK
    );

    let mut read = c.benchmark_group("read");
    // The baseline carries the same cookie header, unread, so every row pays
    // for building and dropping the request alike.
    read.bench_function("baseline", |b| {
        b.iter(|| call(&rt, &baseline, Some(&seal_cookie)))
    });
    read.bench_function("session-seal", |b| {
        b.iter(|| call(&rt, &seal_router, Some(&seal_cookie)))
    });
    read.bench_function("session-seal-encrypted", |b| {
        b.iter(|| call(&rt, &encrypted_router, Some(&encrypted_cookie)))
    });
    read.bench_function("signed-jar", |b| {
        b.iter(|| call(&rt, &signed_router, Some(&signed_cookie)))
    });
    read.bench_function("private-jar", |b| {
        b.iter(|| call(&rt, &private_router, Some(&private_cookie)))
    });
    read.bench_function("tower-sessions", |b| {
        b.iter(|| call(&rt, &tower_router, Some(&tower_cookie)))
    });
    // Store mode: the cookie opens to an id, the payload is loaded from the store.
    let memory_router = stored_router(session_seal::store::MemoryStore::new());
    let memory_cookie = login_cookie(&rt, &memory_router);
    assert_eq!(
        call(&rt, &memory_router, Some(&memory_cookie)),
        StatusCode::OK
    );
    read.bench_function("store-memory", |b| {
        b.iter(|| call(&rt, &memory_router, Some(&memory_cookie)))
    });
    if let Some(redis) = rt.block_on(redis_store()) {
        let redis_router = stored_router(redis);
        let redis_cookie = login_cookie(&rt, &redis_router);
        assert_eq!(
            call(&rt, &redis_router, Some(&redis_cookie)),
            StatusCode::OK
        );
        read.bench_function("store-redis", |b| {
            b.iter(|| call(&rt, &redis_router, Some(&redis_cookie)))
        });
    }
    read.finish();
}

/// The cookie `GET /login` of `router` sets.
fn login_cookie(rt: &tokio::runtime::Runtime, router: &Router) -> String {
    let request = Request::get("/login").body(Body::empty()).unwrap();
    let response = rt.block_on(router.clone().call(request)).unwrap();
    sent_back_cookie(&response)
}

fn payload_for_login() -> BenchSession {
    payload()
}

criterion_group!(benches, primitives, read_per_request);
criterion_main!(benches);
