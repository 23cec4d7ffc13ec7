// Enums derive: unit, struct and tuple variants; the value seals and opens.

use serde::{Deserialize, Serialize};
use session_seal::{Keyring, SessionPayload, SessionSecret};

#[derive(Serialize, Deserialize, SessionPayload, Debug, PartialEq)]
#[session(cookie = "notice", namespace = "notice", flash)]
enum Notice {
    Saved,
    Deleted { count: u32 },
    Renamed(String),
}

session_seal::registry! {
    struct AppSessions { Notice }
}

const _: () = assert!(Notice::SPEC.is_flash());
const _: () = assert!(Notice::SPEC.max_age_secs() == 300);

fn main() {
    let keyring = Keyring::new(SessionSecret::generate());
    for notice in [Notice::Saved, Notice::Deleted { count: 3 }, Notice::Renamed("acme".into())] {
        let value = keyring.seal(&notice).unwrap();
        assert_eq!(keyring.open::<Notice>(&value).unwrap().payload, notice);
    }
}
