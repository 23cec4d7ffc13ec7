//! The demo app of `cargo run --example multi_layer`: three independent
//! sessions (admin, tenant, operator) under one secret; the admin one is
//! encrypted and revocable ("log out everywhere"), the other two signed.
//! The tenant area's rename form leaves a flash [`Notice`] for the page it
//! redirects to. The HTTP tests in `tests/http/http_sessions.rs` and
//! `tests/http/flash_http.rs` drive this same router.

use axum::extract::Path;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};
use session_seal::{
    CrossOriginLayer, Flash, RequireSession, SessionError, SessionLayer, SessionPayload,
    SessionStatus, TypedSession,
};

/// Admin area session. Version 2 added `roles`; version-1 cookies still open
/// and are re-issued as version 2. Encrypted: its cookie hides the user id
/// and roles (wire format 2), where the tenant and operator cookies are
/// signed only; the handlers cannot tell the difference. Revocable: "log
/// out everywhere" ends every copy of every admin cookie of the user, on
/// every process that follows the layer's revocations, with no store read
/// per request.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "admin_sid", namespace = "admin", version = 2, max_age = "8h")]
#[session(encrypted, revocable, user = "user_id", absolute_max_age = "7d")]
#[session(migrate(from = AdminV1, version = 1))]
pub struct AdminSession {
    pub user_id: u64,
    pub roles: Vec<String>,
}

/// The admin session as version 1 wrote it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AdminV1 {
    pub user_id: u64,
}

impl From<AdminV1> for AdminSession {
    fn from(old: AdminV1) -> Self {
        AdminSession {
            user_id: old.user_id,
            roles: vec!["admin".to_owned()],
        }
    }
}

/// Tenant area session: which tenant a user is working in.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "tenant_sid", namespace = "tenant", max_age = "1d")]
pub struct TenantSession {
    pub user_id: u64,
    pub tenant: String,
}

/// Operator console session: short-lived, strict, scoped to `/ops`.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "ops_sid",
    namespace = "operator",
    max_age = "15m",
    path = "/ops",
    same_site = "strict"
)]
pub struct OperatorSession {
    pub operator: String,
}

/// A flash message for the page after a form post (post/redirect/get):
/// sealed in its own cookie by the handler that redirects, read once by
/// the page it redirects to. Five minutes at most, the flash default.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "notice", namespace = "notice", flash)]
pub enum Notice {
    /// The tenant was renamed.
    Renamed { tenant: String },
    /// The new name was empty or too long; nothing changed.
    InvalidName,
    /// There is no tenant session to rename.
    NoTenantSession,
}

impl Notice {
    /// The line the next page shows.
    pub fn text(&self) -> String {
        match self {
            Notice::Renamed { tenant } => format!("saved: tenant renamed to {tenant}"),
            Notice::InvalidName => "not saved: a tenant name is 1 to 64 characters".into(),
            Notice::NoTenantSession => "not saved: log in to a tenant first".into(),
        }
    }
}

session_seal::registry! {
    /// Every session this app issues.
    pub struct AppSessions { AdminSession, TenantSession, OperatorSession, Notice }
}

/// The demo's routes.
pub fn router(layer: SessionLayer<AppSessions>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/admin/login/{user_id}", get(admin_login))
        .route("/admin/whoami", get(admin_whoami))
        .route("/admin/logout", get(admin_logout))
        .route("/admin/logout-everywhere", get(admin_logout_everywhere))
        .route("/admin/audit", get(admin_audit))
        .route("/admin/grant/{role}", get(admin_grant))
        .route("/tenant/login/{user_id}/{tenant}", get(tenant_login))
        .route("/tenant/whoami", get(tenant_whoami))
        .route("/tenant/rename", post(tenant_rename))
        .route("/tenant/logout", get(tenant_logout))
        .route("/ops/login/{operator}", get(ops_login))
        .route("/ops/whoami", get(ops_whoami))
        .route("/ops/logout", get(ops_logout))
        .route("/ops/console", get(ops_console))
        .route("/sessions", get(sessions))
        .layer(layer)
        // Refuses cross-site form posts (the rename form) before any handler.
        .layer(CrossOriginLayer::new())
}

/// "valid", or why the request's cookie was not usable.
fn describe(status: SessionStatus) -> String {
    match status {
        SessionStatus::Valid => "valid".into(),
        SessionStatus::Absent => "none".into(),
        SessionStatus::Invalid(reason) => format!("rejected ({reason})"),
        _ => status.label().into(),
    }
}

async fn index() -> Html<&'static str> {
    Html(include_str!("index.html"))
}

async fn admin_login(
    Path(user_id): Path<u64>,
    mut session: TypedSession<AdminSession>,
) -> Result<String, SessionError> {
    session.insert(AdminSession {
        user_id,
        roles: vec!["admin".into()],
    })?;
    Ok(format!("admin {user_id} logged in\n"))
}

