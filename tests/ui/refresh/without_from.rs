// An access payload is made from the refresh session with `From<&R>`:
// without it, the error is at `refresh = ...`.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

mod auth {
    use serde::{Deserialize, Serialize};
    use session_seal::SessionPayload;

    #[derive(Serialize, Deserialize, SessionPayload)]
    #[session(cookie = "admin_refresh", namespace = "admin_refresh", max_age = "30d")]
    #[session(store, user = "user_id")]
    pub struct AdminRefresh {
        pub user_id: u64,
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin", max_age = "5m", user = "user_id")]
#[session(refresh = auth::AdminRefresh)]
struct AdminAccess {
    user_id: u64,
}

// By value, not by reference: not the conversion asked for.
impl From<auth::AdminRefresh> for AdminAccess {
    fn from(refresh: auth::AdminRefresh) -> Self {
        AdminAccess {
            user_id: refresh.user_id,
        }
    }
}

fn main() {}
