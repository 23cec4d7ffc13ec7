// Three sessions of one app in a registry: distinct cookie names and namespaces.

use serde::{Deserialize, Serialize};
use session_seal::{Registry, SessionPayload};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-admin", namespace = "admin", max_age = "8h")]
struct AdminSession {
    user_id: u64,
}

mod tenant {
    use serde::{Deserialize, Serialize};
    use session_seal::SessionPayload;

    #[derive(Serialize, Deserialize, SessionPayload)]
    #[session(cookie = "tenant", namespace = "tenant")]
    pub struct TenantSession {
        pub tenant: String,
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "operator", namespace = "operator")]
struct OperatorSession;

session_seal::registry! {
    /// Every session this app issues.
    #[allow(dead_code)]
    pub(crate) struct AppSessions { AdminSession, tenant::TenantSession, OperatorSession, }
}

fn main() {
    let cookies: Vec<&str> = AppSessions::SPECS.iter().map(|spec| spec.cookie()).collect();
    assert_eq!(cookies, ["__Host-admin", "tenant", "operator"]);
    assert!(AppSessions::contains_type::<tenant::TenantSession>());
    assert!(!AppSessions::contains_type::<String>());
    let _copy: AppSessions = AppSessions::default();
}
