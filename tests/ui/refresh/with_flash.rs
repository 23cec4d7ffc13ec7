// A flash message is read once: there is no session to keep refreshed.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice_refresh", namespace = "notice_refresh", store, user = "user_id")]
struct NoticeRefresh {
    user_id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash, refresh = NoticeRefresh)]
struct Notice {
    text: String,
}

fn main() {}
