//! [`SessionStoreExt`]: the per-user operations, typed by session type.

use super::{SessionStore, StoreFuture, StoreKey, UserSession};
use crate::error::StoreError;
use crate::payload::SessionPayload;
use crate::spec::SessionSpec;

/// Typed per-user operations on any [`SessionStore`]: the namespace comes
/// from the session type, so a call can only touch that type's sessions.
///
/// ```
/// # async fn ban(store: &session_core::store::MemoryStore) -> Result<(), session_core::StoreError> {
/// use session_core::store::SessionStoreExt as _;
/// # #[derive(serde::Serialize, serde::Deserialize)] struct AdminSession;
/// # impl session_core::SessionPayload for AdminSession {
/// #     const SPEC: session_core::SessionSpec =
/// #         session_core::SessionSpec::builder("AdminSession", "admin", "admin").store().build();
/// # }
/// // Every AdminSession of user 42 stops working with its next request.
/// let ended = store.logout_all::<AdminSession>("42").await?;
/// # let _ = ended; Ok(()) }
/// ```
pub trait SessionStoreExt: SessionStore {
    /// `user`'s live sessions of type `T`, oldest first.
    fn list_sessions<T: SessionPayload>(
        &self,
        user: &str,
        now: u64,
    ) -> StoreFuture<'_, Vec<UserSession>> {
        let user = user.to_owned();
        Box::pin(async move { self.list_user(T::SPEC.namespace(), &user, now).await })
    }

    /// Ends every session of type `T` that `user` holds. Returns how many.
    fn logout_all<T: SessionPayload>(&self, user: &str) -> StoreFuture<'_, usize> {
        let user = user.to_owned();
        Box::pin(async move { self.delete_user(T::SPEC.namespace(), &user, None).await })
    }

    /// Ends every session of type `T` that `user` holds except `keep`.
    /// Returns how many.
    fn logout_others<T: SessionPayload>(
        &self,
        user: &str,
        keep: StoreKey,
    ) -> StoreFuture<'_, usize> {
        let user = user.to_owned();
        Box::pin(async move {
            self.delete_user(T::SPEC.namespace(), &user, Some(&keep))
                .await
        })
    }

    /// Ends the one session of type `T` stored under `key` if, and only if,
    /// it belongs to `user` ("sign out this device" on a "your devices"
    /// page, whose keys come from [`list_sessions`](Self::list_sessions)).
    /// Returns whether a session was ended: `false` for a key of another
    /// user, another type, or a session that had already ended.
    fn logout_session<T: SessionPayload>(
        &self,
        user: &str,
        key: StoreKey,
        now: u64,
    ) -> StoreFuture<'_, bool> {
        let user = user.to_owned();
        Box::pin(async move {
            let Some(record) = self.load(&key, now).await? else {
                return Ok(false);
            };
            if record.namespace != T::SPEC.namespace() || record.user.as_deref() != Some(&*user) {
                return Ok(false);
            }
            self.delete(&key).await
        })
    }

    /// Applies `T`'s `max_per_user`: while `user` holds more sessions than
    /// that, ends the least recently used one (by `touched_at`, then
    /// `created_at`), never `keep`. Returns how many were ended.
    ///
    /// Called after each new session is saved. Two logins racing may each see
    /// the other's row; the cap then holds again after the next login.
    fn enforce_max_per_user<T: SessionPayload>(
        &self,
        user: &str,
        keep: StoreKey,
        now: u64,
    ) -> StoreFuture<'_, usize> {
        let user = user.to_owned();
        Box::pin(async move { enforce_max_per_user(self, &T::SPEC, &user, keep, now).await })
    }
}

/// [`SessionStoreExt::enforce_max_per_user`] for a spec known only at run time.
pub async fn enforce_max_per_user<S: SessionStore + ?Sized>(
    store: &S,
    spec: &SessionSpec,
    user: &str,
    keep: StoreKey,
    now: u64,
) -> Result<usize, StoreError> {
    let Some(max) = spec.max_per_user() else {
        return Ok(0);
    };
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut sessions = store.list_user(spec.namespace(), user, now).await?;
    let Some(excess) = sessions.len().checked_sub(max).filter(|n| *n > 0) else {
        return Ok(0);
    };
    sessions.retain(|session| session.key != keep);
    sessions.sort_by_key(|session| (session.touched_at, session.created_at));
    let mut ended = 0;
    for session in sessions.iter().take(excess) {
        if store.delete(&session.key).await? {
            ended += 1;
        }
    }
    Ok(ended)
}

impl<S: SessionStore + ?Sized> SessionStoreExt for S {}
