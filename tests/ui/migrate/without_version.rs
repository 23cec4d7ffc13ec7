use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Deserialize)]
struct AdminV1 {
    user_id: u64,
}

impl From<AdminV1> for AdminSession {
    fn from(old: AdminV1) -> Self {
        AdminSession { user_id: old.user_id }
    }
}

// `version` is not declared, so the current version is 1: nothing to migrate from.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", migrate(from = AdminV1, version = 1))]
struct AdminSession {
    user_id: u64,
}

fn main() {}
