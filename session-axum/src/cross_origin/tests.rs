use http::header::{HOST, ORIGIN};
use http::{HeaderMap, HeaderValue, Method, Uri};

use super::{CrossOriginLayer, CrossOriginRejection};

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn check(
    layer: &CrossOriginLayer,
    method: Method,
    path: &str,
    pairs: &[(&str, &str)],
) -> Result<(), CrossOriginRejection> {
    let uri: Uri = path.parse().unwrap();
    layer.check(&method, &uri, &headers(pairs))
}

#[test]
fn safe_methods_always_pass() {
    let layer = CrossOriginLayer::new().refuse_headerless(true);
    for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
        assert_eq!(
            check(&layer, method, "/", &[("sec-fetch-site", "cross-site")]),
            Ok(())
        );
    }
}

#[test]
fn fetch_metadata_decides_when_present() {
    let layer = CrossOriginLayer::new();
    for site in ["same-origin", "none"] {
        assert_eq!(
            check(&layer, Method::POST, "/", &[("sec-fetch-site", site)]),
            Ok(())
        );
    }
    for site in ["cross-site", "same-site", "", "SAME-ORIGIN"] {
        assert_eq!(
            check(&layer, Method::POST, "/", &[("sec-fetch-site", site)]),
            Err(CrossOriginRejection::FetchMetadata),
            "{site:?}"
        );
    }
    // The header wins over a matching Origin, as in Go.
    assert_eq!(
        check(
            &layer,
            Method::DELETE,
            "/",
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://app.example"),
                ("host", "app.example")
            ]
        ),
        Err(CrossOriginRejection::FetchMetadata)
    );
}

#[test]
fn without_fetch_metadata_origin_must_match_host() {
    let layer = CrossOriginLayer::new();
    let ok = [
        ("origin", "https://app.example:8443"),
        ("host", "app.example:8443"),
    ];
    assert_eq!(check(&layer, Method::POST, "/", &ok), Ok(()));
    for (origin, host) in [
        ("https://evil.example", "app.example"),
        ("https://app.example", "app.example:8443"),
        ("null", "app.example"),
        ("app.example", "app.example"),
        ("https://", ""),
    ] {
        assert_eq!(
            check(
                &layer,
                Method::POST,
                "/",
                &[("origin", origin), ("host", host)]
            ),
            Err(CrossOriginRejection::OriginMismatch),
            "{origin} vs {host}"
        );
    }
    // HTTP/2: no Host header, the URI's authority instead.
    let uri: Uri = "https://app.example/form".parse().unwrap();
    let mut map = HeaderMap::new();
    map.insert(ORIGIN, HeaderValue::from_static("https://app.example"));
    assert_eq!(layer.check(&Method::POST, &uri, &map), Ok(()));
    map.insert(HOST, HeaderValue::from_static("other.example"));
    assert_eq!(
        layer.check(&Method::POST, &uri, &map),
        Err(CrossOriginRejection::OriginMismatch)
    );
}

#[test]
fn headerless_requests_pass_unless_refused() {
    assert_eq!(
        check(&CrossOriginLayer::new(), Method::POST, "/", &[]),
        Ok(())
    );
    let strict = CrossOriginLayer::new().refuse_headerless(true);
    assert_eq!(
        check(&strict, Method::POST, "/", &[]),
        Err(CrossOriginRejection::NoBrowserHeaders)
    );
    let exempt = strict.exempt_path("/hooks/");
    assert_eq!(check(&exempt, Method::POST, "/hooks/pay", &[]), Ok(()));
}

#[test]
fn trusted_origins_and_exempt_paths() {
    let layer = CrossOriginLayer::new()
        .trust_origin("https://partner.example")
        .exempt_path("/hooks/")
        .exempt_path("/callback");
    let cross = ("sec-fetch-site", "cross-site");
    assert_eq!(
        check(
            &layer,
            Method::POST,
            "/",
            &[cross, ("origin", "https://partner.example")]
        ),
        Ok(())
    );
    // Byte for byte: a trailing slash or another scheme is not trusted.
    for origin in [
        "https://partner.example/",
        "http://partner.example",
        "https://partner.example.evil",
    ] {
        assert!(
            check(&layer, Method::POST, "/", &[cross, ("origin", origin)]).is_err(),
            "{origin}"
        );
    }
    assert_eq!(
        check(&layer, Method::POST, "/hooks/stripe", &[cross]),
        Ok(())
    );
    assert_eq!(check(&layer, Method::POST, "/callback", &[cross]), Ok(()));
    assert!(check(&layer, Method::POST, "/callback/x", &[cross]).is_err());
    assert!(check(&layer, Method::POST, "/hooks", &[cross]).is_err());
    assert_eq!(
        check(
            &layer,
            Method::PUT,
            "/hooks/x",
            &[("origin", "https://evil.example"), ("host", "app.example")]
        ),
        Ok(())
    );
}

#[tokio::test]
async fn the_layer_answers_403_before_the_handler() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use tower_service::Service as _;

    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let mut app = Router::new()
        .route(
            "/transfer",
            post(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async { "done" }
            }),
        )
        .layer(CrossOriginLayer::new());
    let request = |site: &str| {
        http::Request::post("/transfer")
            .header("sec-fetch-site", site)
            .body(Body::empty())
            .unwrap()
    };
    let refused = app.call(request("cross-site")).await.unwrap();
    assert_eq!(refused.status(), http::StatusCode::FORBIDDEN);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let allowed = app.call(request("same-origin")).await.unwrap();
    assert_eq!(allowed.status(), http::StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
