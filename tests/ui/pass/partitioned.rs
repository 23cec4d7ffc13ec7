// `partitioned` with a __Host- name (Secure by its prefix) or with `secure`,
// both with same_site = "none"; a flash may be partitioned too.

use serde::{Deserialize, Serialize};
use session_seal::{SameSite, SessionPayload};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-widget", namespace = "widget", same_site = "none", partitioned)]
struct WidgetSession {
    visitor: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "embed", namespace = "embed", same_site = "None", secure, partitioned)]
#[session(path = "/embed", max_age = "2h")]
struct EmbedSession {
    visitor: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-widget-notice", namespace = "widget.notice")]
#[session(flash, same_site = "none", partitioned)]
enum WidgetNotice {
    Saved,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "app")]
struct AppSession {
    user_id: u64,
}

session_seal::registry! {
    struct AppSessions { WidgetSession, EmbedSession, WidgetNotice, AppSession }
}

const _: () = assert!(WidgetSession::SPEC.partitioned());
const _: () = assert!(WidgetSession::SPEC.secure());
const _: () = assert!(matches!(WidgetSession::SPEC.same_site(), SameSite::None));
const _: () = assert!(EmbedSession::SPEC.partitioned());
const _: () = assert!(WidgetNotice::SPEC.partitioned() && WidgetNotice::SPEC.is_flash());
const _: () = assert!(!AppSession::SPEC.partitioned());
// "; Partitioned" is counted in the size check.
const _: () = assert!(
    WidgetSession::SPEC.attributes_len()
        == "; Max-Age=".len() + 20 + "; Path=/".len() + "; SameSite=None".len()
            + "; HttpOnly".len() + "; Partitioned".len() + "; Secure".len()
);

fn main() {}
