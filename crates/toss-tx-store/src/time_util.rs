//! Times are kept to the microsecond, as integers, the same in every backend.

use std::time::Duration;

use time::OffsetDateTime;

use crate::error::{Error, InvalidKind};

pub(crate) use toss_runtime::tx::to_store_precision as truncate;

/// Microseconds since the Unix epoch.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn to_micros(t: OffsetDateTime) -> Result<i64, Error> {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).map_err(|_| Error::Invalid(InvalidKind::Time))
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn from_micros(us: i64) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|_| Error::Stored("a time"))
}

/// `now + ttl`.
pub(crate) fn add(now: OffsetDateTime, ttl: Duration) -> Result<OffsetDateTime, Error> {
    let ttl = time::Duration::try_from(ttl).map_err(|_| Error::Invalid(InvalidKind::Duration))?;
    now.checked_add(ttl)
        .map(truncate)
        .ok_or(Error::Invalid(InvalidKind::Duration))
}

/// `now - age`.
pub(crate) fn sub(now: OffsetDateTime, age: Duration) -> Result<OffsetDateTime, Error> {
    let age = time::Duration::try_from(age).map_err(|_| Error::Invalid(InvalidKind::Duration))?;
    now.checked_sub(age)
        .map(truncate)
        .ok_or(Error::Invalid(InvalidKind::Duration))
}
