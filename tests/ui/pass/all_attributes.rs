// Every attribute of the derive, spread over several #[session(...)] lines.

use serde::{Deserialize, Serialize};
use session_seal::{SameSite, SessionPayload};

#[derive(Deserialize)]
struct PrefsV1 {
    dark: bool,
}

impl From<PrefsV1> for Prefs {
    fn from(old: PrefsV1) -> Self {
        Prefs {
            theme: if old.dark { "dark" } else { "light" }.to_owned(),
        }
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Secure-prefs", namespace = "prefs.v2", version = 2)]
#[session(max_age = "30d", renew_after = "1d12h", same_site = "None")]
#[session(absolute_max_age = "90d")]
#[session(path = "/app", domain = "example.com", http_only = false, secure)]
#[session(migrate(from = PrefsV1, version = 1), crate = "::session_seal")]
struct Prefs {
    theme: String,
}

fn main() {
    const SPEC: session_seal::SessionSpec = <Prefs as SessionPayload>::SPEC;
    assert_eq!(SPEC.type_name(), "Prefs");
    assert_eq!(SPEC.cookie(), "__Secure-prefs");
    assert_eq!(SPEC.namespace(), "prefs.v2");
    assert_eq!(SPEC.version(), 2);
    assert_eq!(SPEC.max_age_secs(), 30 * 86_400);
    assert_eq!(SPEC.renew_after_secs(), 36 * 3_600);
    assert_eq!(SPEC.absolute_max_age_secs(), Some(90 * 86_400));
    assert_eq!(SPEC.same_site(), SameSite::None);
    assert_eq!(SPEC.path(), "/app");
    assert_eq!(SPEC.domain(), Some("example.com"));
    assert!(!SPEC.http_only());
    assert!(SPEC.secure());
    let migrated = Prefs::decode_version(1, br#"{"dark":true}"#).map(|prefs| prefs.theme);
    assert_eq!(migrated.ok().as_deref(), Some("dark"));
}
