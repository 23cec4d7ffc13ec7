// `user` names a field of a struct: an enum's variants have no common field.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "account", store, user = "user_id")]
enum Account {
    Member { user_id: u64 },
    Guest,
}

fn main() {}
