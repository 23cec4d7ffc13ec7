//! The `SessionStore` implementation both SQL stores share: the same
//! statements (from [`Statements`](crate::sql::Statements)), the same row
//! codec and the same error mapping; only the driver types and the
//! transactions behind `move_in_transaction` / `delete_user_rows` differ.
//!
//! A macro rather than a generic impl: sqlx's `Database`-generic bounds for
//! binding, fetching and decoding these column types would be longer than the
//! code they would share.

/// `impl SessionStore for $store`, for a store type with `inner.{pool, sql,
/// table}`, `bounded`, `move_in_transaction` and `delete_user_rows`, in a
/// module that imports the names the body uses.
macro_rules! impl_session_store {
    ($store:ty) => {
        impl SessionStore for $store {
            fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
                Box::pin(async move {
                    let row = self
                        .bounded("load", async {
                            sqlx::query(&self.inner.sql.load)
                                .bind(key.as_bytes().as_slice())
                                .bind(db_time(now))
                                .fetch_optional(&self.inner.pool)
                                .await
                        })
                        .await?;
                    Ok(row.and_then(|row| match row::record(&row) {
                        Ok(record) => Some(record),
                        Err(unreadable) => {
                            row::warn_unreadable(BACKEND, &self.inner.table, &unreadable);
                            None
                        }
                    }))
                })
            }

            fn save<'a>(
                &'a self,
                key: &'a StoreKey,
                record: &'a Record,
                expected: Option<u64>,
                now: u64,
            ) -> StoreFuture<'a, SaveOutcome> {
                Box::pin(async move {
                    record.check_route(key)?;
                    let sql = &self.inner.sql;
                    let bound = Bound::new(record);
                    let query = match expected {
                        None => {
                            bind_record(sqlx::query(&sql.create), key, &bound).bind(db_time(now))
                        }
                        Some(expected) => bind_record(sqlx::query(&sql.update), key, &bound)
                            .bind(db_revision(expected))
                            .bind(db_time(now)),
                    };
                    let done = self
                        .bounded("save", query.execute(&self.inner.pool))
                        .await?;
                    Ok(if done.rows_affected() == 1 {
                        SaveOutcome::Saved
                    } else {
                        SaveOutcome::Conflict
                    })
                })
            }

            fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
                Box::pin(async move {
                    self.bounded("move_session", self.move_in_transaction(change))
                        .await
                })
            }

            fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
                Box::pin(async move {
                    let done = self
                        .bounded("delete", async {
                            sqlx::query(&self.inner.sql.delete)
                                .bind(key.as_bytes().as_slice())
                                .execute(&self.inner.pool)
                                .await
                        })
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            }

            fn touch<'a>(
                &'a self,
                key: &'a StoreKey,
                expires_at: u64,
                now: u64,
            ) -> StoreFuture<'a, bool> {
                Box::pin(async move {
                    let done = self
                        .bounded("touch", async {
                            sqlx::query(&self.inner.sql.touch)
                                .bind(key.as_bytes().as_slice())
                                .bind(db_time(now))
                                .bind(db_time(expires_at))
                                .bind(db_time(now))
                                .execute(&self.inner.pool)
                                .await
                        })
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            }

            fn list_user<'a>(
                &'a self,
                namespace: &'a str,
                user: &'a str,
                now: u64,
            ) -> StoreFuture<'a, Vec<UserSession>> {
                Box::pin(async move {
                    let rows = self
                        .bounded("list_user", async {
                            sqlx::query(&self.inner.sql.list_user)
                                .bind(namespace)
                                .bind(user)
                                .bind(db_time(now))
                                .fetch_all(&self.inner.pool)
                                .await
                        })
                        .await?;
                    Ok(rows
                        .iter()
                        .filter_map(|row| match row::user_session(row) {
                            Ok(session) => Some(session),
                            Err(unreadable) => {
                                row::warn_unreadable(BACKEND, &self.inner.table, &unreadable);
                                None
                            }
                        })
                        .collect())
                })
            }

            fn delete_user<'a>(
                &'a self,
                namespace: &'a str,
                user: &'a str,
                keep: Option<&'a StoreKey>,
            ) -> StoreFuture<'a, usize> {
                Box::pin(async move {
                    let deleted = self
                        .bounded("delete_user", self.delete_user_rows(namespace, user, keep))
                        .await?;
                    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
                })
            }
        }
    };
}

pub(crate) use impl_session_store;

/// The inherent methods both SQL stores share: expiry cleanup and the
/// operation timeout. `$cleanup_note` says how the backend's cleanup
/// batches coexist with requests.
macro_rules! impl_shared_methods {
    ($store:ty, $cleanup_note:literal) => {
        impl $store {
            /// Deletes every row that expired at or before `now` (Unix seconds), in
            /// batches of [`SqlStoreConfig::cleanup_batch`] rows (one statement
            /// each, never one unbounded `DELETE`), and returns how many.
            ///
            /// Stops after 1000 batches per call; the rest goes at the next call.
            #[doc = $cleanup_note]
            pub async fn delete_expired(&self, now: u64) -> Result<u64, StoreError> {
                let mut deleted = 0;
                for _ in 0..crate::MAX_CLEANUP_BATCHES {
                    let batch = self
                        .bounded("delete_expired", async {
                            sqlx::query(&self.inner.sql.delete_expired_batch)
                                .bind(db_time(now))
                                .bind(self.inner.cleanup_batch)
                                .execute(&self.inner.pool)
                                .await
                        })
                        .await?
                        .rows_affected();
                    deleted += batch;
                    if batch < self.inner.cleanup_batch.unsigned_abs() {
                        break;
                    }
                }
                Ok(deleted)
            }

            /// Runs [`delete_expired`](Self::delete_expired) with the system clock
            /// every `interval` (at least 1 ms), forever: spawn it next to the
            /// server and abort or drop it to stop. Errors are logged
            /// (`tracing::warn!`) and the next round tries again.
            pub async fn continuously_delete_expired(self, interval: Duration) {
                crate::every(interval, BACKEND, || {
                    self.delete_expired(session_core::__private::unix_now())
                })
                .await;
            }

            /// Runs `work` within the operation timeout, turning every driver
            /// error (pool timeout, refused or dropped connection, SQL error) into
            /// [`StoreError::Unavailable`].
            async fn bounded<T>(
                &self,
                operation: &'static str,
                work: impl Future<Output = Result<T, sqlx::Error>>,
            ) -> Result<T, StoreError> {
                crate::bounded(BACKEND, operation, self.inner.operation_timeout, work).await
            }
        }
    };
}

pub(crate) use impl_shared_methods;
