use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

// An old schema with no `From<AdminV1> for AdminSession`.
#[derive(Deserialize)]
struct AdminV1 {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", version = 2)]
#[session(migrate(from = AdminV1, version = 1))]
struct AdminSession {
    user_id: u64,
}

fn main() {}
