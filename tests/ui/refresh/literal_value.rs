// `refresh` names a type, not a string: each literal is reported at itself.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", user = "user_id")]
#[session(refresh = "AdminRefresh")]
struct AdminAccess {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant", namespace = "tenant", user = "user_id", refresh = 5)]
struct TenantAccess {
    user_id: u64,
}

fn main() {}
