//! `cargo bench -p benches`: seal/open of session-seal (signed,
//! encrypted and asymmetric) against the hand-written floor and axum-extra's cookie jars
//! (`private-jar` is `PrivateCookieJar` as a handler uses it,
//! `private-jar-core` the cookie crate's `PrivateJar` under it), the
//! per-request cost through an axum router for session-seal, both jars,
//! tower-sessions and every store, a store read alone (Redis: one server
//! and a cluster) next to a bare Redis `GET` through the same client, and
//! hybrid sessions (`hybrid`: an access-cookie read, a transparent refresh
//! beside a store-mode renewal).
//! `cargo run -p benches --release --bin bench-report` prints the table.

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, PrivateCookieJar, SignedCookieJar};
use benches::{
    AsymmetricBenchSession, BROWSER_HEADERS, BenchLogin, BenchSession, BenchSessions, CallLog,
    EncryptedBenchSession, FingerprintBenchSession, Floor, bench_access, bench_plain_access,
    check_refreshed, check_renewed, encrypted_payload, expired_access_cookie, get_through,
    hybrid_keyring, hybrid_router, id_of, jar_key, keyring, payload, postgres_store,
    private_core_open, private_core_seal, private_jar_open, private_jar_seal, redis_cluster_store,
    redis_store, refresh_header, renew_header, sent_back_cookie, set_cookie, sqlite_store,
    stored_router, unix_now,
};
use criterion::{Criterion, criterion_group, criterion_main};
use http::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE};
use http::{Request, StatusCode};
use session_seal::fingerprint::ClientSignals;
use session_seal::store::{
    MemoryStore as StoreMemory, Record, SaveOutcome, SessionId, SessionStore, StoreKey,
};
use session_seal::{Keyring, SessionLayer, SessionPayload, TypedSession};
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
    let asymmetric = AsymmetricBenchSession(payload.clone());
    sign.bench_function("session-seal-asymmetric", |b| {
        b.iter(|| keyring.seal_at(black_box(&asymmetric), NOW).unwrap())
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
    let sealed_asymmetric = keyring.seal_at(&asymmetric, NOW).unwrap();
    let public_keys = keyring.verifying_keyring();
    verify.bench_function("session-seal-asymmetric", |b| {
        b.iter(|| {
            public_keys
                .open_at::<AsymmetricBenchSession>(black_box(&sealed_asymmetric), NOW + 1)
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
/// A read of the same payload as a plain signed type and as one bound to
/// the browser (`fingerprint`), both requests carrying a browser's
/// `User-Agent` and `Accept-Language`: the difference is what the
/// fingerprint check costs a request. And the check alone.
fn fingerprint(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let keyring = keyring();
    let signals = ClientSignals {
        user_agent: BROWSER_HEADERS[0].1.as_bytes(),
        accept_language: BROWSER_HEADERS[1].1.as_bytes(),
    };
    let spec = &<FingerprintBenchSession as SessionPayload>::SPEC;
    let bound = keyring.fingerprint(spec, &signals);
    let plain_cookie = format!("sid={}", keyring.seal(&payload()).unwrap());
    let now = keyring
        .open::<BenchSession>(&plain_cookie[4..])
        .unwrap()
        .issued_at;
    let bound_value = keyring
        .reseal_bound_at(&FingerprintBenchSession(payload()), Some(&bound), now, now)
        .unwrap();
    let bound_cookie = format!("fsid={bound_value}");
    let router = Router::new()
        .route(
            "/plain",
            get(|s: TypedSession<BenchSession>| async move {
                black_box(s.get().map(|p| p.user_id));
                StatusCode::OK
            }),
        )
        .route(
            "/bound",
            get(|s: TypedSession<FingerprintBenchSession>| async move {
                match s.get() {
                    Some(p) => {
                        black_box(p.0.user_id);
                        StatusCode::OK
                    }
                    None => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .layer(SessionLayer::<BenchSessions>::new(keyring.clone()))
        .with_state(());
    let request = |path: &'static str, cookie: &str| {
        let mut request = Request::get(path).header(COOKIE, cookie);
        for (name, value) in BROWSER_HEADERS {
            request = request.header(name, value);
        }
        request.body(Body::empty()).unwrap()
    };
    let status = |path, cookie: &str| {
        rt.block_on(router.clone().call(request(path, cookie)))
            .unwrap()
            .status()
    };
    assert_eq!(status("/bound", &bound_cookie), StatusCode::OK);
    assert_eq!(status("/plain", &plain_cookie), StatusCode::OK);

    let mut group = c.benchmark_group("fingerprint");
    group.bench_function("check", |b| {
        b.iter(|| keyring.fingerprint_matches(spec, black_box(&bound), black_box(&signals)))
    });
    group.bench_function("read-plain", |b| {
        b.iter(|| status("/plain", black_box(&plain_cookie)))
    });
    group.bench_function("read-bound", |b| {
        b.iter(|| status("/bound", black_box(&bound_cookie)))
    });
    group.finish();
}

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

    // Every router is prepared as `axum::serve` prepares it: `with_state`
    // turns each handler into a route once. Called directly without it,
    // axum redoes that (and re-applies every layer) on each request, which
    // is not what a server pays.
    let baseline = Router::new()
        .route("/", get(|| async { StatusCode::OK }))
        .with_state(());
    // Any layer on a route costs axum a boxed service per request: tower's
    // do-nothing layer shows how much of a layered row that is.
    let identity_layer = Router::new()
        .route("/", get(|| async { StatusCode::OK }))
        .layer(tower_layer::Identity::new())
        .with_state(());

    // The floor: the handler finds the cookie in the headers and verifies
    // it by hand (serde_json + pre-keyed HMAC-SHA256 + base64url).
    let floor = Floor::new();
    let floor_cookie = format!("sid={}", floor.sign(&payload));
    let floor_router = Router::new()
        .route(
            "/",
            get(move |headers: HeaderMap| async move {
                match floor.read(&headers) {
                    Some(p) => {
                        black_box(p.user_id);
                        StatusCode::OK
                    }
                    None => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .with_state(());

    let seal_router = Router::new()
        .route(
            "/",
            get(|s: TypedSession<BenchSession>| async move {
                black_box(s.get().map(|p| p.user_id));
                StatusCode::OK
            }),
        )
        .layer(SessionLayer::<BenchSessions>::new(keyring()))
        .with_state(());
    let seal_cookie = format!("sid={}", keyring().seal(&payload).unwrap());

    let encrypted_router = Router::new()
        .route(
            "/",
            get(|s: TypedSession<EncryptedBenchSession>| async move {
                black_box(s.get().map(|p| p.user_id));
                StatusCode::OK
            }),
        )
        .layer(SessionLayer::<BenchSessions>::new(keyring()))
        .with_state(());
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
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false))
        .with_state(());
    let tower_cookie = {
        let request = Request::get("/login").body(Body::empty()).unwrap();
        let response = rt.block_on(tower_router.clone().call(request)).unwrap();
        sent_back_cookie(&response)
    };

    // Each case must really read a session, or the comparison is void.
    assert_eq!(
        call(&rt, &floor_router, Some(&floor_cookie)),
        StatusCode::OK
    );
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
    read.bench_function("identity-layer", |b| {
        b.iter(|| call(&rt, &identity_layer, Some(&seal_cookie)))
    });
    read.bench_function("floor", |b| {
        b.iter(|| call(&rt, &floor_router, Some(&floor_cookie)))
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
    // The SQL stores: one SELECT by primary key per read.
    if let Some(postgres) = rt.block_on(postgres_store()) {
        let postgres_router = stored_router(postgres);
        let postgres_cookie = login_cookie(&rt, &postgres_router);
        assert_eq!(
            call(&rt, &postgres_router, Some(&postgres_cookie)),
            StatusCode::OK
        );
        read.bench_function("store-postgres", |b| {
            b.iter(|| call(&rt, &postgres_router, Some(&postgres_cookie)))
        });
    }
    if let Some(sqlite) = rt.block_on(sqlite_store()) {
        let sqlite_router = stored_router(sqlite);
        let sqlite_cookie = login_cookie(&rt, &sqlite_router);
        assert_eq!(
            call(&rt, &sqlite_router, Some(&sqlite_cookie)),
            StatusCode::OK
        );
        read.bench_function("store-sqlite", |b| {
            b.iter(|| call(&rt, &sqlite_router, Some(&sqlite_cookie)))
        });
    }
    if let Some(cluster) = rt.block_on(redis_cluster_store()) {
        let cluster_router = stored_router(cluster);
        let cluster_cookie = login_cookie(&rt, &cluster_router);
        assert_eq!(
            call(&rt, &cluster_router, Some(&cluster_cookie)),
            StatusCode::OK
        );
        read.bench_function("store-redis-cluster", |b| {
            b.iter(|| call(&rt, &cluster_router, Some(&cluster_cookie)))
        });
    }
    read.finish();
}

/// A store read alone (`SessionStore::load` of a live row), and for Redis
/// the floor under it: a bare `GET` of a value of the row's size through
/// the same client (redis-rs's connection manager), one client, loopback.
/// Compare with `redis-benchmark -t get -c 1 -n 50000 -q` (C, no Tokio).
fn store_load(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let namespace = "bench";
    let key = StoreKey::derive(namespace, &SessionId::generate_for(namespace, Some("4242")));
    let record = Record {
        namespace: namespace.into(),
        user: Some("4242".into()),
        version: 1,
        data: serde_json::to_vec(&payload()).unwrap(),
        revision: 1,
        created_at: NOW,
        touched_at: NOW,
        expires_at: NOW + 3600,
        meta: Default::default(),
    };
    let stores: Vec<(&str, Box<dyn SessionStore>)> = [
        Some((
            "memory",
            Box::new(StoreMemory::new()) as Box<dyn SessionStore>,
        )),
        rt.block_on(redis_store())
            .map(|store| ("redis", Box::new(store) as Box<dyn SessionStore>)),
        rt.block_on(redis_cluster_store())
            .map(|store| ("redis-cluster", Box::new(store) as Box<dyn SessionStore>)),
    ]
    .into_iter()
    .flatten()
    .collect();

    let mut group = c.benchmark_group("store-load");
    for (name, store) in &stores {
        let _ = rt.block_on(store.delete(&key));
        let saved = rt.block_on(store.save(&key, &record, None, NOW)).unwrap();
        assert_eq!(saved, SaveOutcome::Saved, "{name}");
        assert!(
            rt.block_on(store.load(&key, NOW)).unwrap().is_some(),
            "{name}"
        );
        group.bench_function(*name, |b| {
            b.iter(|| black_box(rt.block_on(store.load(&key, NOW)).unwrap()))
        });
        let _ = rt.block_on(store.delete(&key));
    }
    let url = std::env::var("SESSION_SEAL_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let manager = redis::Client::open(url.as_str())
        .ok()
        .and_then(|client| rt.block_on(redis::aio::ConnectionManager::new(client)).ok());
    if let Some(mut manager) = manager {
        let name = "session-seal-bench:get";
        let value = vec![b'x'; record.data.len() + 100];
        rt.block_on(
            redis::cmd("SET")
                .arg(name)
                .arg(&value)
                .exec_async(&mut manager),
        )
        .unwrap();
        let get = redis::cmd("GET").arg(name).clone();
        group.bench_function("redis-get", |b| {
            b.iter(|| {
                let value: redis::Value = rt.block_on(get.query_async(&mut manager)).unwrap();
                black_box(value)
            })
        });
        rt.block_on(redis::cmd("DEL").arg(name).exec_async(&mut manager))
            .unwrap();
        let row = "session-seal-bench:row";
        let mut hset = redis::cmd("HSET");
        hset.arg(row);
        for (field, value) in [
            ("namespace", &b"bench"[..]),
            ("user", b"4242"),
            ("data", &record.data),
            ("meta", b"1:1:1750000000:1750000000:1750003600"),
        ] {
            hset.arg(field).arg(value);
        }
        rt.block_on(hset.exec_async(&mut manager)).unwrap();
        let hgetall = redis::cmd("HGETALL").arg(row).clone();
        group.bench_function("redis-hgetall", |b| {
            b.iter(|| {
                let value: redis::Value = rt.block_on(hgetall.query_async(&mut manager)).unwrap();
                black_box(value)
            })
        });
        rt.block_on(redis::cmd("DEL").arg(row).exec_async(&mut manager))
            .unwrap();
    }
    group.finish();
}

/// Hybrid sessions (`#[session(refresh = R)]`) through the layer, one app
/// (`benches::hybrid_router`) per store:
///
/// - `access-read`: a request with a valid access cookie (format 1,
///   signed) beside `cookie-read`, a plain cookie-mode type of the same
///   payload; both requests also carry the login's refresh cookie (a
///   browser sends it with every request unless it is limited to a path),
///   so the `Cookie` headers are as long. `access-read-alone` and
///   `cookie-read-alone`: the same without the refresh cookie (one limited
///   to a refresh endpoint's path).
/// - `refresh-<store>`: a request whose access cookie has expired and whose
///   refresh cookie is valid, so the layer rotates the login (load,
///   create-if-absent tombstone save, move) and answers with both cookies
///   new; beside `renew-<store>`, a store-mode type's `renew()` (load,
///   move). Each timed request presents a refresh id never used before,
///   from a login made before the timer starts.
///   Before timing, one request of each is checked to make exactly these
///   store calls.
/// - `save-<store>`: the step a rotation adds, alone: a create-if-absent
///   save of a tombstone-sized anonymous row under a new key; and
///   `load-<store>`, a login's row read alone.
/// - `redis-ping`: one round trip through the Redis store's client.
///
/// The Redis cases run when a Redis answers, as in the other store groups.
fn hybrid(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let keyring = hybrid_keyring();
    let memory = StoreMemory::new();
    let router = hybrid_router(keyring.clone(), memory.clone());
    let mut group = c.benchmark_group("hybrid");

    // Access cookies live five minutes: made just before each case, and the
    // case checked again after it.
    let login = rt.block_on(get_through(&router, "/login", None));
    assert_eq!(login.status(), StatusCode::OK);
    let refresh = set_cookie(&login, "refresh").expect("a refresh cookie");
    let read_cases: [(&str, &str, SealCookie); 2] = [
        ("access-read", "/access", |keyring| {
            format!("access={}", keyring.seal(&bench_access()).unwrap())
        }),
        ("cookie-read", "/signed", |keyring| {
            format!("signed={}", keyring.seal(&bench_plain_access()).unwrap())
        }),
    ];
    let with_refresh = [("", true), ("-alone", false)];
    for ((suffix, send_refresh), (name, path, cookie)) in with_refresh
        .into_iter()
        .flat_map(|variant| read_cases.map(|case| (variant, case)))
    {
        let name = format!("{name}{suffix}");
        let cookie = cookie(&keyring);
        let header = if send_refresh {
            format!("{cookie}; {refresh}")
        } else {
            cookie
        };
        let read = |rt: &tokio::runtime::Runtime| {
            let response = rt.block_on(get_through(&router, path, Some(&header)));
            let status = response.status();
            // A read sets no cookie (a refresh would set both).
            (status, response.headers().contains_key(SET_COOKIE))
        };
        assert_eq!(read(&rt), (StatusCode::OK, false), "{name}");
        group.bench_function(&name, |b| {
            b.iter(|| {
                rt.block_on(get_through(&router, path, Some(black_box(&header))))
                    .status()
            })
        });
        assert_eq!(read(&rt), (StatusCode::OK, false), "{name}, after");
    }

    // An access cookie that expired an hour ago, sent with every refresh.
    let expired_access = expired_access_cookie(&keyring);
    rotation_cases(&mut group, &rt, &keyring, "memory", memory, &expired_access);
    if let Some(redis) = rt.block_on(redis_store()) {
        assert!(rt.block_on(redis.ping()).is_ok());
        group.bench_function("redis-ping", |b| {
            b.iter(|| rt.block_on(redis.ping()).unwrap())
        });
        rotation_cases(&mut group, &rt, &keyring, "redis", redis, &expired_access);
    }
    group.finish();
}

/// Seals a cookie for a read case of [`hybrid`] (`name=value`).
type SealCookie = fn(&Keyring) -> String;

/// `refresh-<name>`, `renew-<name>`, `save-<name>` and `load-<name>` of [`hybrid`] on
/// `store`, after checking which store calls a refresh and a renewal make.
fn rotation_cases<S: SessionStore + Clone>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    keyring: &Keyring,
    name: &str,
    store: S,
    expired_access: &str,
) {
    // What each case is made of, by the store calls of one request.
    let calls = CallLog::new(store.clone());
    let router = hybrid_router(keyring.clone(), calls.clone());
    let rotation = Rotation {
        rt,
        router: &router,
        store: &store,
        keyring,
    };
    let header = rotation.refresh_header(expired_access);
    calls.take();
    let response = rotation.get("/access", Some(&header));
    assert_eq!(
        calls.take_names(),
        ["load", "save", "move_session"],
        "{name}"
    );
    rotation.check_refresh(&header, &response);
    let header = rotation.renew_header();
    calls.take();
    let response = rotation.get("/renewable/renew", Some(&header));
    assert_eq!(calls.take_names(), ["load", "move_session"], "{name}");
    rotation.check_renew(&header, &response);

    let router = hybrid_router(keyring.clone(), store.clone());
    let rotation = Rotation {
        router: &router,
        ..rotation
    };
    group.bench_function(format!("refresh-{name}"), |b| {
        b.iter_custom(|iters| {
            rotation.run(
                iters,
                "/access",
                || rotation.refresh_header(expired_access),
                |sent, response| rotation.check_refresh(sent, response),
            )
        })
    });
    group.bench_function(format!("renew-{name}"), |b| {
        b.iter_custom(|iters| {
            rotation.run(
                iters,
                "/renewable/renew",
                || rotation.renew_header(),
                |sent, response| rotation.check_renew(sent, response),
            )
        })
    });
    let spec = &<BenchLogin as SessionPayload>::SPEC;
    group.bench_function(format!("save-{name}"), |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let chunk = left.min(CHUNK);
                left -= chunk;
                let now = unix_now();
                let (keys, records): (Vec<StoreKey>, Vec<Record>) = (0..chunk)
                    .map(|_| {
                        let id = SessionId::generate_for(spec.namespace(), None);
                        (StoreKey::tombstone(spec.namespace(), &id), tombstone(now))
                    })
                    .unzip();
                let mut outcomes = Vec::with_capacity(keys.len());
                let start = Instant::now();
                for (key, record) in keys.iter().zip(&records) {
                    outcomes.push(rt.block_on(store.save(key, record, None, now)).unwrap());
                }
                elapsed += start.elapsed();
                for (key, outcome) in keys.iter().zip(outcomes) {
                    assert_eq!(outcome, SaveOutcome::Saved);
                    assert!(rt.block_on(store.delete(key)).unwrap(), "saved");
                }
            }
            elapsed
        })
    });
    // A login's row read alone: the first step of both.
    let header = rotation.refresh_header(expired_access);
    let (_, cookie) = header.split_once("; ").unwrap();
    let key = StoreKey::derive(spec.namespace(), &id_of(keyring, spec, cookie));
    let load = || rt.block_on(store.load(&key, unix_now())).unwrap();
    assert!(load().is_some());
    group.bench_function(format!("load-{name}"), |b| b.iter(|| black_box(load())));
    assert!(rt.block_on(store.delete(&key)).unwrap());
}

/// Requests of a batch are timed in chunks of at most this many, each
/// prepared before and checked and cleaned up after its timer.
const CHUNK: u64 = 2048;

/// An anonymous row the size of a rotation's tombstone (family ‖ user).
fn tombstone(now: u64) -> Record {
    let mut data = vec![0x17; 16];
    data.extend_from_slice(payload().user_id.to_string().as_bytes());
    Record {
        namespace: <BenchLogin as SessionPayload>::SPEC.namespace().into(),
        user: None,
        version: 0,
        data,
        revision: 1,
        created_at: now,
        touched_at: now,
        expires_at: now + 30 * 86_400,
        meta: Default::default(),
    }
}

/// Rotations (transparent refreshes or renewals) through one app: each
/// timed request presents a cookie made for it beforehand, and each is
/// checked and its rows deleted afterwards, outside the timer.
#[derive(Clone, Copy)]
struct Rotation<'a> {
    rt: &'a tokio::runtime::Runtime,
    router: &'a Router,
    store: &'a dyn SessionStore,
    keyring: &'a Keyring,
}

impl Rotation<'_> {
    fn get(&self, path: &str, cookie: Option<&str>) -> axum::response::Response {
        self.rt.block_on(get_through(self.router, path, cookie))
    }

    /// Times `iters` requests to `path`, each with a `Cookie` header of its
    /// own from `prepare`; `check` sees each header and its response after
    /// the timer.
    fn run(
        &self,
        iters: u64,
        path: &str,
        prepare: impl Fn() -> String,
        check: impl Fn(&str, &axum::response::Response),
    ) -> Duration {
        let mut elapsed = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let chunk = left.min(CHUNK);
            left -= chunk;
            let headers: Vec<String> = (0..chunk).map(|_| prepare()).collect();
            let mut responses = Vec::with_capacity(headers.len());
            let start = Instant::now();
            for header in &headers {
                responses.push(self.get(path, Some(header)));
            }
            elapsed += start.elapsed();
            for (header, response) in headers.iter().zip(&responses) {
                check(header, response);
            }
        }
        elapsed
    }

    fn refresh_header(&self, expired_access: &str) -> String {
        self.rt
            .block_on(refresh_header(self.router, expired_access))
    }

    fn renew_header(&self) -> String {
        self.rt.block_on(renew_header(self.router))
    }

    fn check_refresh(&self, sent: &str, response: &axum::response::Response) {
        self.rt
            .block_on(check_refreshed(self.store, self.keyring, sent, response));
    }

    fn check_renew(&self, sent: &str, response: &axum::response::Response) {
        self.rt
            .block_on(check_renewed(self.store, self.keyring, sent, response));
    }
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

criterion_group!(
    benches,
    primitives,
    read_per_request,
    store_load,
    fingerprint,
    hybrid
);
criterion_main!(benches);
