//! [`CookieJar`]: what a browser keeps between requests to one site.

use cookie::Cookie;

/// The cookies a [`TestClient`](super::TestClient) holds, kept by the rules a
/// browser follows for one host (RFC 6265 §5.3, §5.4):
///
/// - a `Set-Cookie` replaces the cookie with the same name and path;
/// - `Max-Age` (or else `Expires`) sets an expiry, measured on the client's
///   clock; `Max-Age=0` or an expiry in the past removes the cookie;
/// - without `Path`, the path is the request path's directory;
/// - a cookie is sent on requests whose path is within its path, longest
///   path first, then oldest first;
/// - `Secure` cookies are refused and not sent when the client plays a
///   plain-HTTP origin (unless told to accept them).
///
/// `Domain` is not checked: a test client talks to one host.
#[derive(Clone, Debug, Default)]
pub struct CookieJar {
    cookies: Vec<JarCookie>,
    /// Increases with each stored cookie, for "oldest first".
    created: u64,
}

/// One cookie in the jar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JarCookie {
    /// The cookie's name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// The path it is scoped to.
    pub path: String,
    /// Unix seconds after which it is gone; `None` for a session cookie.
    pub expires_at: Option<u64>,
    /// Whether it was set with `Secure`.
    pub secure: bool,
    created: u64,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one `Set-Cookie` header value received for `request_path` at
    /// `now`. Lines that do not parse are ignored, as browsers do.
    pub fn apply(&mut self, line: &str, request_path: &str, now: u64, secure_origin: bool) {
        let Ok(cookie) = Cookie::parse(line.to_owned()) else {
            return;
        };
        let secure = cookie.secure().unwrap_or(false);
        if secure && !secure_origin {
            return;
        }
        let path = match cookie.path() {
            Some(path) if path.starts_with('/') => path.to_owned(),
            _ => default_path(request_path),
        };
        let expires_at = if let Some(max_age) = cookie.max_age() {
            let secs = max_age.whole_seconds();
            Some(if secs <= 0 {
                0
            } else {
                now.saturating_add(secs.unsigned_abs())
            })
        } else {
            cookie
                .expires_datetime()
                .map(|at| u64::try_from(at.unix_timestamp()).unwrap_or(0))
        };
        let name = cookie.name().to_owned();
        let existing = self
            .cookies
            .iter()
            .position(|kept| kept.name == name && kept.path == path);
        // A replaced cookie keeps its creation order, as in RFC 6265 §5.3.
        let created = existing
            .map(|at| self.cookies.remove(at).created)
            .unwrap_or_else(|| {
                self.created += 1;
                self.created
            });
        if expires_at.is_some_and(|at| at <= now) {
            return;
        }
        self.cookies.push(JarCookie {
            name,
            value: cookie.value().to_owned(),
            path,
            expires_at,
            secure,
            created,
        });
    }

    /// The `Cookie` header a browser would send to `request_path` at `now`,
    /// or `None` if no cookie applies.
    pub fn header_for(&self, request_path: &str, now: u64, secure_origin: bool) -> Option<String> {
        let mut sent: Vec<&JarCookie> = self
            .cookies
            .iter()
            .filter(|cookie| cookie.is_live(now))
            .filter(|cookie| secure_origin || !cookie.secure)
            .filter(|cookie| path_matches(&cookie.path, request_path))
            .collect();
        sent.sort_by(|a, b| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then(a.created.cmp(&b.created))
        });
        let pairs: Vec<String> = sent
            .iter()
            .map(|cookie| format!("{}={}", cookie.name, cookie.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// The value of the live cookie called `name` (the longest path's, if
    /// several), at `now`.
    pub fn value(&self, name: &str, now: u64) -> Option<&str> {
        self.cookies
            .iter()
            .filter(|cookie| cookie.name == name && cookie.is_live(now))
            .max_by_key(|cookie| cookie.path.len())
            .map(|cookie| cookie.value.as_str())
    }

    /// Puts a cookie in the jar that stays until removed (as an attacker,
    /// a tampering user, or a browser keeping a stale cookie would have it),
    /// replacing one with the same name and path.
    pub fn insert(&mut self, name: &str, value: &str, path: &str) {
        self.insert_until(name, value, path, None);
    }

    /// Puts a cookie in the jar that expires at `expires_at` (unix seconds;
    /// `None`: never), as a `Set-Cookie` with that lifetime would.
    pub fn insert_until(&mut self, name: &str, value: &str, path: &str, expires_at: Option<u64>) {
        self.remove(name, path);
        self.created += 1;
        self.cookies.push(JarCookie {
            name: name.to_owned(),
            value: value.to_owned(),
            path: path.to_owned(),
            expires_at,
            secure: false,
            created: self.created,
        });
    }

    /// Removes the cookie with this name and path. Returns whether there was one.
    pub fn remove(&mut self, name: &str, path: &str) -> bool {
        let before = self.cookies.len();
        self.cookies
            .retain(|cookie| !(cookie.name == name && cookie.path == path));
        self.cookies.len() != before
    }

    /// Every cookie held, live or not yet purged, in the order stored.
    pub fn iter(&self) -> impl Iterator<Item = &JarCookie> {
        self.cookies.iter()
    }
}

impl JarCookie {
    fn is_live(&self, now: u64) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// RFC 6265 §5.1.4: the directory of the request path.
fn default_path(request_path: &str) -> String {
    let path = request_path.split('?').next().unwrap_or("/");
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(at) => path.get(..at).unwrap_or("/").to_owned(),
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    let request_path = request_path.split('?').next().unwrap_or("/");
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn path_scoping_and_order() {
        let mut jar = CookieJar::new();
        jar.apply("sid=root; Path=/", "/", NOW, true);
        jar.apply("sid=admin; Path=/admin", "/admin/login", NOW, true);
        jar.apply("other=1", "/admin/login", NOW, true); // default path /admin
        assert_eq!(jar.header_for("/", NOW, true).as_deref(), Some("sid=root"));
        assert_eq!(
            jar.header_for("/admin/users", NOW, true).as_deref(),
            Some("sid=admin; other=1; sid=root")
        );
        assert_eq!(
            jar.header_for("/administrator", NOW, true).as_deref(),
            Some("sid=root"),
            "/admin does not path-match /administrator"
        );
        assert_eq!(jar.value("sid", NOW), Some("admin"));
    }

    #[test]
    fn removal_and_expiry_follow_the_clock() {
        let mut jar = CookieJar::new();
        jar.apply("sid=v; Max-Age=60; Path=/", "/", NOW, true);
        assert_eq!(jar.value("sid", NOW + 59), Some("v"));
        assert_eq!(jar.value("sid", NOW + 60), None, "expired at Max-Age");
        assert_eq!(jar.header_for("/", NOW + 60, true), None);

        jar.apply("sid=w; Max-Age=60; Path=/", "/", NOW, true);
        jar.apply("sid=; Max-Age=0; Path=/", "/", NOW, true);
        assert_eq!(jar.value("sid", NOW), None, "Max-Age=0 removes");
        assert_eq!(jar.iter().count(), 0);

        jar.apply(
            "sid=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "/",
            NOW,
            true,
        );
        assert_eq!(
            jar.value("sid", NOW),
            None,
            "an Expires in the past removes"
        );
    }

    #[test]
    fn secure_cookies_need_a_secure_origin() {
        let mut jar = CookieJar::new();
        jar.apply("sid=v; Secure; Path=/", "/", NOW, false);
        assert_eq!(jar.value("sid", NOW), None, "refused over plain HTTP");
        jar.apply("sid=v; Secure; Path=/", "/", NOW, true);
        assert_eq!(jar.header_for("/", NOW, true).as_deref(), Some("sid=v"));
        assert_eq!(
            jar.header_for("/", NOW, false),
            None,
            "not sent over plain HTTP"
        );
    }

    #[test]
    fn garbage_lines_are_ignored() {
        let mut jar = CookieJar::new();
        jar.apply("", "/", NOW, true);
        jar.apply("=novalue", "/", NOW, true);
        jar.apply("no equals sign", "/", NOW, true);
        assert_eq!(jar.iter().count(), 0);
    }
}
