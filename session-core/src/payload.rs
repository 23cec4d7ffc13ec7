//! The [`SessionPayload`] trait every session type implements, and the
//! [`Registry`] of one application's session types.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{OpenError, SealError};
use crate::spec::SessionSpec;

/// A type that can be carried in a session cookie.
///
/// Normally derived with `#[derive(SessionPayload)]` from the `session-seal`
/// crate, which also checks the spec at compile time and generates the version
/// dispatch for declared migrations. Implementing it by hand is supported:
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_core::{SessionPayload, SessionSpec};
///
/// #[derive(Serialize, Deserialize)]
/// struct Flash { message: String }
///
/// impl SessionPayload for Flash {
///     const SPEC: SessionSpec = SessionSpec::builder("Flash", "flash", "flash")
///         .max_age_secs(300)
///         .build();
/// }
/// ```
pub trait SessionPayload: Serialize + DeserializeOwned {
    /// The cookie name, namespace, version, lifetime and attributes.
    const SPEC: SessionSpec;

    /// Decodes a payload that was sealed under schema `version`.
    ///
    /// The default accepts only the current version. The derive overrides it to
    /// also accept each `migrate(from = Old, version = N)`: the JSON is read as
    /// `Old` and converted with `Into<Self>`. Any other version must return
    /// [`OpenError::UnknownVersion`].
    fn decode_version(version: u32, json: &[u8]) -> Result<Self, OpenError> {
        if version == Self::SPEC.version() {
            decode_json(json)
        } else {
            Err(unknown_version::<Self>(version))
        }
    }

    /// The user this session belongs to, for store mode's per-user index
    /// (logout everywhere, sign out other devices, `max_per_user`).
    ///
    /// `None` (the default) keeps the session out of the index. The derive
    /// implements it from `#[session(user = "field")]` through [`UserKey`].
    fn session_user(&self) -> Option<String> {
        None
    }

    /// For the access type of a hybrid session (`#[session(refresh = R)]`):
    /// its refresh type and how an access payload is made from a refresh
    /// session. `None` (the default) for every other type.
    ///
    /// The layer reads it to refresh an access cookie that is absent or
    /// expired from the request's refresh cookie, so every extractor of the
    /// access type (`TypedSession`, `RequireSession`, …) sees the refreshed
    /// session. The derive writes it; see [`HybridAccess`].
    const REFRESH: Option<RefreshPairing<Self>> = None;
}

/// The pairing of a hybrid session's access type `A` with its refresh type,
/// as [`SessionPayload::REFRESH`] holds it.
///
/// Built in constant context by [`RefreshPairing::new`]; the derive writes
/// one for `#[session(refresh = R)]` from `R`'s spec, `TypeId::of::<R>` and
/// a function that decodes `R` and converts it with `From<&R>`.
pub struct RefreshPairing<A> {
    spec: &'static SessionSpec,
    type_id: fn() -> std::any::TypeId,
    access: fn(u32, &[u8]) -> Result<A, OpenError>,
}

impl<A> RefreshPairing<A> {
    /// The pairing of `A` with the refresh type `R`, whose stored sessions
    /// become access payloads through `access`: it is given the refresh
    /// session's schema version and JSON, and decodes them with
    /// [`SessionPayload::decode_version`] of `R` before converting.
    pub const fn new(
        spec: &'static SessionSpec,
        type_id: fn() -> std::any::TypeId,
        access: fn(u32, &[u8]) -> Result<A, OpenError>,
    ) -> Self {
        RefreshPairing {
            spec,
            type_id,
            access,
        }
    }

    /// The refresh type's spec (store mode).
    pub const fn spec(&self) -> &'static SessionSpec {
        self.spec
    }

    /// The refresh type's [`TypeId`](std::any::TypeId).
    pub fn type_id(&self) -> std::any::TypeId {
        (self.type_id)()
    }

    /// The access payload for a refresh session stored as `json` under
    /// schema `version`.
    ///
    /// # Errors
    ///
    /// The refresh type's decoding error ([`OpenError::Malformed`],
    /// [`OpenError::UnknownVersion`]).
    pub fn access(&self, version: u32, json: &[u8]) -> Result<A, OpenError> {
        (self.access)(version, json)
    }
}

impl<A> Clone for RefreshPairing<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A> Copy for RefreshPairing<A> {}

impl<A> std::fmt::Debug for RefreshPairing<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshPairing")
            .field("refresh", &self.spec.type_name())
            .finish_non_exhaustive()
    }
}

/// The access type of a hybrid session: a short-lived cookie-mode type whose
/// sessions are refreshed from a long-lived store-mode type
/// ([`Refresh`](Self::Refresh)), rotated on every use.
///
/// Implemented by `#[derive(SessionPayload)]` for
/// `#[session(refresh = R)]`, together with [`SessionPayload::REFRESH`];
/// the access type must implement `From<&R>`.
pub trait HybridAccess: SessionPayload {
    /// The refresh type: store mode, with a `user`, living longer than the
    /// access type.
    type Refresh: SessionPayload + 'static;
}

/// A value that names a user in store mode's per-user index.
///
/// Implemented for strings, integers, and `Option`s of them (`None` means
/// "no user": an anonymous session). Implement it for your own id types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot identify a user of a session",
    label = "`{Self}` does not implement `UserKey`",
    note = "implement `session_seal::UserKey` for `{Self}`, or name another field in `user = \"...\"`"
)]
pub trait UserKey {
    /// The user as a string, or `None` for an anonymous session.
    fn user_key(&self) -> Option<String>;
}

impl<K: UserKey + ?Sized> UserKey for &K {
    fn user_key(&self) -> Option<String> {
        (**self).user_key()
    }
}

impl<K: UserKey> UserKey for Option<K> {
    fn user_key(&self) -> Option<String> {
        self.as_ref().and_then(UserKey::user_key)
    }
}

impl UserKey for str {
    fn user_key(&self) -> Option<String> {
        Some(self.to_owned())
    }
}

impl UserKey for String {
    fn user_key(&self) -> Option<String> {
        Some(self.clone())
    }
}

macro_rules! user_key_via_to_string {
    ($($ty:ty),*) => {$(
        impl UserKey for $ty {
            fn user_key(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}

user_key_via_to_string!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// Writes `value` as the JSON a session carries (in its cookie or its store row).
pub fn encode_json<T: Serialize>(value: &T) -> Result<Vec<u8>, SealError> {
    serde_json::to_vec(value).map_err(SealError::Serialize)
}

/// Reads `json` as `T`; any JSON error is [`OpenError::Malformed`].
///
/// Used by generated version dispatch; deliberately drops serde's message,
/// which can quote parts of the payload.
pub fn decode_json<T: DeserializeOwned>(json: &[u8]) -> Result<T, OpenError> {
    serde_json::from_slice(json).map_err(|_| OpenError::Malformed)
}

/// Reads `json` as the older schema `Old` and converts it into `T`.
pub fn decode_migrated<Old, T>(json: &[u8]) -> Result<T, OpenError>
where
    Old: DeserializeOwned + Into<T>,
{
    decode_json::<Old>(json).map(Into::into)
}

/// The [`OpenError::UnknownVersion`] for `found` under `T`'s current version.
pub fn unknown_version<T: SessionPayload>(found: u32) -> OpenError {
    OpenError::UnknownVersion {
        found,
        current: T::SPEC.version(),
    }
}
