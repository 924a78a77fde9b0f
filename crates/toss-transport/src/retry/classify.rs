//! Whether one attempt's outcome is worth another attempt.

use std::time::{Duration, SystemTime};

use http::StatusCode;
use http::header::RETRY_AFTER;

use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decision {
    DontRetry,
    Retry { after: Option<Duration> },
}

/// The classifiers in order; the first that has an opinion decides.
pub(super) fn classify(
    request: &HttpRequest,
    outcome: &Result<HttpResponse, TransportError>,
) -> Decision {
    match outcome {
        Err(error) => transport_error(request, error),
        Ok(response) => throttled(response)
            .or_else(|| unavailable(request, response))
            .unwrap_or(Decision::DontRetry),
    }
}

/// A request that never left is always safe to send again; one that may have arrived
/// only when repeating it changes nothing. An invalid request, a refused destination and
/// an oversized body are final.
fn transport_error(request: &HttpRequest, error: &TransportError) -> Decision {
    // Refusals by rule would come out the same however often they were tried.
    if error.is_user() || error.is_cleartext_refused() || error.is_body_too_large() {
        Decision::DontRetry
    } else if error.never_connected() || request.is_idempotent() {
        Decision::Retry { after: None }
    } else {
        Decision::DontRetry
    }
}

/// 429: the server did not process the request and says when to come back.
fn throttled(response: &HttpResponse) -> Option<Decision> {
    (response.status() == StatusCode::TOO_MANY_REQUESTS).then(|| Decision::Retry {
        after: retry_after(response),
    })
}

/// 502, 503, 504: a gateway or the server failed, possibly after acting on the request.
fn unavailable(request: &HttpRequest, response: &HttpResponse) -> Option<Decision> {
    let status = response.status();
    let transient = matches!(
        status,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    );
    (transient && request.is_idempotent()).then(|| Decision::Retry {
        after: retry_after(response),
    })
}

/// `Retry-After` as delay-seconds or an HTTP date.
fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate(value)?;
    let now = SystemTime::now();
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 requires senders to use.
fn httpdate(value: &str) -> Option<SystemTime> {
    let mut parts = value.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':');
    let hour: u64 = clock.next()?.parse().ok()?;
    let minute: u64 = clock.next()?.parse().ok()?;
    let second: u64 = clock.next()?.parse().ok()?;
    if parts.next()? != "GMT" || day == 0 || day > 31 || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    let seconds = days
        .checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u64, day: u64) -> Option<u64> {
    let month = i64::try_from(month).ok()?;
    let day = i64::try_from(day).ok()?;
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    u64::try_from(era * 146_097 + day_of_era - 719_468).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InvalidRequest;
    use http::HeaderMap;

    fn post() -> HttpRequest {
        HttpRequest::post("http://h/x").build().unwrap()
    }

    fn idempotent_post() -> HttpRequest {
        HttpRequest::post("http://h/x")
            .idempotent(true)
            .build()
            .unwrap()
    }

    fn status(code: u16) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse::new(StatusCode::from_u16(code).unwrap()))
    }

    fn with_retry_after(code: u16, value: &str) -> Result<HttpResponse, TransportError> {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, value.parse().unwrap());
        Ok(HttpResponse::new(StatusCode::from_u16(code).unwrap()).with_headers(headers))
    }

    const RETRY: Decision = Decision::Retry { after: None };

    #[test]
    fn connect_failures_retry_any_request() {
        let error = Err(TransportError::connect(InvalidRequest::Url));
        assert_eq!(classify(&post(), &error), RETRY);
        let error = Err(TransportError::connect_timeout());
        assert_eq!(classify(&post(), &error), RETRY);
    }

    #[test]
    fn possibly_delivered_failures_retry_only_idempotent_requests() {
        for error in [
            TransportError::timeout(),
            TransportError::io(InvalidRequest::Url),
        ] {
            let outcome = Err(error);
            assert_eq!(classify(&post(), &outcome), Decision::DontRetry);
            assert_eq!(classify(&idempotent_post(), &outcome), RETRY);
        }
    }

    #[test]
    fn invalid_requests_never_retry() {
        let outcome = Err(TransportError::user(InvalidRequest::Header));
        assert_eq!(classify(&idempotent_post(), &outcome), Decision::DontRetry);
    }

    #[test]
    fn refusals_by_rule_never_retry() {
        for error in [
            TransportError::cleartext_refused(),
            TransportError::body_too_large(1024),
        ] {
            let outcome = Err(error);
            assert_eq!(classify(&post(), &outcome), Decision::DontRetry);
            assert_eq!(classify(&idempotent_post(), &outcome), Decision::DontRetry);
        }
    }

    #[test]
    fn gateway_errors_retry_only_idempotent_requests() {
        for code in [502, 503, 504] {
            assert_eq!(classify(&post(), &status(code)), Decision::DontRetry);
            assert_eq!(classify(&idempotent_post(), &status(code)), RETRY);
        }
        for code in [200, 400, 401, 404, 500] {
            assert_eq!(
                classify(&idempotent_post(), &status(code)),
                Decision::DontRetry
            );
        }
    }

    #[test]
    fn throttling_retries_any_request_after_the_asked_delay() {
        assert_eq!(classify(&post(), &status(429)), RETRY);
        assert_eq!(
            classify(&post(), &with_retry_after(429, "7")),
            Decision::Retry {
                after: Some(Duration::from_secs(7))
            }
        );
        assert_eq!(
            classify(
                &post(),
                &with_retry_after(429, "Sun, 06 Nov 1994 08:49:37 GMT")
            ),
            Decision::Retry {
                after: Some(Duration::ZERO)
            }
        );
        assert_eq!(classify(&post(), &with_retry_after(429, "soon")), RETRY);
    }

    #[test]
    fn parses_http_dates() {
        let date = httpdate("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let seconds = date
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(seconds, 784_111_777);
        assert!(httpdate("Sun, 06 Foo 1994 08:49:37 GMT").is_none());
        assert!(httpdate("Sun, 06 Nov 1994 25:49:37 GMT").is_none());
        assert!(httpdate("Sun, 06 Nov 1994 08:49:37 CET").is_none());
    }
}
