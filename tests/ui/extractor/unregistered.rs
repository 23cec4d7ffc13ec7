// A handler that extracts a session type no `registry!` lists: the error
// is at the extractor's type and names the session type.
use serde::{Deserialize, Serialize};
use session_seal::{Flash, SessionPayload, TypedSession};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "account", namespace = "account")]
struct Account {
    user: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "cart", namespace = "cart")]
struct Cart {
    items: Vec<u64>,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash)]
struct Notice(String);

session_seal::registry! {
    pub struct AppSessions { Account }
}

async fn account(_account: TypedSession<Account>) {}

async fn cart(_cart: TypedSession<Cart>) {}

async fn notice(_notice: Flash<Notice>) {}

fn main() {
    let _ = (account, cart, notice);
}
