// A registry with an access type must hold its refresh type too: the error
// is at the access type.

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

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "cart", namespace = "cart")]
struct Cart {
    items: Vec<u64>,
}

session_seal::registry! {
    pub struct AppSessions { Cart, AdminAccess }
}

fn main() {}
