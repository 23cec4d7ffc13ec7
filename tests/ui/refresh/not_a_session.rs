// `refresh` names a session type: a plain type is reported at the attribute.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize)]
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
