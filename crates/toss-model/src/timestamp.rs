//! Date-times as the provider writes them: `YYYY-MM-DDThh:mm:ss±hh:mm`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::error::TimestampError;

/// A date-time with its UTC offset, such as `requestedDt` and `completedDt`.
///
/// Read from `YYYY-MM-DDThh:mm:ss±hh:mm` (any RFC 3339 date-time is accepted too) and written
/// back the same way, with the offset it came with: `2022-03-13T17:52:22+09:00` stays exactly
/// that. Fractions of a second, which the provider does not send, are kept and written.
///
/// ```
/// use toss_model::Timestamp;
///
/// let at: Timestamp = "2022-03-13T17:52:22+09:00".parse()?;
/// assert_eq!(at.offset().whole_hours(), 9);
/// assert_eq!(at.to_string(), "2022-03-13T17:52:22+09:00");
/// # Ok::<(), toss_model::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Parses the provider's form, `YYYY-MM-DDThh:mm:ss±hh:mm`, or any RFC 3339 date-time.
    ///
    /// # Errors
    ///
    /// [`TimestampError`] when the text is neither.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(text, WIRE_FORMAT)
            .or_else(|_| OffsetDateTime::parse(text, &Rfc3339))
            .map(Self)
            .map_err(|_| TimestampError::new(text.len()))
    }

    /// The date-time, with its original offset.
    #[must_use]
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// The UTC offset the value came with.
    #[must_use]
    pub fn offset(&self) -> UtcOffset {
        self.0.offset()
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    #[must_use]
    pub fn unix_timestamp(&self) -> i64 {
        self.0.unix_timestamp()
    }
}

impl From<OffsetDateTime> for Timestamp {
    /// Wraps a date-time. Offsets are written as `±hh:mm`; seconds of an offset are not kept.
    fn from(value: OffsetDateTime) -> Self {
        Self(value)
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = if self.0.nanosecond() == 0 {
            WIRE_FORMAT
        } else {
            WIRE_FORMAT_WITH_FRACTION
        };
        // Formatting a valid OffsetDateTime with a fixed description fails only on a writer
        // error, which fmt::Error reports.
        let text = self.0.format(format).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;

        impl serde::de::Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date-time as YYYY-MM-DDThh:mm:ss±hh:mm")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse(text).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(TimestampVisitor)
    }
}

const WIRE_FORMAT: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
);

const WIRE_FORMAT_WITH_FRACTION: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond][offset_hour sign:mandatory]:[offset_minute]"
);

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn keeps_the_offset_it_came_with() {
        for text in [
            "2022-03-13T17:52:22+09:00",
            "2022-03-13T08:52:22+00:00",
            "1999-12-31T23:59:59-05:30",
        ] {
            let parsed = Timestamp::parse(text).unwrap();
            assert_eq!(parsed.to_string(), text);
        }
    }

    #[test]
    fn equal_instants_in_other_offsets_are_kept_apart() {
        let seoul = Timestamp::parse("2022-03-13T17:52:22+09:00").unwrap();
        let utc = Timestamp::parse("2022-03-13T08:52:22+00:00").unwrap();
        assert_eq!(seoul.unix_timestamp(), utc.unix_timestamp());
        assert_ne!(seoul.to_string(), utc.to_string());
    }

    #[test]
    fn accepts_rfc3339_and_keeps_fractions() {
        let zulu = Timestamp::parse("2022-03-13T08:52:22Z").unwrap();
        assert_eq!(zulu.to_string(), "2022-03-13T08:52:22+00:00");
        let spaced = Timestamp::parse("2022-03-13 17:52:22+09:00").unwrap();
        assert_eq!(spaced.to_string(), "2022-03-13T17:52:22+09:00");
        let fraction = Timestamp::parse("2022-03-13T17:52:22.25+09:00").unwrap();
        assert_eq!(fraction.to_string(), "2022-03-13T17:52:22.25+09:00");
    }

    #[test]
    fn refuses_what_is_not_a_date_time_with_offset() {
        for text in [
            "",
            "2022-03-13",
            "2022-03-13T17:52:22",
            "2022-13-13T17:52:22+09:00",
            "2022-03-13T17:52+09:00",
            "null",
        ] {
            assert!(
                Timestamp::parse(text).is_err(),
                "{text:?} should be refused"
            );
        }
    }
}
