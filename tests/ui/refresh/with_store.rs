// `refresh` goes on the cookie-mode access type; the store-mode type is the
// refresh type.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin_refresh", namespace = "admin_refresh", max_age = "30d")]
#[session(store, user = "user_id")]
struct AdminRefresh {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", max_age = "5m", user = "user_id")]
#[session(store, refresh = AdminRefresh)]
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
