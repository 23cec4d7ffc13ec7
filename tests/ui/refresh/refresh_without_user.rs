// A refresh type names its user: a family is revoked, and a user logged
// out everywhere, through store mode's per-user index. Reported when the
// access type's spec is evaluated, at `refresh = ...`.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin_refresh", namespace = "admin_refresh", max_age = "30d", store)]
struct AdminRefresh {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", max_age = "5m", user = "user_id")]
#[session(refresh = AdminRefresh)]
struct AdminAccess {
    user_id: u64,
}

impl From<&AdminRefresh> for AdminAccess {
    fn from(refresh: &AdminRefresh) -> Self {
        AdminAccess {
            user_id: refresh.user_id,
        }
    }
}

fn main() {}
