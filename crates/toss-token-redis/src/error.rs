//! The store's error type.

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
    /// The stored value is not a token this crate wrote.
    #[error("the stored token is not in the expected format")]
    Corrupt,
    /// The operating system's random generator failed (fencing values).
    #[error("no randomness for the lock's fencing value")]
    Random,
}
