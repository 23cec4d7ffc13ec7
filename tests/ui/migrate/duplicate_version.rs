use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Deserialize)]
struct AdminV1 {
    user_id: u64,
}

#[derive(Deserialize)]
struct AdminV1b {
    id: u64,
}

impl From<AdminV1> for AdminSession {
    fn from(old: AdminV1) -> Self {
        AdminSession { user_id: old.user_id }
    }
}

impl From<AdminV1b> for AdminSession {
    fn from(old: AdminV1b) -> Self {
        AdminSession { user_id: old.id }
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", version = 3)]
#[session(migrate(from = AdminV1, version = 1), migrate(from = AdminV1b, version = 1))]
struct AdminSession {
    user_id: u64,
}

fn main() {}
