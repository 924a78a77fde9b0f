//! The store's error type.

use std::time::Duration;

/// Why the Redis token store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Redis URL is invalid or the server could not be reached.
    #[error("cannot connect to Redis")]
    Connect(#[source] redis::RedisError),
    /// A Redis command failed.
    #[error("redis command failed")]
    Command(#[source] redis::RedisError),
    /// Redis did not answer a command in time (it is down, hung, or being reconnected
    /// to).
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// The operating system's random generator failed (fencing values).
    #[error("no randomness for the lock's fencing value")]
    Random,
}
