use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Deserialize)]
struct AdminV2 {
    user_id: u64,
}

impl From<AdminV2> for AdminSession {
    fn from(old: AdminV2) -> Self {
        AdminSession { user_id: old.user_id }
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", version = 2)]
#[session(migrate(from = AdminV2, version = 2))]
struct AdminSession {
    user_id: u64,
}

fn main() {}
