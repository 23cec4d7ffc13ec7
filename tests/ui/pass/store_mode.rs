// Every store-mode attribute, and `crate = "..."` honoured for `user`'s
// `UserKey` path as for the rest of the impl.

use serde::{Deserialize, Serialize};
use session_seal::{SessionPayload, Storage};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-admin", namespace = "admin", version = 2, max_age = "8h")]
#[session(store, user = "user_id", touch_after = "10m", max_per_user = 5)]
struct AdminSession {
    user_id: u64,
    roles: Vec<String>,
}

/// A facade whose `__private_0_1::UserKey` is its own trait: the derive must
/// reach `UserKey` through `crate = "..."`, or `Uid` would not be accepted.
mod framework {
    pub mod seal {
        pub mod __private_0_1 {
            pub use ::session_seal::__private_0_1::*;

            pub trait UserKey {
                fn user_key(&self) -> Option<String>;
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Uid(u32);

impl framework::seal::__private_0_1::UserKey for Uid {
    fn user_key(&self) -> Option<String> {
        Some(format!("uid-{}", self.0))
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(crate = "framework::seal", cookie = "app", namespace = "app", store, user = "uid")]
struct AppSession {
    uid: Uid,
}

fn main() {
    const SPEC: session_seal::SessionSpec = <AdminSession as SessionPayload>::SPEC;
    assert_eq!(SPEC.storage(), Storage::Store);
    assert_eq!(SPEC.version(), 2);
    assert_eq!(SPEC.max_age_secs(), 8 * 3_600);
    assert_eq!(SPEC.touch_after_secs(), 600);
    assert_eq!(SPEC.max_per_user(), Some(5));
    let admin = AdminSession {
        user_id: 42,
        roles: Vec::new(),
    };
    assert_eq!(admin.session_user().as_deref(), Some("42"));
    assert!(admin.roles.is_empty());

    let app = AppSession { uid: Uid(7) };
    assert_eq!(app.session_user().as_deref(), Some("uid-7"));
    assert!(<AppSession as SessionPayload>::SPEC.is_stored());
}
