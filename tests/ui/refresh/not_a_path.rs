// `refresh` names a session type by its path: a reference, a tuple or a
// missing value is reported at the attribute.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", user = "user_id", refresh = &AdminRefresh)]
struct AdminAccess {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant", namespace = "tenant", user = "user_id", refresh)]
struct TenantAccess {
    user_id: u64,
}

fn main() {}
