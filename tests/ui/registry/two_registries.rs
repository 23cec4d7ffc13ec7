// A session type belongs to one registry: listing it in a second one is
// an error at that mention.
use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "account", namespace = "account")]
struct Account {
    user: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "admin", namespace = "admin")]
struct Admin {
    user: u64,
}

session_seal::registry! {
    pub struct PublicSessions { Account }
}

session_seal::registry! {
    pub struct AdminSessions { Admin, Account }
}

fn main() {}
