// `revocable` cookie-mode sessions, signed and encrypted, with `user` and
// `absolute_max_age`, in a registry next to a plain type; the spec says so
// and `session_user` reads the field.

use serde::{Deserialize, Serialize};
use session_seal::{SessionPayload, Storage};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-admin", namespace = "admin", max_age = "8h")]
#[session(revocable, user = "user_id", absolute_max_age = "7d")]
struct AdminSession {
    user_id: u64,
    roles: Vec<String>,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "account", namespace = "account", encrypted, revocable)]
#[session(user = "email", absolute_max_age = "30d", renew_after = "1h")]
struct AccountSession {
    email: Option<String>,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant", namespace = "tenant")]
struct TenantSession {
    tenant: String,
}

session_seal::registry! {
    struct AppSessions { AdminSession, AccountSession, TenantSession }
}

const _: () = assert!(AdminSession::SPEC.is_revocable());
const _: () = assert!(AccountSession::SPEC.is_revocable());
const _: () = assert!(AccountSession::SPEC.is_encrypted());
const _: () = assert!(!TenantSession::SPEC.is_revocable());
const _: () = assert!(matches!(AdminSession::SPEC.storage(), Storage::Cookie));

fn main() {
    assert_eq!(AdminSession::SPEC.absolute_max_age_secs(), Some(7 * 86_400));
    let admin = AdminSession {
        user_id: 42,
        roles: Vec::new(),
    };
    assert_eq!(admin.session_user().as_deref(), Some("42"));
    assert!(admin.roles.is_empty());
    let anonymous = AccountSession { email: None };
    assert_eq!(anonymous.session_user(), None);
    let ada = AccountSession {
        email: Some(String::from("ada@example.com")),
    };
    assert_eq!(ada.session_user().as_deref(), Some("ada@example.com"));
    let tenant = TenantSession {
        tenant: String::from("t"),
    };
    assert_eq!(tenant.session_user(), None);
    assert_eq!(tenant.tenant, "t");
}
