//! The operation model: one type per endpoint of the provider's API, carrying its host,
//! method, path, idempotency, body format, names, and its request and response types.
//!
//! Every layer reads an endpoint's facts from here and nowhere else: the client's call
//! path (URL, body encoding, whether a failed call may be sent again, the error's
//! operation), its tracing spans, the emulator's router and the test helpers. A family of
//! endpoints (the general e-signature calls in [`esign`](crate::esign)) is one module of
//! endpoint types beside its DTOs.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One endpoint of the provider's API.
///
/// ```
/// use toss_model::Endpoint;
/// use toss_model::esign::GetStatus;
///
/// let operation = GetStatus::OPERATION;
/// assert_eq!(operation.path(), "/api/v2/sign/doc/status");
/// assert!(operation.is_idempotent());
/// assert_eq!(operation.to_string(), "status request");
/// ```
pub trait Endpoint {
    /// What is sent.
    type Request: Serialize + DeserializeOwned;
    /// What comes back: the `success` object of an [enveloped](Operation::is_enveloped)
    /// answer, or the whole body.
    type Response: Serialize + DeserializeOwned;
    /// Where the endpoint is and how it is called.
    const OPERATION: Operation;
}

/// Where an endpoint is and how it is called: a constant of each [`Endpoint`].
///
/// A pointer to facts written once, so that it is cheap to copy and to carry in errors.
/// Displays as its name (`status request`); equal operations have equal facts.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    pub(crate) spec: &'static Spec,
}

/// The facts of an operation, defined beside its endpoint type.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Spec {
    name: &'static str,
    span: &'static str,
    host: Host,
    method: Method,
    path: &'static str,
    idempotent: bool,
    body: BodyFormat,
    enveloped: bool,
}

impl Spec {
    /// A `POST` of a JSON body to `path` on `host`, answered in an envelope, not
    /// idempotent: the shape of the provider's service calls. `name` is what errors call
    /// it; `span` the name of its tracing span.
    pub(crate) const fn post_json(
        host: Host,
        path: &'static str,
        name: &'static str,
        span: &'static str,
    ) -> Self {
        Self {
            name,
            span,
            host,
            method: Method::Post,
            path,
            idempotent: false,
            body: BodyFormat::Json,
            enveloped: true,
        }
    }

    /// Marked idempotent: sending it twice has the effect of sending it once, so it may be
    /// sent again after a failure that may have reached the provider.
    pub(crate) const fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// With a form body answered without an envelope (the token endpoint's shape).
    pub(crate) const fn form_unenveloped(mut self) -> Self {
        self.body = BodyFormat::Form;
        self.enveloped = false;
        self
    }
}

impl Operation {
    /// What errors and logs call it (`status request`).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The name of its tracing span (`toss_cert.status`).
    #[must_use]
    pub const fn span_name(&self) -> &'static str {
        self.spec.span
    }

    /// The host it is on.
    #[must_use]
    pub const fn host(&self) -> Host {
        self.spec.host
    }

    /// Its HTTP method.
    #[must_use]
    pub const fn method(&self) -> Method {
        self.spec.method
    }

    /// Its path on the host.
    #[must_use]
    pub const fn path(&self) -> &'static str {
        self.spec.path
    }

    /// Whether sending it twice has the same effect as sending it once.
    ///
    /// A sign request pushes a notification to the user and a result fetch uses one of the
    /// two fetches the provider allows, so neither is idempotent.
    #[must_use]
    pub const fn is_idempotent(&self) -> bool {
        self.spec.idempotent
    }

    /// How its request body is encoded.
    #[must_use]
    pub const fn body_format(&self) -> BodyFormat {
        self.spec.body
    }

    /// Whether its answer is a `SUCCESS`/`FAIL` [envelope](crate::Envelope).
    #[must_use]
    pub const fn is_enveloped(&self) -> bool {
        self.spec.enveloped
    }
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("name", &self.spec.name)
            .field("path", &self.spec.path)
            .finish()
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec.name)
    }
}

/// The provider's two hosts.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// The service API: `https://cert.toss.im`.
    Api,
    /// The token endpoint's host: `https://oauth2.cert.toss.im`.
    OAuth,
}

impl Host {
    /// The provider's production base URL of this host.
    #[must_use]
    pub const fn production_base(self) -> &'static str {
        match self {
            Self::Api => "https://cert.toss.im",
            Self::OAuth => "https://oauth2.cert.toss.im",
        }
    }
}

/// An HTTP method the provider's API uses.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `POST`: every call of the API.
    Post,
}

impl Method {
    /// The method's name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Post => "POST",
        }
    }
}

/// How a request body is encoded.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyFormat {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

impl BodyFormat {
    /// The body's `Content-Type`.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Form => "application/x-www-form-urlencoded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esign::{GetResult, GetStatus, RequestSign};
    use crate::{IssueToken, ValidateCertificate};

    #[test]
    fn only_status_token_and_certificate_calls_are_idempotent() {
        assert!(GetStatus::OPERATION.is_idempotent());
        assert!(IssueToken::OPERATION.is_idempotent());
        assert!(ValidateCertificate::OPERATION.is_idempotent());
        assert!(!RequestSign::OPERATION.is_idempotent());
        assert!(!GetResult::OPERATION.is_idempotent());
    }

    #[test]
    fn the_token_endpoint_is_a_form_on_the_oauth_host_without_an_envelope() {
        let token = IssueToken::OPERATION;
        assert_eq!(token.host(), Host::OAuth);
        assert_eq!(
            token.body_format().content_type(),
            "application/x-www-form-urlencoded"
        );
        assert!(!token.is_enveloped());
        for service in [
            RequestSign::OPERATION,
            GetStatus::OPERATION,
            GetResult::OPERATION,
            ValidateCertificate::OPERATION,
        ] {
            assert_eq!(service.host(), Host::Api, "{service}");
            assert_eq!(service.method().as_str(), "POST");
            assert_eq!(service.body_format(), BodyFormat::Json);
            assert!(service.is_enveloped());
        }
    }

    #[test]
    fn operations_are_one_pointer_and_compare_by_their_facts() {
        assert_eq!(size_of::<Operation>(), size_of::<usize>());
        assert_eq!(GetStatus::OPERATION, GetStatus::OPERATION);
        assert_ne!(GetStatus::OPERATION, GetResult::OPERATION);
        assert_eq!(GetResult::OPERATION.to_string(), "result request");
        assert!(format!("{:?}", RequestSign::OPERATION).contains("/api/v2/sign/doc/request"));
    }
}
