//! [`CsrfForm<T, F>`]: an HTML form whose CSRF field is checked before its
//! fields are parsed, so a handler gets only forms its own pages produced.
//!
//! The field's name is fixed ([`CSRF_FIELD`]) and
//! [`CsrfToken::form_field`] writes it, so the page and the check cannot
//! disagree about it. The token is checked first: a forged post is refused
//! with 403 whatever its other fields hold, and never reaches the form's
//! `Deserialize` impl.

use std::fmt;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use session_core::Registered;

use crate::TRACING_TARGET;
use crate::csrf::{CsrfRejection, CsrfToken};

/// The name of the form field [`CsrfForm`] reads the token from, and that
/// [`CsrfToken::form_field`] writes.
pub const CSRF_FIELD: &str = "csrf";

/// A form posted as `application/x-www-form-urlencoded` (what a browser
/// sends for `<form method="post">`), parsed into `F` once its
/// [`CSRF_FIELD`] holds the CSRF token of the current `T` session.
///
/// It is the body extractor, so the handler's last argument. The fields
/// are `form.into_inner()`, or `form.field` through `Deref`. Put
/// [`CsrfToken::form_field`] in the form. `F` need not declare the
/// token's field: serde skips fields a struct does not name (unless it is
/// `#[serde(deny_unknown_fields)]`; then declare `csrf`). The body is read
/// under axum's body limit (`DefaultBodyLimit`, 2 MB unless set).
///
/// The body is checked whatever the method: a route that extracts
/// `CsrfForm` is a route that changes something, and a token must not
/// travel in a URL (logs and `Referer` keep URLs), so a `GET` without a
/// body is refused as missing its token.
///
/// Fails with [`CsrfFormRejection`]: 403 for a missing or wrong token, 415
/// for a body that is not a form, 422 for fields that do not fit `F`.
///
/// ```
/// use axum::response::{Html, Redirect};
/// use serde::Deserialize;
/// use session_axum::{CsrfForm, CsrfToken};
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # struct Account { user: u64 }
/// # impl session_core::SessionPayload for Account {
/// #     const SPEC: session_core::SessionSpec =
/// #         session_core::SessionSpec::builder("Account", "account", "account").build();
/// # }
/// # impl session_core::Registered for Account {}
///
/// async fn page(csrf: CsrfToken<Account>) -> Html<String> {
///     let field = csrf.form_field();
///     Html(format!(r#"<form method="post"><input name="email">{field}<button>save</button></form>"#))
/// }
///
/// #[derive(Deserialize)]
/// struct Email {
///     email: String,
/// }
///
/// async fn save(form: CsrfForm<Account, Email>) -> Redirect {
///     // Only a form from `page` gets here.
///     let Email { email } = form.into_inner();
///     # let _ = email;
///     Redirect::to("/")
/// }
/// ```
pub struct CsrfForm<T: Registered + Send + Sync + 'static, F> {
    form: F,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<T: Registered + Send + Sync + 'static, F> CsrfForm<T, F> {
    /// The form's fields, by value (they are also reachable through
    /// `Deref`).
    pub fn into_inner(self) -> F {
        self.form
    }
}

impl<T: Registered + Send + Sync + 'static, F> std::ops::Deref for CsrfForm<T, F> {
    type Target = F;

    fn deref(&self) -> &F {
        &self.form
    }
}

impl<T: Registered + Send + Sync + 'static, F: fmt::Debug> fmt::Debug for CsrfForm<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfForm")
            .field("type", &T::SPEC.type_name())
            .field("form", &self.form)
            .finish()
    }
}

/// Why a [`CsrfForm`] was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfFormRejection {
    /// The token is missing or not the current session's (403), or the
    /// session could not be read.
    #[error(transparent)]
    Csrf(#[from] CsrfRejection),
    /// The request is not `application/x-www-form-urlencoded` (415).
    #[error("expected a form: `Content-Type: application/x-www-form-urlencoded`")]
    NotAForm,
    /// The body could not be read, e.g. it is over the body limit (axum's
    /// status for it, 413 there).
    #[error(transparent)]
    Body(#[from] BytesRejection),
    /// The token is right but the fields do not fit the form type (422).
    #[error("the form's fields do not fit: {0}")]
    Fields(#[source] serde_urlencoded::de::Error),
}

impl CsrfFormRejection {
    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            CsrfFormRejection::Csrf(rejection) => rejection.status(),
            CsrfFormRejection::NotAForm => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            CsrfFormRejection::Body(rejection) => rejection.status(),
            CsrfFormRejection::Fields(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl IntoResponse for CsrfFormRejection {
    fn into_response(self) -> Response {
        match self {
            CsrfFormRejection::Csrf(rejection) => rejection.into_response(),
            CsrfFormRejection::Body(rejection) => rejection.into_response(),
            refused => {
                // The log gets the kind only: serde's message can quote a
                // submitted value, which the sender may see but logs keep.
                let reason = match refused {
                    CsrfFormRejection::NotAForm => "not a form",
                    _ => "fields do not fit",
                };
                tracing::info!(target: TRACING_TARGET, reason, "form refused");
                (refused.status(), refused.to_string()).into_response()
            }
        }
    }
}

impl<T, F, S> FromRequest<S> for CsrfForm<T, F>
where
    T: Registered + Send + Sync + 'static,
    F: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = CsrfFormRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        if !is_form(parts.headers.get(CONTENT_TYPE)) {
            return Err(CsrfFormRejection::NotAForm);
        }
        let token = CsrfToken::<T>::from_request_parts(&mut parts, state).await?;
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await?;
        token.verify(&submitted_token(&body))?;
        serde_urlencoded::from_bytes(&body)
            .map(|form| CsrfForm {
                form,
                marker: std::marker::PhantomData,
            })
            .map_err(CsrfFormRejection::Fields)
    }
}

/// Whether the content type is `application/x-www-form-urlencoded`, with
/// or without parameters (`; charset=UTF-8`).
fn is_form(content_type: Option<&http::HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// The first [`CSRF_FIELD`] of the body, or "" (which
/// [`CsrfToken::verify`] refuses as missing).
fn submitted_token(body: &[u8]) -> String {
    form_urlencoded::parse(body)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_content_types_are_recognised_with_parameters_and_in_any_case() {
        let form = |value: &'static str| is_form(Some(&http::HeaderValue::from_static(value)));
        assert!(form("application/x-www-form-urlencoded"));
        assert!(form("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
        assert!(!form("multipart/form-data; boundary=x"));
        assert!(!form("application/json"));
        assert!(!is_form(None));
    }

    #[test]
    fn the_token_is_the_first_csrf_field_percent_decoded() {
        assert_eq!(submitted_token(b"note=a&csrf=t%2Bk&csrf=other"), "t+k");
        assert_eq!(submitted_token(b"note=a&csrfx=t"), "");
        assert_eq!(submitted_token(b""), "");
    }
}
