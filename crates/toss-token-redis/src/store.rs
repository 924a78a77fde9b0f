//! [`RedisTokenStore`].

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};
use time::OffsetDateTime;
use toss_sign::{AccessToken, BoxError, RefreshLock, TokenStore};

use crate::error::Error;

/// A [`TokenStore`] shared through Redis. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct RedisTokenStore {
    connection: ConnectionManager,
    token_key: String,
    lock_key: String,
}

impl RedisTokenStore {
    /// Starts configuring a store on the Redis server at `url`
    /// (`redis://[user:password@]host:port/db`).
    pub fn builder(url: impl Into<String>) -> RedisTokenStoreBuilder {
        RedisTokenStoreBuilder {
            url: url.into(),
            namespace: "default".into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The key the token is kept under.
    pub fn token_key(&self) -> &str {
        &self.token_key
    }

    /// The key of the refresh lock.
    pub fn lock_key(&self) -> &str {
        &self.lock_key
    }
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("token_key", &self.token_key)
            .field("lock_key", &self.lock_key)
            .finish_non_exhaustive()
    }
}

/// How long connecting and each command may take by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Configures a [`RedisTokenStore`].
#[must_use]
pub struct RedisTokenStoreBuilder {
    url: String,
    namespace: String,
    timeout: Duration,
}

impl RedisTokenStoreBuilder {
    /// Separates the keys of services (or client ids) sharing one Redis. Defaults to
    /// `default`.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// How long connecting, and each command, may take before failing with
    /// [`Error::Connect`] or [`Error::Command`]. Defaults to 2 seconds.
    ///
    /// The client reads the store on every call and holds its refresh lock while it
    /// talks to Redis, so a Redis that stops answering must fail the call rather than
    /// hang it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connects.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] when the URL is invalid or the server does not answer.
    pub async fn connect(self) -> Result<RedisTokenStore, Error> {
        let client = redis::Client::open(self.url.as_str()).map_err(Error::Connect)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(Error::Connect)?;
        Ok(RedisTokenStore {
            connection,
            token_key: format!("toss-cert:{}:token", self.namespace),
            lock_key: format!("toss-cert:{}:token-lock", self.namespace),
        })
    }
}

impl fmt::Debug for RedisTokenStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password.
        f.debug_struct("RedisTokenStoreBuilder")
            .field("namespace", &self.namespace)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Replaces the token only if it still is the expected one ('' = none; new '' = delete).
const COMPARE_AND_SET: &str = r"
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  if ARGV[2] == '' then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  end
  return 1
end
return 0
";

/// Deletes the lock only if it still holds the caller's fencing value.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

#[async_trait]
impl TokenStore for RedisTokenStore {
    async fn get(&self) -> Result<Option<AccessToken>, BoxError> {
        let mut connection = self.connection.clone();
        let stored: Option<Vec<u8>> = connection
            .get(&self.token_key)
            .await
            .map_err(Error::Command)?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&stored).map_err(|_| Error::Corrupt)?;
        Ok(Some(decode(text)?))
    }

    async fn put(&self, token: AccessToken) -> Result<(), BoxError> {
        let mut connection = self.connection.clone();
        let _: () = redis::cmd("SET")
            .arg(&self.token_key)
            .arg(encode(&token))
            .arg("PX")
            .arg(time_to_live_ms(&token))
            .query_async(&mut connection)
            .await
            .map_err(Error::Command)?;
        Ok(())
    }

    async fn compare_and_set(
        &self,
        current: Option<&AccessToken>,
        new: Option<AccessToken>,
    ) -> Result<bool, BoxError> {
        let mut connection = self.connection.clone();
        let swapped: i64 = Script::new(COMPARE_AND_SET)
            .key(&self.token_key)
            .arg(current.map(encode).unwrap_or_default())
            .arg(new.as_ref().map(encode).unwrap_or_default())
            .arg(new.as_ref().map_or(1, time_to_live_ms))
            .invoke_async(&mut connection)
            .await
            .map_err(Error::Command)?;
        Ok(swapped == 1)
    }

    async fn try_lock_refresh(&self, ttl: Duration) -> Result<Option<RefreshLock>, BoxError> {
        let fencing = fencing_value()?;
        let mut connection = self.connection.clone();
        let taken: Option<String> = redis::cmd("SET")
            .arg(&self.lock_key)
            .arg(&fencing)
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1))
            .query_async(&mut connection)
            .await
            .map_err(Error::Command)?;
        Ok(taken.map(|_| RefreshLock::new(fencing)))
    }

    async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), BoxError> {
        let mut connection = self.connection.clone();
        let _: i64 = Script::new(UNLOCK)
            .key(&self.lock_key)
            .arg(lock.fencing())
            .invoke_async(&mut connection)
            .await
            .map_err(Error::Command)?;
        Ok(())
    }
}

fn encode(token: &AccessToken) -> String {
    format!(
        "{}:{}:{}",
        unix_ms(token.issued_at()),
        unix_ms(token.expires_at()),
        token.expose_secret()
    )
}

fn decode(text: &str) -> Result<AccessToken, Error> {
    let mut parts = text.splitn(3, ':');
    let mut time = || {
        let ms: i128 = parts.next()?.parse().ok()?;
        OffsetDateTime::from_unix_timestamp_nanos(ms.checked_mul(1_000_000)?).ok()
    };
    let issued_at = time().ok_or(Error::Corrupt)?;
    let expires_at = time().ok_or(Error::Corrupt)?;
    let value = parts
        .next()
        .filter(|v| !v.is_empty())
        .ok_or(Error::Corrupt)?;
    Ok(AccessToken::from_parts(value, issued_at, expires_at))
}

fn unix_ms(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos() / 1_000_000
}

/// Until the token's own expiry, so that Redis drops it when the provider would refuse it.
fn time_to_live_ms(token: &AccessToken) -> i64 {
    let left = token.expires_at() - OffsetDateTime::now_utc();
    i64::try_from(left.whole_milliseconds())
        .unwrap_or(i64::MAX)
        .max(1)
}

fn fencing_value() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|_| Error::Random)?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn encoding_round_trips_tokens_with_colons() {
        let token = AccessToken::from_parts(
            "a:b:c",
            datetime!(2026-11-25 09:00:00.123 UTC),
            datetime!(2026-11-25 10:00:00.456 UTC),
        );
        let decoded = decode(&encode(&token)).unwrap();
        assert_eq!(decoded.expose_secret(), "a:b:c");
        assert_eq!(decoded.issued_at(), token.issued_at());
        assert_eq!(decoded.expires_at(), token.expires_at());
    }

    #[test]
    fn refuses_foreign_values() {
        for text in ["", "x", "1:2", "1:2:", "a:2:t", "1:b:t"] {
            assert!(matches!(decode(text), Err(Error::Corrupt)), "{text}");
        }
    }

    #[test]
    fn fencing_values_differ() {
        assert_ne!(fencing_value().unwrap(), fencing_value().unwrap());
    }
}
