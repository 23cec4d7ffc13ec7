//! What `#[derive(SessionPayload)]` and `registry!` produce, observed through
//! the facade: the declared spec, defaults, version dispatch, and the registry.

use serde::{Deserialize, Serialize};
use session_seal::{OpenError, Registry, SameSite, SessionPayload, SessionSpec, Storage};

#[derive(Debug, PartialEq, Deserialize)]
struct AdminV1 {
    user: u64,
}

#[derive(Debug, PartialEq, Deserialize)]
struct AdminV2 {
    user_id: u64,
}

impl From<AdminV1> for AdminSession {
    fn from(old: AdminV1) -> Self {
        AdminSession {
            user_id: old.user,
            roles: vec!["legacy".to_owned()],
        }
    }
}

impl From<AdminV2> for AdminSession {
    fn from(old: AdminV2) -> Self {
        AdminSession {
            user_id: old.user_id,
            roles: Vec::new(),
        }
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "__Host-admin",
    namespace = "admin",
    version = 3,
    max_age = "8h"
)]
#[session(migrate(from = AdminV2, version = 2), migrate(from = AdminV1, version = 1))]
struct AdminSession {
    user_id: u64,
    roles: Vec<String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "tenant_sid",
    namespace = "tenant",
    max_age = "7d",
    renew_after = "1d"
)]
#[session(
    same_site = "strict",
    path = "/t",
    domain = "example.com",
    http_only = false
)]
struct TenantSession {
    tenant: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SessionPayload)]
#[session(cookie = "op", namespace = "operator", secure, same_site = "none")]
struct OperatorSession;

#[derive(Debug, PartialEq, Serialize, Deserialize, SessionPayload)]
#[session(cookie = "account_sid", namespace = "account", max_age = "12h")]
#[session(store, user = "user_id", touch_after = "15m", max_per_user = 3)]
struct AccountSession {
    user_id: u64,
    email: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SessionPayload)]
#[session(cookie = "support_sid", namespace = "support", store, user = "agent")]
struct SupportSession {
    agent: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "cart_sid",
    namespace = "cart",
    store,
    max_age = "4m",
    user = "owner"
)]
struct CartSession {
    owner: Option<u64>,
}

const ACCOUNT: SessionSpec = <AccountSession as SessionPayload>::SPEC;
const SUPPORT: SessionSpec = <SupportSession as SessionPayload>::SPEC;
const CART: SessionSpec = <CartSession as SessionPayload>::SPEC;

session_seal::registry! {
    /// Every session this test app issues.
    pub struct AppSessions { AdminSession, TenantSession, OperatorSession }
}

const ADMIN: SessionSpec = <AdminSession as SessionPayload>::SPEC;
const TENANT: SessionSpec = <TenantSession as SessionPayload>::SPEC;
const OPERATOR: SessionSpec = <OperatorSession as SessionPayload>::SPEC;

#[test]
fn spec_holds_what_was_declared() {
    assert_eq!(ADMIN.type_name(), "AdminSession");
    assert_eq!(ADMIN.cookie(), "__Host-admin");
    assert_eq!(ADMIN.namespace(), "admin");
    assert_eq!(ADMIN.version(), 3);
    assert_eq!(ADMIN.max_age_secs(), 8 * 3_600);

    assert_eq!(TENANT.cookie(), "tenant_sid");
    assert_eq!(TENANT.namespace(), "tenant");
    assert_eq!(TENANT.max_age_secs(), 7 * 86_400);
    assert_eq!(TENANT.renew_after_secs(), 86_400);
    assert_eq!(TENANT.same_site(), SameSite::Strict);
    assert_eq!(TENANT.path(), "/t");
    assert_eq!(TENANT.domain(), Some("example.com"));
    assert!(!TENANT.http_only());
    assert!(
        !TENANT.secure(),
        "secure is left to the layer unless declared"
    );

    assert_eq!(OPERATOR.same_site(), SameSite::None);
    assert!(OPERATOR.secure());
}

#[test]
fn defaults() {
    // Admin declares no renew_after, path, domain, same_site or http_only.
    assert_eq!(ADMIN.renew_after_secs(), 4 * 3_600, "half of max_age");
    assert_eq!(ADMIN.path(), "/");
    assert_eq!(ADMIN.domain(), None);
    assert_eq!(ADMIN.same_site(), SameSite::Lax);
    assert!(ADMIN.http_only());
    assert!(ADMIN.secure(), "implied by the __Host- prefix");

    assert_eq!(OPERATOR.version(), 1);
    assert_eq!(OPERATOR.max_age_secs(), 86_400);
    assert_eq!(OPERATOR.renew_after_secs(), 43_200);
}

#[test]
fn store_mode_spec_holds_what_was_declared() {
    assert_eq!(ACCOUNT.storage(), Storage::Store);
    assert!(ACCOUNT.is_stored());
    assert_eq!(ACCOUNT.cookie(), "account_sid");
    assert_eq!(ACCOUNT.namespace(), "account");
    assert_eq!(ACCOUNT.max_age_secs(), 12 * 3_600);
    assert_eq!(ACCOUNT.touch_after_secs(), 15 * 60);
    assert_eq!(ACCOUNT.max_per_user(), Some(3));

    for cookie_mode in [ADMIN, TENANT, OPERATOR] {
        assert_eq!(cookie_mode.storage(), Storage::Cookie);
        assert!(!cookie_mode.is_stored());
        assert_eq!(cookie_mode.max_per_user(), None);
    }
}

