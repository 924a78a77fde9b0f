//! The sign request (`POST /api/v2/sign/doc/request`) and its builder.

pub(crate) mod rules;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::enums::{DocType, RequestType, SignatureType, TriggerType};
use crate::error::ValidationError;
use crate::redact::{Redacted, redacted_opt};

/// The most characters `serviceName` may have.
pub const SERVICE_NAME_MAX_CHARS: usize = 50;
/// The longest `expireSeconds` the provider allows (30 minutes).
pub const EXPIRE_SECONDS_MAX: u32 = 1800;
/// The most characters the provider recommends for `doc`.
pub const DOC_RECOMMENDED_MAX_CHARS: usize = 2000;

/// The body of a sign request, valid by construction.
///
/// Built with [`SignRequest::builder`], which refuses what the provider refuses (see
/// [`ValidationError`]); deserializing applies the same rules. Personal fields, the session
/// key and an encrypted document are `v1$` envelopes made with the request's session (the
/// `toss-crypto` crate); this type only carries them.
///
/// `Debug` shows no personal data, session key or document, only their lengths.
///
/// ```
/// use toss_model::{DocType, RequestType, SignRequest, TriggerType};
///
/// let request = SignRequest::builder()
///     .request_type(RequestType::UserCi)
///     .trigger_type(TriggerType::Push)
///     .user_ci("v1$be2b3fdc-d3c8-447e-bcae-7f42a090ef1b$5T1USAI+SrZbFbm5")
///     .session_key("v1$be2b3fdc-d3c8-447e-bcae-7f42a090ef1b$jB2/c37j8o2JWRpQ")
///     .service_name("토스 출금이체")
///     .doc_title("출금이체 동의문")
///     .doc("출금이체에 동의합니다.")
///     .doc_type(DocType::Text)
///     .build()?;
/// assert!(request.warnings().is_empty());
/// let body = serde_json::to_string(&request).unwrap();
/// assert!(body.starts_with(r#"{"requestType":"USER_CI","triggerType":"PUSH","userCi":"v1$"#));
/// # Ok::<(), toss_model::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "SignRequestBuilder")]
pub struct SignRequest {
    pub(crate) request_type: RequestType,
    pub(crate) trigger_type: TriggerType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_birthday: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_ci: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) session_key: Option<String>,
    pub(crate) service_name: String,
    pub(crate) doc_title: String,
    pub(crate) doc: String,
    pub(crate) doc_type: DocType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) doc_encrypted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) signature_type: Option<SignatureType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expire_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) success_callback_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_callback_url: Option<String>,
    #[serde(skip)]
    pub(crate) warnings: Vec<SignRequestWarning>,
}

impl SignRequest {
    /// A builder with nothing set.
    pub fn builder() -> SignRequestBuilder {
        SignRequestBuilder::default()
    }

    /// Advice about a request the provider accepts but may handle poorly.
    #[must_use]
    pub fn warnings(&self) -> &[SignRequestWarning] {
        &self.warnings
    }

    /// `requestType`.
    #[must_use]
    pub fn request_type(&self) -> &RequestType {
        &self.request_type
    }

    /// `triggerType`.
    #[must_use]
    pub fn trigger_type(&self) -> &TriggerType {
        &self.trigger_type
    }

    /// `userName`, encrypted.
    #[must_use]
    pub fn user_name(&self) -> Option<&str> {
        self.user_name.as_deref()
    }

    /// `userPhone`, encrypted.
    #[must_use]
    pub fn user_phone(&self) -> Option<&str> {
        self.user_phone.as_deref()
    }

    /// `userBirthday`, encrypted.
    #[must_use]
    pub fn user_birthday(&self) -> Option<&str> {
        self.user_birthday.as_deref()
    }

    /// `userCi`, encrypted.
    #[must_use]
    pub fn user_ci(&self) -> Option<&str> {
        self.user_ci.as_deref()
    }

    /// `sessionKey`.
    #[must_use]
    pub fn session_key(&self) -> Option<&str> {
        self.session_key.as_deref()
    }

    /// `serviceName`.
    #[must_use]
    pub fn service_name(&self) -> &str {
        &self.service_name
    }

    /// `docTitle`.
    #[must_use]
    pub fn doc_title(&self) -> &str {
        &self.doc_title
    }

    /// `doc`: the text, HTML, base64 hash of a PDF, or its `v1$` envelope when
    /// [`doc_encrypted`](Self::doc_encrypted).
    #[must_use]
    pub fn doc(&self) -> &str {
        &self.doc
    }

    /// `docType`.
    #[must_use]
    pub fn doc_type(&self) -> &DocType {
        &self.doc_type
    }

    /// `docEncrypted`; false when absent.
    #[must_use]
    pub fn doc_encrypted(&self) -> bool {
        self.doc_encrypted.unwrap_or(false)
    }

