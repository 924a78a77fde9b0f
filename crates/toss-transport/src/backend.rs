//! The HTTP stacks a transport can be built on, each behind its feature, and the rules
//! both apply to every exchange: one definition, so a backend cannot forget one.

#[cfg(feature = "hyper")]
pub(crate) mod hyper;
#[cfg(feature = "reqwest")]
pub(crate) mod reqwest;
#[cfg(any(feature = "reqwest", feature = "hyper"))]
mod tls;

#[cfg(any(feature = "reqwest", feature = "hyper"))]
pub(crate) use self::shared::{read_limited, send};

#[cfg(any(feature = "reqwest", feature = "hyper"))]
mod shared {
    use std::error::Error as StdError;
    use std::future::Future;

    use bytes::Bytes;
    use http_body::Body;
    use http_body_util::{BodyExt, LengthLimitError, Limited};

    use crate::error::TransportError;
    use crate::request::HttpRequest;
    use crate::response::HttpResponse;
    use crate::settings::TransportSettings;
    use crate::trace;

    type BoxError = Box<dyn StdError + Send + Sync + 'static>;

    /// One attempt in its span: the destination is checked before `exchange` gets the
    /// request, so a refused URL is never resolved, connected to or sent.
    pub(crate) async fn send<E, F>(
        backend: &'static str,
        settings: &TransportSettings,
        request: HttpRequest,
        exchange: E,
    ) -> Result<HttpResponse, TransportError>
    where
        E: FnOnce(HttpRequest) -> F,
        F: Future<Output = Result<HttpResponse, TransportError>>,
    {
        trace::instrument(backend, request, |request| async move {
            if let Err(error) = settings.check_request(&request) {
                if error.is_cleartext_refused() {
                    tracing::warn!(
                        "refused plain http to a host that is not loopback; nothing was sent"
                    );
                }
                return Err(error);
            }
            exchange(request).await
        })
        .await
    }

    /// Reads `body` whole, or fails as soon as it is known to exceed `limit` bytes: at
    /// once when its announced length (`Content-Length`) says so, else when the bytes
    /// counted while streaming pass it. Other body errors go through `map_error`.
    pub(crate) async fn read_limited<B>(
        body: B,
        limit: usize,
        map_error: impl FnOnce(BoxError) -> TransportError,
    ) -> Result<Bytes, TransportError>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        if body.size_hint().lower() > u64::try_from(limit).unwrap_or(u64::MAX) {
            return Err(TransportError::body_too_large(limit));
        }
        match Limited::new(body, limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(error) if error.is::<LengthLimitError>() => {
                Err(TransportError::body_too_large(limit))
            }
            Err(error) => Err(map_error(error)),
        }
    }
}
