// `crate = "..."` for code that reaches session_seal through a re-export,
// on the derive and on registry!.

mod framework {
    pub use ::session_seal as reexported;
}

use framework::reexported::{Registry, SessionPayload};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct AppV1 {
    id: u32,
}

impl From<AppV1> for AppSession {
    fn from(old: AppV1) -> Self {
        AppSession { id: u64::from(old.id) }
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(crate = "framework::reexported")]
#[session(cookie = "app", namespace = "app", version = 2, migrate(from = AppV1, version = 1))]
struct AppSession {
    id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(crate = "crate::framework::reexported", cookie = "csrf", namespace = "csrf")]
struct CsrfSession;

framework::reexported::registry! {
    #[session(crate = "framework::reexported")]
    struct Sessions { AppSession, CsrfSession }
}

fn main() {
    assert_eq!(Sessions::SPECS.len(), 2);
    let migrated = AppSession::decode_version(1, br#"{"id":7}"#).map(|session| session.id);
    assert_eq!(migrated.ok(), Some(7));
}