    /// `signatureType`; [`SignatureType::Pkcs7`] (the provider's default) when absent.
    #[must_use]
    pub fn signature_type(&self) -> &SignatureType {
        self.signature_type
            .as_ref()
            .unwrap_or(&DEFAULT_SIGNATURE_TYPE)
    }

    /// `expireSeconds`, within `1..=1800`; the provider's default applies when absent.
    #[must_use]
    pub fn expire_seconds(&self) -> Option<u32> {
        self.expire_seconds
    }

    /// `successCallbackUrl`.
    #[must_use]
    pub fn success_callback_url(&self) -> Option<&str> {
        self.success_callback_url.as_deref()
    }

    /// `failCallbackUrl`.
    #[must_use]
    pub fn fail_callback_url(&self) -> Option<&str> {
        self.fail_callback_url.as_deref()
    }
}

impl TryFrom<SignRequestBuilder> for SignRequest {
    type Error = ValidationError;

    fn try_from(builder: SignRequestBuilder) -> Result<Self, Self::Error> {
        builder.build()
    }
}

impl fmt::Debug for SignRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignRequest")
            .field("request_type", &self.request_type)
            .field("trigger_type", &self.trigger_type)
            .field("user_name", &redacted_opt(self.user_name.as_deref()))
            .field("user_phone", &redacted_opt(self.user_phone.as_deref()))
            .field(
                "user_birthday",
                &redacted_opt(self.user_birthday.as_deref()),
            )
            .field("user_ci", &redacted_opt(self.user_ci.as_deref()))
            .field("session_key", &redacted_opt(self.session_key.as_deref()))
            .field("service_name", &self.service_name)
            .field("doc_title", &self.doc_title)
            .field("doc", &Redacted(&self.doc))
            .field("doc_type", &self.doc_type)
            .field("doc_encrypted", &self.doc_encrypted)
            .field("signature_type", &self.signature_type)
            .field("expire_seconds", &self.expire_seconds)
            .field("success_callback_url", &self.success_callback_url)
            .field("fail_callback_url", &self.fail_callback_url)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// Advice about a sign request the provider accepts but may handle poorly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignRequestWarning {
    /// `doc` is longer than the 2,000 characters the provider recommends. Counted on `doc` as
    /// sent, so an encrypted document counts its envelope.
    LongDoc {
        /// Its length in characters (Unicode scalar values).
        chars: usize,
    },
}

impl fmt::Display for SignRequestWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LongDoc { chars } => write!(
                f,
                "doc has {chars} characters; the provider recommends at most {DOC_RECOMMENDED_MAX_CHARS}"
            ),
        }
    }
}

/// Builds a [`SignRequest`]; every setter takes and returns the builder.
///
/// Nothing is checked until [`build`](Self::build). The builder also deserializes from a
/// request body as a server receives it, so that `build` can name the rule a request breaks:
///
/// ```
/// use toss_model::{SignRequestBuilder, ValidationError};
///
/// let body = r#"{"requestType":"USER_CI","triggerType":"PUSH","serviceName":"토스",
///     "docTitle":"동의서","doc":"동의합니다","docType":"TEXT"}"#;
/// let builder: SignRequestBuilder = serde_json::from_str(body).unwrap();
/// assert_eq!(builder.build().unwrap_err(), ValidationError::MissingUserCi);
/// ```
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct SignRequestBuilder {
    request_type: Option<RequestType>,
    trigger_type: Option<TriggerType>,
    user_name: Option<String>,
    user_phone: Option<String>,
    user_birthday: Option<String>,
    user_ci: Option<String>,
    session_key: Option<String>,
    service_name: Option<String>,
    doc_title: Option<String>,
    doc: Option<String>,
    doc_type: Option<DocType>,
    #[serde(default, deserialize_with = "crate::serde_util::loose_bool")]
    doc_encrypted: Option<bool>,
    signature_type: Option<SignatureType>,
    expire_seconds: Option<i64>,
    success_callback_url: Option<String>,
    fail_callback_url: Option<String>,
}

impl SignRequestBuilder {
    /// Sets `requestType`. Required.
    pub fn request_type(mut self, request_type: RequestType) -> Self {
        self.request_type = Some(request_type);
        self
    }

    /// Sets `triggerType`. Required.
    pub fn trigger_type(mut self, trigger_type: TriggerType) -> Self {
        self.trigger_type = Some(trigger_type);
        self
    }

    /// Sets `userName`, a `v1$` envelope. Required with [`RequestType::UserPersonal`].
    pub fn user_name(mut self, user_name: impl Into<String>) -> Self {
        self.user_name = Some(user_name.into());
        self
    }

    /// Sets `userPhone` (digits only before encryption), a `v1$` envelope. Required with
    /// [`RequestType::UserPersonal`].
    pub fn user_phone(mut self, user_phone: impl Into<String>) -> Self {
        self.user_phone = Some(user_phone.into());
        self
    }

