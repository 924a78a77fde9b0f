//! The access token call: a form request and a JSON response (not enveloped).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use zeroize::Zeroizing;

use crate::enums::{GrantType, Scope, TokenType};
use crate::error::FormError;
use crate::redact::Redacted;

/// The body of `POST /token`, sent as `application/x-www-form-urlencoded`.
///
/// ```
/// use toss_model::TokenRequest;
///
/// let request = TokenRequest::new("test_a8e23336d673ca70922b485fe806eb2d", "test_secret");
/// assert_eq!(
///     *request.to_form()?,
///     "grant_type=client_credentials&client_id=test_a8e23336d673ca70922b485fe806eb2d\
///      &client_secret=test_secret&scope=ca",
/// );
/// assert_eq!(TokenRequest::from_form(request.to_form()?.as_bytes())?, request);
/// # Ok::<(), toss_model::FormError>(())
/// ```
///
/// The client secret is wiped from memory when the request is dropped and never shown by
/// `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenRequest {
    grant_type: GrantType,
    client_id: String,
    client_secret: Zeroizing<String>,
    scope: Scope,
}

impl TokenRequest {
    /// A `client_credentials` request for scope `ca`.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            grant_type: GrantType::ClientCredentials,
            client_id: client_id.into(),
            client_secret: Zeroizing::new(client_secret.into()),
            scope: Scope::Ca,
        }
    }

    /// Reads a form as a server receives it, such as
    /// `grant_type=client_credentials&client_id=…&client_secret=…&scope=ca`.
    ///
    /// Values other than `client_credentials` and `ca` are kept (as `Other`), so a server can
    /// refuse them with its own error.
    ///
    /// # Errors
    ///
    /// [`FormError::MissingField`] when one of the four fields is absent,
    /// [`FormError::Malformed`] when one is repeated.
    pub fn from_form(form: &[u8]) -> Result<Self, FormError> {
        let fields: TokenForm =
            serde_urlencoded::from_bytes(form).map_err(|_| FormError::Malformed)?;
        fields.into_request()
    }

    /// The form to send, percent-encoded; wiped from memory when dropped.
    ///
    /// # Errors
    ///
    /// [`FormError::Malformed`] if the form cannot be encoded (it always can).
    pub fn to_form(&self) -> Result<Zeroizing<String>, FormError> {
        serde_urlencoded::to_string(self)
            .map(Zeroizing::new)
            .map_err(|_| FormError::Malformed)
    }

    /// `grant_type`.
    #[must_use]
    pub fn grant_type(&self) -> &GrantType {
        &self.grant_type
    }

    /// `client_id`.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// `client_secret`.
    #[must_use]
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// `scope`.
    #[must_use]
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

impl<'de> Deserialize<'de> for TokenRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        TokenForm::deserialize(deserializer)?
            .into_request()
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .field("client_secret", &Redacted(&self.client_secret))
            .field("scope", &self.scope)
            .finish()
    }
}

/// The answer of `POST /token`: a bearer token and its lifetime.
///
/// The token is wiped from memory when the response is dropped and never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    access_token: Zeroizing<String>,
    scope: Scope,
    token_type: TokenType,
    expires_in: u64,
}

impl TokenResponse {
    /// `access_token`, to send as `Authorization: Bearer <access_token>`.
    #[must_use]
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// `scope`.
    #[must_use]
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// `token_type`.
    #[must_use]
    pub fn token_type(&self) -> &TokenType {
        &self.token_type
    }

    /// `expires_in`: how long the token lives from when it was issued.
    #[must_use]
    pub fn expires_in(&self) -> Duration {
        Duration::from_secs(self.expires_in)
    }
}

#[cfg(feature = "test-util")]
impl TokenResponse {
    /// A `Bearer` token for scope `ca` living `expires_in_secs` seconds.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn new(access_token: impl Into<String>, expires_in_secs: u64) -> Self {
        Self {
            access_token: Zeroizing::new(access_token.into()),
            scope: Scope::Ca,
            token_type: TokenType::Bearer,
            expires_in: expires_in_secs,
        }
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &Redacted(&self.access_token))
            .field("scope", &self.scope)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// The token form with every field optional, so that an absent one gets a typed error.
#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<GrantType>,
    client_id: Option<String>,
    client_secret: Option<Zeroizing<String>>,
    scope: Option<Scope>,
}

impl TokenForm {
    fn into_request(self) -> Result<TokenRequest, FormError> {
        let missing = |field| FormError::MissingField { field };
        Ok(TokenRequest {
            grant_type: self.grant_type.ok_or(missing("grant_type"))?,
            client_id: self.client_id.ok_or(missing("client_id"))?,
            client_secret: self.client_secret.ok_or(missing("client_secret"))?,
            scope: self.scope.ok_or(missing("scope"))?,
        })
    }
}

/// `POST /token` on the OAuth host: an access token for the client credentials (a form,
/// answered without an envelope). Idempotent: a second token request asks again.
#[allow(clippy::exhaustive_structs)] // a marker: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct IssueToken;

impl crate::Endpoint for IssueToken {
    type Request = TokenRequest;
    type Response = TokenResponse;
    const OPERATION: crate::Operation = crate::Operation {
        spec: &crate::endpoint::Spec::post_json(
            crate::Host::OAuth,
            "/token",
            "token request",
            "toss_cert.token",
        )
        .form_unenveloped()
        .idempotent(),
    };
}
