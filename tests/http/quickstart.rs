//! The quickstart example (`examples/quickstart`), as a user walks through
//! it: log in, send an amount through the CSRF-protected form and see its
//! notice once, a forged post refused, log out everywhere.

use axum::body::Body;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{Method, Request, StatusCode};
use session_seal::testing::{TestClient, TestResponse};

use crate::common::dev_keyring;
use crate::quickstart_app;

/// The hidden CSRF field's value in the home page.
fn csrf_field(page: &str) -> String {
    let start = page.find(r#"name="csrf" value=""#).expect("the field") + 19;
    page[start..].split('"').next().expect("a value").to_owned()
}

/// The transfer form posted from `site` (`Sec-Fetch-Site`) with `body`.
async fn send(browser: &mut TestClient, site: &str, body: String) -> TestResponse {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", site)
        .body(Body::from(body))
        .expect("a request");
    browser.send(request).await
}

/// The home page as `browser` sees it now.
async fn home(browser: &mut TestClient) -> String {
    browser.get("/").await.text()
}

#[tokio::test]
async fn a_user_logs_in_sends_an_amount_sees_it_once_and_logs_out_everywhere() {
    let app = TestClient::new(quickstart_app::router(dev_keyring()));
    let mut browser = app.device();
    assert!(home(&mut browser).await.contains("<p>user: nobody</p>"));

    let login = browser.get("/login/7").await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let page = home(&mut browser).await;
    assert!(page.contains("<p>user: 7</p>"), "{page}");

    let token = csrf_field(&page);
    let saved = send(
        &mut browser,
        "same-origin",
        format!("amount=30&csrf={token}"),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert_eq!(
        saved.headers.get(LOCATION).map(|v| v.as_bytes()),
        Some(&b"/"[..])
    );
    let shown = home(&mut browser).await;
    assert!(shown.starts_with("sent 30<p>"), "{shown}");
    let again = home(&mut browser).await;
    assert!(!again.contains("sent 30"), "a notice shows once: {again}");

    // A post without this session's token is refused, and saves nothing.
    let forged = "amount=666&csrf=not-the-token".to_owned();
    let forged = send(&mut browser, "same-origin", forged).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // So is one from another site, before any handler runs, token or not.
    let cross_site = send(
        &mut browser,
        "cross-site",
        format!("amount=666&csrf={token}"),
    )
    .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert!(!home(&mut browser).await.contains("666"));

    // Two devices, one log out everywhere: both end. (The phone logged in
    // a minute ago: a session begun in the very second of the revocation
    // survives it, as the browser that asks for it may keep one.)
    let mut phone = app.device();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    let a_minute_ago = now.expect("after 1970").as_secs() - 60;
    phone
        .with_session_sealed_at(
            &dev_keyring(),
            &quickstart_app::User { id: 7 },
            a_minute_ago,
        )
        .expect("sealed");
    assert!(home(&mut phone).await.contains("<p>user: 7</p>"));
    let out = browser
        .send(
            Request::post("/logout-everywhere")
                .header("sec-fetch-site", "same-origin")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text());
    assert!(home(&mut browser).await.contains("<p>user: nobody</p>"));
    assert!(home(&mut phone).await.contains("<p>user: nobody</p>"));
}

/// The README's tour shows this example's code as it is, imports and all:
/// the copy there is compiled as a doctest, and this keeps it the same.
#[test]
fn the_readme_tour_shows_the_example_as_it_is() {
    let readme = include_str!("../../README.md");
    let app = include_str!("../../examples/quickstart/app.rs");
    let code = &app[app.find("use ").expect("imports")..];
    assert!(
        readme.contains(&format!("```rust\n{code}```")),
        "README.md's tour differs from examples/quickstart/app.rs: copy it again"
    );
}

/// The quickstart stays within 40 lines of code below its imports (blank
/// lines and comments not counted), and the README states the count.
#[test]
fn the_quickstart_is_at_most_40_lines_of_code_as_the_readme_says() {
    let app = include_str!("../../examples/quickstart/app.rs");
    let code = app
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//") && !line.starts_with("use "))
        .count();
    assert!(
        code <= 40,
        "the quickstart has grown to {code} lines of code"
    );
    let readme = include_str!("../../README.md").replace('\n', " ");
    assert!(
        readme.contains(&format!("in {code} lines below the imports")),
        "README.md should say the quickstart is {code} lines below the imports"
    );
}
