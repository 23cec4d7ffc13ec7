// Every extractor of a registered type compiles, in handlers and in a
// helper generic over `Registered`; a hand-written registry marks its
// members itself.

use serde::{Deserialize, Serialize};
use session_seal::{
    CsrfToken, Flash, Registered, Registry, RequireSession, SessionPayload, SessionSpec,
    SessionUser, TypedSession, VerifiedCsrf,
};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "account", namespace = "account", store, user = "user")]
struct Account {
    user: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash)]
struct Notice(String);

session_seal::registry! {
    struct AppSessions { Account, Notice }
}

#[derive(Serialize, Deserialize)]
struct Visits(u32);

impl SessionPayload for Visits {
    const SPEC: SessionSpec = SessionSpec::builder("Visits", "visits", "visits").build();
}

struct HandWritten;

impl Registry for HandWritten {
    const SPECS: &'static [SessionSpec] = &[Visits::SPEC];
    fn contains(id: std::any::TypeId) -> bool {
        id == std::any::TypeId::of::<Visits>()
    }
}

impl Registered for Visits {}

async fn account(_: TypedSession<Account>, _: RequireSession<Account>, _: SessionUser<Account>) {}

async fn forms(_: CsrfToken<Account>, _: VerifiedCsrf<Account>, _: Flash<Notice>) {}

async fn visits(_: TypedSession<Visits>) {}

fn is_signed_in<T: Registered + Send + Sync + 'static>(session: &TypedSession<T>) -> bool {
    session.get().is_some()
}

fn main() {
    let _ = (account, forms, visits, is_signed_in::<Account>);
}
