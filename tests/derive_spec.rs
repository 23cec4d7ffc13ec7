//! What `#[derive(SessionPayload)]` and `registry!` produce, observed through
//! the facade: the declared spec, defaults, version dispatch, and the registry.

use serde::{Deserialize, Serialize};
use session_seal::{OpenError, Registry, SameSite, SessionPayload, SessionSpec};

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
    assert_eq!(
        session_seal::crates::core::check_specs(AppSessions::SPECS),
        Ok(())
    );
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
