// The access cookie is the short-lived half of a hybrid session: a
// `max_age` as long as the refresh type's fails when the access type's spec
// is evaluated, at `refresh = ...`.

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
#[session(cookie = "admin", namespace = "admin", max_age = "30d", user = "user_id")]
#[session(refresh = auth::AdminRefresh)]
struct AdminAccess {
    user_id: u64,
}

impl From<&auth::AdminRefresh> for AdminAccess {
    fn from(refresh: &auth::AdminRefresh) -> Self {
        AdminAccess {
            user_id: refresh.user_id,
        }
    }
}

fn main() {}
