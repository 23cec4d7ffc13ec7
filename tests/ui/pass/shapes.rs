// Named, tuple and unit structs and enums; bare flags; a raw identifier.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "named", namespace = "named", secure, http_only)]
struct Named {
    id: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tuple", namespace = "tuple", max_age = "15m")]
struct Tuple(u64, String);

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "unit", namespace = "unit", same_site = "strict")]
struct Unit;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "flash", namespace = "flash", max_age = "5m", renew_after = "0s")]
enum Flash {
    Notice(String),
    Alert { message: String },
}

#[allow(non_camel_case_types)]
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "raw", namespace = "raw")]
struct r#type;

fn main() {
    assert!(<Named as SessionPayload>::SPEC.secure());
    assert_eq!(<Tuple as SessionPayload>::SPEC.renew_after_secs(), 450);
    assert_eq!(<Unit as SessionPayload>::SPEC.same_site(), session_seal::SameSite::Strict);
    assert_eq!(<Flash as SessionPayload>::SPEC.renew_after_secs(), 0);
    assert_eq!(<r#type as SessionPayload>::SPEC.type_name(), "type");
}
