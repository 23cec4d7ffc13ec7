//! # session-redis
//!
//! placeholder
#![forbid(unsafe_code)]

mod config;
mod connection;
mod layout;
mod row;
mod scripts;
mod store;

pub use config::RedisStoreConfig;
pub use store::RedisStore;
