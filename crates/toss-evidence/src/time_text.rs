//! Times as the evidence writes them.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Korea Standard Time, in which the report shows times.
pub(crate) const KST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// RFC 3339 in UTC, to the second (`2026-12-06T03:04:05Z`).
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// `2026-12-06 12:04:05 (KST)`, for people.
pub(crate) fn korean(at: OffsetDateTime) -> String {
    let at = at.to_offset(KST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} (KST)",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}