#[test]
fn store_mode_defaults() {
    // Five minutes, or half of max_age when that is shorter.
    assert_eq!(SUPPORT.max_age_secs(), 86_400, "the default max_age");
    assert_eq!(SUPPORT.touch_after_secs(), 300);
    assert_eq!(SUPPORT.max_per_user(), None, "no limit unless declared");
    assert_eq!(CART.max_age_secs(), 240);
    assert_eq!(CART.touch_after_secs(), 120);
}

#[test]
fn a_declared_user_is_in_the_spec_and_no_type_has_a_refresh_type_unless_declared() {
    for with_user in [ACCOUNT, SUPPORT, CART] {
        assert!(with_user.has_user(), "{}", with_user.type_name());
    }
    for without in [ADMIN, TENANT, OPERATOR] {
        assert!(!without.has_user(), "{}", without.type_name());
    }
    for spec in [ACCOUNT, SUPPORT, CART, ADMIN, TENANT, OPERATOR] {
        assert_eq!(spec.refresh(), None, "{}", spec.type_name());
    }
    assert!(<AccountSession as SessionPayload>::REFRESH.is_none());
    assert!(<AdminSession as SessionPayload>::REFRESH.is_none());
}

#[test]
fn session_user_reads_the_declared_field() {
    let account = AccountSession {
        user_id: 42,
        email: "a@example.com".to_owned(),
    };
    assert_eq!(account.session_user(), Some("42".to_owned()));
    assert_eq!(account.email, "a@example.com");
    let support = SupportSession {
        agent: "ada".to_owned(),
    };
    assert_eq!(support.session_user(), Some("ada".to_owned()));
    assert_eq!(
        CartSession { owner: Some(7) }.session_user(),
        Some("7".to_owned())
    );
    assert_eq!(CartSession { owner: None }.session_user(), None);

    // Cookie-mode types keep the trait's default.
    let admin = AdminSession {
        user_id: 1,
        roles: Vec::new(),
    };
    assert_eq!(admin.session_user(), None);
    assert_eq!(OperatorSession.session_user(), None);
}

#[test]
fn decode_version_reads_current_and_migrated_versions() {
    let current =
        <AdminSession as SessionPayload>::decode_version(3, br#"{"user_id":1,"roles":["audit"]}"#);
    assert_eq!(
        current,
        Ok(AdminSession {
            user_id: 1,
            roles: vec!["audit".to_owned()]
        })
    );
    let v2 = <AdminSession as SessionPayload>::decode_version(2, br#"{"user_id":2}"#);
    assert_eq!(
        v2,
        Ok(AdminSession {
            user_id: 2,
            roles: Vec::new()
        })
    );
    let v1 = <AdminSession as SessionPayload>::decode_version(1, br#"{"user":3}"#);
    assert_eq!(
        v1,
        Ok(AdminSession {
            user_id: 3,
            roles: vec!["legacy".to_owned()]
        })
    );
}

#[test]
fn decode_version_refuses_undeclared_versions_and_bad_json() {
    for found in [0, 4, u32::MAX] {
        assert_eq!(
            <AdminSession as SessionPayload>::decode_version(found, b"{}"),
            Err(OpenError::UnknownVersion { found, current: 3 })
        );
    }
    assert_eq!(
        <TenantSession as SessionPayload>::decode_version(2, br#"{"tenant":"a"}"#),
        Err(OpenError::UnknownVersion {
            found: 2,
            current: 1
        })
    );
    // A version-2 cookie is read as AdminV2, not as the current schema.
    assert_eq!(
        <AdminSession as SessionPayload>::decode_version(2, br#"{"user_id":1,"roles":[]}"#)
            .map(|admin| admin.roles.len()),
        Ok(0)
    );
    assert_eq!(
        <AdminSession as SessionPayload>::decode_version(1, br#"{"user_id":1}"#),
        Err(OpenError::Malformed)
    );
}

#[test]
fn registry_lists_every_member_in_order() {
    assert_eq!(AppSessions::SPECS, &[ADMIN, TENANT, OPERATOR]);
    assert!(AppSessions::contains_type::<AdminSession>());
    assert!(AppSessions::contains_type::<TenantSession>());
    assert!(AppSessions::contains_type::<OperatorSession>());
    assert!(!AppSessions::contains_type::<AdminV2>());
    assert_eq!(<AppSessions as Registry>::check(), Ok(()));
}

#[test]
fn registry_struct_is_a_plain_unit_type() {
    fn plain<T: Clone + Copy + std::fmt::Debug + Default>() -> String {
        let value = T::default();
        let copy = value;
        format!("{copy:?} {value:?}")
    }
    assert_eq!(plain::<AppSessions>(), "AppSessions AppSessions");
}
