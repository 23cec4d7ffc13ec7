// A flash holding several messages at once (a Vec), with a nested enum.

use serde::{Deserialize, Serialize};
use session_seal::{Keyring, SessionPayload, SessionSecret};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Level {
    Info,
    Error,
}

#[derive(Serialize, Deserialize, SessionPayload, Debug, PartialEq)]
#[session(cookie = "messages", namespace = "messages", flash, max_age = "30s")]
struct Messages {
    items: Vec<(Level, String)>,
}

const _: () = assert!(Messages::SPEC.is_flash());
const _: () = assert!(Messages::SPEC.max_age_secs() == 30);

fn main() {
    let keyring = Keyring::new(SessionSecret::generate());
    let messages = Messages {
        items: vec![(Level::Info, "saved".into()), (Level::Error, "one row skipped".into())],
    };
    let value = keyring.seal(&messages).unwrap();
    assert_eq!(keyring.open::<Messages>(&value).unwrap().payload, messages);
}
