// `user = "account.id"`: the user is read through a path of fields, in
// store mode and for a revocable cookie type.

use serde::{Deserialize, Serialize};
use session_seal::SessionPayload;

#[derive(Serialize, Deserialize)]
struct Account {
    id: u64,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct Login {
    account: Account,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "store", store, user = "account.id")]
struct Stored {
    account: Account,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "rev", namespace = "rev", revocable, absolute_max_age = "7d")]
#[session(user = "login.account.name")]
struct Revocable {
    login: Login,
}

fn main() {
    let stored = Stored {
        account: Account { id: 42, name: "ada".into() },
    };
    assert_eq!(stored.session_user().as_deref(), Some("42"));
    let revocable = Revocable {
        login: Login {
            account: Account { id: 7, name: "grace".into() },
        },
    };
    assert_eq!(revocable.session_user().as_deref(), Some("grace"));
}
