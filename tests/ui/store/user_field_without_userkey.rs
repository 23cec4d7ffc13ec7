use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize)]
struct AccountId {
    raw: [u8; 16],
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "admin", store, user = "account")]
struct Session {
    account: AccountId,
}

fn main() {}
