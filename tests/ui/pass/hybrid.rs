// A hybrid session: a short-lived cookie-mode access type refreshed from a
// long-lived store-mode refresh type, both in one registry.

use serde::{Deserialize, Serialize};
use session_seal::{OpenError, Registry, SessionPayload};

mod auth {
    use serde::{Deserialize, Serialize};
    use session_seal::SessionPayload;

    #[derive(Serialize, Deserialize, SessionPayload)]
    #[session(cookie = "__Host-admin_refresh", namespace = "admin_refresh", max_age = "30d")]
    #[session(store, user = "user_id", path = "/")]
    pub struct AdminRefresh {
        pub user_id: u64,
        pub roles: Vec<String>,
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SessionPayload)]
#[session(cookie = "__Host-admin", namespace = "admin", max_age = "5m", user = "user_id")]
#[session(refresh = auth::AdminRefresh, asymmetric)]
struct AdminAccess {
    user_id: u64,
    admin: bool,
}

impl From<&auth::AdminRefresh> for AdminAccess {
    fn from(refresh: &auth::AdminRefresh) -> Self {
        AdminAccess {
            user_id: refresh.user_id,
            admin: refresh.roles.iter().any(|role| role == "admin"),
        }
    }
}

/// A revocable access type may have a refresh type too.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant", namespace = "tenant", max_age = "15m", user = "user")]
#[session(revocable, absolute_max_age = "1d", refresh = TenantRefresh)]
struct TenantAccess {
    user: String,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "tenant_refresh", namespace = "tenant_refresh", store, user = "user")]
struct TenantRefresh {
    user: String,
}

impl From<&TenantRefresh> for TenantAccess {
    fn from(refresh: &TenantRefresh) -> Self {
        TenantAccess {
            user: refresh.user.clone(),
        }
    }
}

/// A facade re-exported under another path (`crate = "..."`).
mod framework {
    pub mod seal {
        pub mod __private_0_1 {
            pub use ::session_seal::__private_0_1::*;
        }
    }
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(crate = "framework::seal", cookie = "ops", namespace = "ops", max_age = "1m")]
#[session(user = "user_id", refresh = auth::AdminRefresh)]
struct OpsAccess {
    user_id: u64,
}

impl From<&auth::AdminRefresh> for OpsAccess {
    fn from(refresh: &auth::AdminRefresh) -> Self {
        OpsAccess {
            user_id: refresh.user_id,
        }
    }
}

/// An access type declared by a `macro_rules!` macro, its refresh type
/// given as `$refresh:ty`.
macro_rules! access_type {
    ($name:ident, $cookie:literal, $refresh:ty) => {
        #[derive(Serialize, Deserialize, SessionPayload)]
        #[session(cookie = $cookie, namespace = $cookie, max_age = "10m", user = "user")]
        #[session(refresh = $refresh)]
        struct $name {
            user: String,
        }

        impl From<&$refresh> for $name {
            fn from(refresh: &$refresh) -> Self {
                $name {
                    user: refresh.user.clone(),
                }
            }
        }
    };
}

access_type!(ReportsAccess, "reports", TenantRefresh);

session_seal::registry! {
    pub struct AppSessions {
        AdminAccess,
        auth::AdminRefresh,
        TenantRefresh,
        TenantAccess,
        OpsAccess,
        ReportsAccess,
    }
}

/// `HybridAccess::Refresh` is the declared type.
fn refresh_type<A>() -> std::any::TypeId
where
    A: session_seal::HybridAccess,
{
    std::any::TypeId::of::<A::Refresh>()
}

fn main() {
    const ACCESS: session_seal::SessionSpec = <AdminAccess as SessionPayload>::SPEC;
    const REFRESH: session_seal::SessionSpec = <auth::AdminRefresh as SessionPayload>::SPEC;
    assert_eq!(ACCESS.refresh(), Some(&REFRESH));
    assert!(ACCESS.has_user() && REFRESH.has_user());
    assert!(!ACCESS.is_stored() && REFRESH.is_stored());
    assert_eq!(REFRESH.refresh(), None);

    let pairing = <AdminAccess as SessionPayload>::REFRESH.expect("a hybrid access type");
    assert_eq!(pairing.spec(), &REFRESH);
    assert_eq!(
        pairing.type_id(),
        std::any::TypeId::of::<auth::AdminRefresh>()
    );
    assert_eq!(
        refresh_type::<AdminAccess>(),
        std::any::TypeId::of::<auth::AdminRefresh>()
    );
    let access = pairing
        .access(1, br#"{"user_id":7,"roles":["admin"]}"#)
        .expect("a refresh session");
    assert_eq!(
        access,
        AdminAccess {
            user_id: 7,
            admin: true
        }
    );
    assert_eq!(access.session_user().as_deref(), Some("7"));
    assert!(matches!(
        pairing.access(2, b"{}"),
        Err(OpenError::UnknownVersion { .. })
    ));
    assert!(<auth::AdminRefresh as SessionPayload>::REFRESH.is_none());
    assert!(<TenantAccess as SessionPayload>::REFRESH.is_some());
    assert_eq!(<OpsAccess as SessionPayload>::SPEC.refresh(), Some(&REFRESH));
    let reports = <ReportsAccess as SessionPayload>::REFRESH.expect("a hybrid access type");
    let access = reports
        .access(1, br#"{"user":"ana"}"#)
        .expect("a refresh session");
    assert_eq!(access.session_user().as_deref(), Some("ana"));
    assert_eq!(AppSessions::check(), Ok(()));
}
