//! [`RedisTokenStore`].

use std::fmt;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncConnectionConfig, Script};
use time::OffsetDateTime;
use toss_runtime::BoxError;
use toss_runtime::token::{AccessToken, RefreshLock, TokenStore};

use crate::error::Error;

/// A [`TokenStore`] shared through Redis. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct RedisTokenStore {
    connection: ConnectionManager,
    timeout: Duration,
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

    /// `command` on the shared connection, failed with [`Error::Timeout`] if it takes
    /// longer than the timeout, however long the connection manager would wait (it
    /// waits for a reconnection in progress without a bound of its own).
    async fn run<T, F>(&self, command: impl FnOnce(ConnectionManager) -> F) -> Result<T, Error>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.timeout, command(self.connection.clone())).await {
            Ok(result) => result.map_err(Error::Command),
            Err(_) => Err(Error::Timeout(self.timeout)),
        }
    }

    /// The raw stored value, and the token in it if it is one this crate wrote.
    async fn read(&self) -> Result<Option<(Vec<u8>, Option<AccessToken>)>, Error> {
        let key = &self.token_key;
        let stored: Option<Vec<u8>> = self
            .run(|mut connection| async move {
                redis::cmd("GET")
                    .arg(key)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(stored.map(|raw| {
            let token = std::str::from_utf8(&raw).ok().and_then(decode);
            if token.is_none() {
                // Never the value: it may hold a token in a format of another version.
                tracing::warn!(
                    key = %self.token_key,
                    "the stored token is not in the expected format; treating it as absent"
                );
            }
            (raw, token)
        }))
    }
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("token_key", &self.token_key)
            .field("lock_key", &self.lock_key)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// How long connecting and each command may take by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// Reconnection attempts in one round. The redis crate tries at once, then waits 1 s
/// (plus up to as much again at random: its backoff starts at 1 s, and
/// [`RECONNECT_MAX_DELAY_MS`] keeps it from growing) before each further attempt; a
/// command after a failed round starts the next, so the store reconnects for as long as
/// it is used, and stops trying once it is dropped.
const RECONNECT_ATTEMPTS: usize = 30;

/// The longest wait between reconnection attempts before the random part, in ms: the
/// redis crate's own default grows to a minute, which would leave a fleet without Redis
/// long after it came back.
const RECONNECT_MAX_DELAY_MS: u64 = 1_000;

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
    /// [`Error::Connect`] or [`Error::Timeout`]. Defaults to 1 second.
    ///
    /// The client leaves a failing store out and goes on without it, but a call that
    /// needs the store waits for it this long first.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connects.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] when the URL is invalid or the server does not answer within
    /// the timeout.
    pub async fn connect(self) -> Result<RedisTokenStore, Error> {
        let client = redis::Client::open(self.url.as_str()).map_err(Error::Connect)?;
        let tcp = tcp_settings(self.timeout);
        // One attempt first, so that a server that is not there fails `connect` at once
        // with its own reason, rather than after the manager's reconnection round.
        let probe = AsyncConnectionConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_tcp_settings(tcp.clone());
        drop(
            client
                .get_multiplexed_async_connection_with_config(&probe)
                .await
                .map_err(Error::Connect)?,
        );
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_factor(2)
            .set_max_delay(RECONNECT_MAX_DELAY_MS)
            .set_number_of_retries(RECONNECT_ATTEMPTS)
            .set_tcp_settings(tcp);
        let connection = tokio::time::timeout(
            self.timeout,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| Error::Connect(std::io::Error::from(std::io::ErrorKind::TimedOut).into()))?
        .map_err(Error::Connect)?;
        Ok(RedisTokenStore {
            connection,
            timeout: self.timeout,
            token_key: format!("toss-cert:{}:token", self.namespace),
            lock_key: format!("toss-cert:{}:token-lock", self.namespace),
        })
    }
}

/// On Linux, a connection whose sent data stays unacknowledged (a peer gone without a
/// reset, a network that drops everything) is closed after a few timeouts, and so
/// replaced; a server that is only slow still acknowledges, and keeps its connection.
fn tcp_settings(timeout: Duration) -> redis::io::tcp::TcpSettings {
    let settings = redis::io::tcp::TcpSettings::default();
    #[cfg(target_os = "linux")]
    let settings = settings.set_user_timeout(timeout.saturating_mul(4).max(Duration::from_secs(4)));
    #[cfg(not(target_os = "linux"))]
    let _ = timeout;
    settings
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
    /// The stored token; `None` also when the stored value is not one this crate wrote
    /// (logged, without the value), so that the client fetches a token and overwrites it.
    async fn get(&self) -> Result<Option<AccessToken>, BoxError> {
        Ok(self.read().await?.and_then(|(_, token)| token))
    }

    async fn put(&self, token: AccessToken) -> Result<(), BoxError> {
        let (key, value, ttl) = (&self.token_key, encode(&token), time_to_live_ms(&token));
        self.run(|mut connection| async move {
            redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PX")
                .arg(ttl)
                .query_async::<()>(&mut connection)
                .await
        })
        .await?;
        Ok(())
    }

    /// As [`TokenStore::compare_and_set`], where a stored value this crate cannot read
    /// counts as no token: `current: None` replaces it.
    async fn compare_and_set(
        &self,
        current: Option<&AccessToken>,
        new: Option<AccessToken>,
    ) -> Result<bool, BoxError> {
        let expected: Vec<u8> = match current {
            Some(token) => encode(token).into_bytes(),
            None => match self.read().await? {
                // Compared as it is, so that a token another process writes meanwhile
                // is not replaced.
                Some((raw, None)) => raw,
                Some((_, Some(_))) => return Ok(false),
                None => Vec::new(),
            },
        };
        let key = &self.token_key;
        let value = new.as_ref().map(encode).unwrap_or_default();
        let ttl = new.as_ref().map_or(1, time_to_live_ms);
        let swapped: i64 = self
            .run(|mut connection| async move {
                Script::new(COMPARE_AND_SET)
                    .key(key)
                    .arg(expected)
                    .arg(value)
                    .arg(ttl)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(swapped == 1)
    }

    async fn try_lock_refresh(&self, ttl: Duration) -> Result<Option<RefreshLock>, BoxError> {
        let fencing = fencing_value()?;
        let key = &self.lock_key;
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let taken: Option<String> = self
            .run(|mut connection| {
                let fencing = fencing.clone();
                async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(fencing)
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl_ms)
                        .query_async(&mut connection)
                        .await
                }
            })
            .await?;
        Ok(taken.map(|_| RefreshLock::new(fencing)))
    }

    async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), BoxError> {
        let key = &self.lock_key;
        let _: i64 = self
            .run(|mut connection| async move {
                Script::new(UNLOCK)
                    .key(key)
                    .arg(lock.fencing())
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
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

fn decode(text: &str) -> Option<AccessToken> {
    let mut parts = text.splitn(3, ':');
    let mut time = || {
        let ms: i128 = parts.next()?.parse().ok()?;
        OffsetDateTime::from_unix_timestamp_nanos(ms.checked_mul(1_000_000)?).ok()
    };
    let issued_at = time()?;
    let expires_at = time()?;
    let value = parts.next().filter(|v| !v.is_empty())?;
    Some(AccessToken::from_parts(value, issued_at, expires_at))
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
            assert!(decode(text).is_none(), "{text}");
        }
    }

    #[test]
    fn fencing_values_differ() {
        assert_ne!(fencing_value().unwrap(), fencing_value().unwrap());
    }
}