    /// Sets `userBirthday` (`YYYYMMDD` before encryption), a `v1$` envelope. Required with
    /// [`RequestType::UserPersonal`].
    pub fn user_birthday(mut self, user_birthday: impl Into<String>) -> Self {
        self.user_birthday = Some(user_birthday.into());
        self
    }

    /// Sets `userCi`, a `v1$` envelope. Required with [`RequestType::UserCi`].
    pub fn user_ci(mut self, user_ci: impl Into<String>) -> Self {
        self.user_ci = Some(user_ci.into());
        self
    }

    /// Sets `sessionKey`, the sealed key of the session that encrypted the other fields.
    /// Required with personal data or an encrypted document; use a new session for every
    /// request.
    pub fn session_key(mut self, session_key: impl Into<String>) -> Self {
        self.session_key = Some(session_key.into());
        self
    }

    /// Sets `serviceName`, shown in the app; at most 50 characters. Required.
    pub fn service_name(mut self, service_name: impl Into<String>) -> Self {
        self.service_name = Some(service_name.into());
        self
    }

    /// Sets `docTitle`, shown in the app. Required, not empty.
    pub fn doc_title(mut self, doc_title: impl Into<String>) -> Self {
        self.doc_title = Some(doc_title.into());
        self
    }

    /// Sets `doc`: the text, the HTML, the standard base64 of a PDF's hash, or the `v1$`
    /// envelope of any of those with [`doc_encrypted`](Self::doc_encrypted). Required, not
    /// empty; over 2,000 characters gives a [`SignRequestWarning::LongDoc`].
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.doc = Some(doc.into());
        self
    }

    /// Sets `docType`. Required.
    pub fn doc_type(mut self, doc_type: DocType) -> Self {
        self.doc_type = Some(doc_type);
        self
    }

    /// Sets `docEncrypted`. Defaults to absent, which the provider reads as `false`.
    pub fn doc_encrypted(mut self, doc_encrypted: bool) -> Self {
        self.doc_encrypted = Some(doc_encrypted);
        self
    }

    /// Sets `signatureType`. Defaults to absent, which the provider reads as `PKCS7`.
    pub fn signature_type(mut self, signature_type: SignatureType) -> Self {
        self.signature_type = Some(signature_type);
        self
    }

    /// Sets `expireSeconds`, within `1..=1800`. Defaults to absent (the provider's default).
    pub fn expire_seconds(mut self, expire_seconds: u32) -> Self {
        self.expire_seconds = Some(i64::from(expire_seconds));
        self
    }

    /// Sets `successCallbackUrl`; only with [`TriggerType::AppScheme`]. Defaults to absent.
    pub fn success_callback_url(mut self, url: impl Into<String>) -> Self {
        self.success_callback_url = Some(url.into());
        self
    }

    /// Sets `failCallbackUrl`; only with [`TriggerType::AppScheme`]. Defaults to absent.
    pub fn fail_callback_url(mut self, url: impl Into<String>) -> Self {
        self.fail_callback_url = Some(url.into());
        self
    }

    /// Checks every rule and builds the request.
    ///
    /// # Errors
    ///
    /// The first broken rule, as a [`ValidationError`]: a required field absent, `docTitle`
    /// or `doc` empty, `serviceName` over 50 characters, `expireSeconds` outside `1..=1800`,
    /// `userCi` mixed with personal fields, personal fields missing for `USER_PERSONAL`,
    /// `userCi` missing for `USER_CI`, no `sessionKey`, a field that must be encrypted that
    /// is not a `v1$` envelope, a callback URL without `APP_SCHEME`, or `PDF` without
    /// `PKCS7_NO_CONTENT_WITH_ATTR` or with a `doc` that is not base64.
    pub fn build(self) -> Result<SignRequest, ValidationError> {
        rules::check(self)
    }
}

impl fmt::Debug for SignRequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignRequestBuilder")
            .field("request_type", &self.request_type)
            .field("trigger_type", &self.trigger_type)
            .field("user_name", &redacted_opt(self.user_name.as_deref()))
            .field("user_phone", &redacted_opt(self.user_phone.as_deref()))
            .field(
                "user_birthday",
                &redacted_opt(self.user_birthday.as_deref()),
            )
            .field("user_ci", &redacted_opt(self.user_ci.as_deref()))
            .field("session_key", &redacted_opt(self.session_key.as_deref()))
            .field("service_name", &self.service_name)
            .field("doc_title", &self.doc_title)
            .field("doc", &redacted_opt(self.doc.as_deref()))
            .field("doc_type", &self.doc_type)
            .field("doc_encrypted", &self.doc_encrypted)
            .field("signature_type", &self.signature_type)
            .field("expire_seconds", &self.expire_seconds)
            .field("success_callback_url", &self.success_callback_url)
            .field("fail_callback_url", &self.fail_callback_url)
            .finish()
    }
}

static DEFAULT_SIGNATURE_TYPE: SignatureType = SignatureType::Pkcs7;