async fn admin_whoami(session: TypedSession<AdminSession>) -> String {
    match session.get() {
        Some(admin) => format!("admin {} roles={}\n", admin.user_id, admin.roles.join(",")),
        None => format!("no admin session: {}\n", describe(session.status())),
    }
}

async fn admin_logout(mut session: TypedSession<AdminSession>) -> &'static str {
    session.remove();
    "admin logged out\n"
}

/// Ends every admin session of this user, on every device and every copy
/// of the cookie (a revocation), this one included.
async fn admin_logout_everywhere(
    mut session: TypedSession<AdminSession>,
) -> Result<String, SessionError> {
    let Some(user_id) = session.get().map(|admin| admin.user_id) else {
        return Ok("no admin session\n".into());
    };
    session.logout_everywhere().await?;
    Ok(format!("admin {user_id} logged out everywhere\n"))
}

/// Only for admins: 401 without a valid admin session.
async fn admin_audit(admin: RequireSession<AdminSession>) -> String {
    format!("audit log for admin {}\n", admin.user_id)
}

/// A privilege change: update the payload, then renew (fresh issue time).
async fn admin_grant(
    Path(role): Path<String>,
    mut session: TypedSession<AdminSession>,
) -> Result<String, SessionError> {
    if !session.update(|admin| admin.roles.push(role.clone()))? {
        return Ok("no admin session\n".into());
    }
    session.renew()?;
    Ok(format!("granted {role}\n"))
}

async fn tenant_login(
    Path((user_id, tenant)): Path<(u64, String)>,
    mut session: TypedSession<TenantSession>,
) -> Result<String, SessionError> {
    session.insert(TenantSession {
        user_id,
        tenant: tenant.clone(),
    })?;
    Ok(format!("user {user_id} working in tenant {tenant}\n"))
}

/// Who is working in which tenant, after the notice a form post left, if
/// any (reading it consumes it: a reload shows no notice).
async fn tenant_whoami(session: TypedSession<TenantSession>, notice: Flash<Notice>) -> String {
    let notice = notice
        .get()
        .map(|notice| format!("{}\n", notice.text()))
        .unwrap_or_default();
    match session.get() {
        Some(t) => format!("{notice}user {} in tenant {}\n", t.user_id, t.tenant),
        None => format!(
            "{notice}no tenant session: {}\n",
            describe(session.status())
        ),
    }
}

/// The rename form's fields.
#[derive(Deserialize)]
struct RenameForm {
    /// The tenant's new name.
    tenant: String,
}

/// The rename form's target: renames the tenant, leaves a notice saying
/// what happened, and redirects (303) to `/tenant/whoami`, which shows it
/// once.
async fn tenant_rename(
    mut session: TypedSession<TenantSession>,
    mut notice: Flash<Notice>,
    Form(form): Form<RenameForm>,
) -> Result<Redirect, SessionError> {
    let tenant = form.tenant.trim().to_owned();
    let outcome = if tenant.is_empty() || tenant.chars().count() > 64 {
        Notice::InvalidName
    } else if session.update(|t| t.tenant.clone_from(&tenant))? {
        Notice::Renamed { tenant }
    } else {
        Notice::NoTenantSession
    };
    notice.set(outcome)?;
    Ok(Redirect::to("/tenant/whoami"))
}

async fn tenant_logout(mut session: TypedSession<TenantSession>) -> &'static str {
    session.remove();
    "tenant logged out\n"
}

async fn ops_login(
    Path(operator): Path<String>,
    mut session: TypedSession<OperatorSession>,
) -> Result<String, SessionError> {
    session.insert(OperatorSession {
        operator: operator.clone(),
    })?;
    Ok(format!("operator {operator} on duty\n"))
}

async fn ops_whoami(session: TypedSession<OperatorSession>) -> String {
    match session.get() {
        Some(op) => format!("operator {}\n", op.operator),
        None => format!("no operator session: {}\n", describe(session.status())),
    }
}

async fn ops_logout(mut session: TypedSession<OperatorSession>) -> &'static str {
    session.remove();
    "operator logged out\n"
}

async fn ops_console(op: RequireSession<OperatorSession>) -> String {
    format!("console for operator {}\n", op.operator)
}

/// Which sessions this browser holds. (The operator cookie is scoped to
/// `/ops`, so the browser does not send it here; `/ops/whoami` shows it.)
async fn sessions(
    admin: TypedSession<AdminSession>,
    tenant: TypedSession<TenantSession>,
) -> String {
    let admin = admin.get().map_or_else(
        || describe(admin.status()),
        |a| format!("user {} roles={}", a.user_id, a.roles.join(",")),
    );
    let tenant = tenant.get().map_or_else(
        || describe(tenant.status()),
        |t| format!("user {} tenant {}", t.user_id, t.tenant),
    );
    format!("admin:  {admin}\ntenant: {tenant}\n")
}
