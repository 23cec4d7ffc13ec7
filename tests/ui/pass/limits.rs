// The edges of every rule the derive accepts also pass the const builder's
// checks (the derive must never accept what `build()` would panic on).

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc")]
#[session(namespace = "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn")]
#[session(version = 4294967295, max_age = "400d", renew_after = "399d23h59m59s")]
struct Longest;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__host-Tok!#$%&'*+-.^_`|~9", namespace = "a.b-c_d0")]
#[session(secure = true, same_site = "NONE", path = "/", max_age = "1s", renew_after = "0s")]
struct Edgy;

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__secure-x", namespace = "x", same_site = "none", path = "/ä b")]
#[session(domain = "ä.example")]
struct PrefixImpliesSecure;

fn main() {
    assert_eq!(Longest::SPEC.max_age_secs(), 400 * 86_400);
    assert_eq!(Longest::SPEC.version(), u32::MAX);
    assert!(Edgy::SPEC.secure());
    assert!(PrefixImpliesSecure::SPEC.secure());
}
