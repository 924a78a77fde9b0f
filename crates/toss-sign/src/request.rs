//! A signature request in the SDK's words, its translation to the wire's, and the
//! provider's answers about it.

use std::fmt;
use std::time::Duration;
use toss_model::Endpoint as _;
use toss_model::esign::RequestSign;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};
use toss_crypto::Session;
use toss_model::{
    DocType, RequestType, SignRequest, SignResponse, SignStatus, SignatureType, StatusResponse,
    TriggerType, TxId, ValidationError,
};

use crate::error::Error;

/// Who must sign.
#[non_exhaustive]
#[derive(Clone)]
pub enum Signer {
    /// A person identified by name, mobile phone number and birthday (`USER_PERSONAL`).
    Personal {
        /// The name as registered with the phone carrier.
        name: String,
        /// The mobile number: digits, written with or without hyphens and spaces, which
        /// are removed (the provider takes digits only). Anything else (`010.1234.5678`,
        /// `+82 10 …`) is refused by [`SignatureRequestBuilder::build`].
        phone: String,
        /// The birthday.
        birthday: Date,
    },
    /// A person identified by their CI (`USER_CI`); the result then carries no CI or DI.
    Ci(String),
}

impl Signer {
    /// A person identified by name, mobile phone number and birthday.
    pub fn personal(name: impl Into<String>, phone: impl Into<String>, birthday: Date) -> Self {
        Self::Personal {
            name: name.into(),
            phone: phone.into(),
            birthday,
        }
    }

    /// A person identified by their CI.
    pub fn ci(ci: impl Into<String>) -> Self {
        Self::Ci(ci.into())
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Personal { .. } => f.write_str("Signer::Personal(<redacted>)"),
            Self::Ci(_) => f.write_str("Signer::Ci(<redacted>)"),
        }
    }
}

/// How the user is asked to sign.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Trigger {
    /// A push notification to the user's Toss app.
    #[default]
    Push,
    /// The service opens the Toss app itself with the returned app scheme or URIs, and the
    /// app returns to these URLs.
    AppScheme {
        /// Where the app returns after signing.
        success_url: Option<String>,
        /// Where the app returns after a failure or cancellation.
        fail_url: Option<String>,
    },
}

/// What the user signs.
#[derive(Clone)]
pub struct Document(DocumentKind);

#[derive(Clone)]
enum DocumentKind {
    Text(String),
    Html(String),
    PdfSha256([u8; 32]),
}

impl Document {
    /// Plain text, signed with the text embedded in the signature (`PKCS7`).
    pub fn text(text: impl Into<String>) -> Self {
        Self(DocumentKind::Text(text.into()))
    }

    /// HTML, signed with the markup embedded in the signature (`PKCS7`).
    pub fn html(html: impl Into<String>) -> Self {
        Self(DocumentKind::Html(html.into()))
    }

    /// A PDF: only its SHA-256 travels and is signed (`PKCS7_NO_CONTENT_WITH_ATTR`); the
    /// document itself never leaves your service.
    #[must_use]
    pub fn pdf(bytes: &[u8]) -> Self {
        Self(DocumentKind::PdfSha256(Sha256::digest(bytes).into()))
    }

    /// A PDF given by its SHA-256 digest.
    #[must_use]
    pub fn pdf_sha256(digest: [u8; 32]) -> Self {
        Self(DocumentKind::PdfSha256(digest))
    }

    fn doc_type(&self) -> DocType {
        match self.0 {
            DocumentKind::Text(_) => DocType::Text,
            DocumentKind::Html(_) => DocType::Html,
            DocumentKind::PdfSha256(_) => DocType::Pdf,
        }
    }

    fn signature_type(&self) -> SignatureType {
        match self.0 {
            DocumentKind::Text(_) | DocumentKind::Html(_) => SignatureType::Pkcs7,
            DocumentKind::PdfSha256(_) => SignatureType::Pkcs7NoContentWithAttr,
        }
    }

    /// The `doc` field before any encryption.
    fn wire_text(&self) -> String {
        match &self.0 {
            DocumentKind::Text(text) | DocumentKind::Html(text) => text.clone(),
            DocumentKind::PdfSha256(digest) => STANDARD.encode(digest),
        }
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            DocumentKind::Text(text) => write!(f, "Document::Text({} chars)", text.chars().count()),
            DocumentKind::Html(html) => write!(f, "Document::Html({} chars)", html.chars().count()),
            DocumentKind::PdfSha256(_) => f.write_str("Document::Pdf(sha256)"),
        }
    }
}

/// A request for one signature. Build it with [`SignatureRequest::builder`].
///
/// ```
/// use std::time::Duration;
/// use time::macros::date;
/// use toss_sign::{Document, SignatureRequest, Signer};
///
/// let request = SignatureRequest::builder()
///     .signer(Signer::personal("김토스", "010-1234-5678", date!(1993 - 03 - 24)))
///     .document(Document::text("출금이체에 동의합니다."))
///     .service_name("토스 출금이체")
///     .title("출금이체 동의문")
///     .expires_in(Duration::from_secs(600))
///     .build();
/// # let _ = request;
/// ```
#[derive(Debug, Clone)]
pub struct SignatureRequest {
    signer: Signer,
    trigger: Trigger,
    document: Document,
    service_name: String,
    title: String,
    encrypt_document: bool,
    expires_in: Option<Duration>,
    idempotency_key: Option<toss_runtime::tx::IdempotencyKey>,
}

impl SignatureRequest {
    /// The caller's idempotency key, when one was given.
    #[must_use]
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key
            .as_ref()
            .map(toss_runtime::tx::IdempotencyKey::as_str)
    }

    pub(crate) fn idempotency_key_value(&self) -> Option<&toss_runtime::tx::IdempotencyKey> {
        self.idempotency_key.as_ref()
    }

    /// What the transaction store keeps of the request (sealed): what was asked, the
    /// document's hash, and a fingerprint of the whole request (signer included) that
    /// tells a retry of the same request from another request under the same key.
    pub(crate) fn summary(&self) -> RequestSummary {
        let mut fingerprint = Sha256::new();
        let mut field = |bytes: &[u8]| {
            // Length-prefixed, so that no two requests hash the same fields alike.
            fingerprint.update((bytes.len() as u64).to_be_bytes());
            fingerprint.update(bytes);
        };
        match &self.signer {
            Signer::Personal {
                name,
                phone,
                birthday,
            } => {
                field(b"personal");
                field(name.as_bytes());
                field(phone.as_bytes());
                field(birthday.to_string().as_bytes());
            }
            Signer::Ci(ci) => {
                field(b"ci");
                field(ci.as_bytes());
            }
        }
        let (trigger, success, fail) = match &self.trigger {
            Trigger::Push => ("PUSH", None, None),
            Trigger::AppScheme {
                success_url,
                fail_url,
            } => ("APP_SCHEME", success_url.as_deref(), fail_url.as_deref()),
        };
        field(trigger.as_bytes());
        field(success.unwrap_or_default().as_bytes());
        field(fail.unwrap_or_default().as_bytes());
        let doc = self.document.wire_text();
        field(self.document.doc_type().as_str().as_bytes());
        field(doc.as_bytes());
        field(self.service_name.as_bytes());
        field(self.title.as_bytes());
        field(&[u8::from(self.encrypt_document)]);
        field(&self.expires_in.map_or(0, |d| d.as_secs()).to_be_bytes());
        RequestSummary {
            fingerprint: hex(&fingerprint.finalize()),
            service_name: self.service_name.clone(),
            title: self.title.clone(),
            doc_type: self.document.doc_type().as_str().to_owned(),
            signature_type: self.document.signature_type().as_str().to_owned(),
            trigger: trigger.to_owned(),
            document_sha256: hex(&Sha256::digest(doc.as_bytes())),
            expires_in_seconds: self.expires_in.map(|d| d.as_secs()),
        }
    }

    /// A builder; the provider's rules are checked when the request is sent.
    pub fn builder() -> SignatureRequestBuilder {
        SignatureRequestBuilder::default()
    }

    /// The JSON body of the sign request, with the personal fields (and the document, when
    /// asked) encrypted with `session` and the provider's rules checked: what
    /// [`Client::request_signature`](crate::Client::request_signature) sends. For services
    /// that make the call themselves, or log what they send.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] when the request breaks a provider rule, [`Error::Crypto`]
    /// when encryption fails, [`Error::Config`] when `session` was deserialized rather
    /// than generated (it has no session key to send).
    pub fn seal(&self, session: &Session) -> Result<Vec<u8>, Error> {
        let wire = self.to_wire(session)?;
        serde_json::to_vec(&wire)
            .map_err(|e| Error::Config(format!("cannot encode the sign request: {e}")))
    }

    /// The wire request: personal fields (and the document, when asked) encrypted with
    /// `session`, validated by `toss-model`.
    pub(crate) fn to_wire(&self, session: &Session) -> Result<SignRequest, Error> {
        let encrypt = |plain: &str| {
            session.encrypt(plain).map_err(|source| Error::Crypto {
                operation: RequestSign::OPERATION,
                source,
            })
        };
        let session_key = session.session_key().ok_or_else(|| {
            Error::Config("a signature request needs a newly generated session".into())
        })?;
        let mut wire = SignRequest::builder()
            .trigger_type(match self.trigger {
                Trigger::Push => TriggerType::Push,
                Trigger::AppScheme { .. } => TriggerType::AppScheme,
            })
            .session_key(session_key)
            .service_name(self.service_name.as_str())
            .doc_title(self.title.as_str())
            .doc_type(self.document.doc_type())
            .signature_type(self.document.signature_type())
            .doc_encrypted(self.encrypt_document);
        wire = match &self.signer {
            Signer::Personal {
                name,
                phone,
                birthday,
            } => {
                // `build` normalised the phone already.
                let birthday = format!(
                    "{:04}{:02}{:02}",
                    birthday.year(),
                    u8::from(birthday.month()),
                    birthday.day()
                );
                wire.request_type(RequestType::UserPersonal)
                    .user_name(encrypt(name)?)
                    .user_phone(encrypt(phone)?)
                    .user_birthday(encrypt(&birthday)?)
            }
            Signer::Ci(ci) => wire.request_type(RequestType::UserCi).user_ci(encrypt(ci)?),
        };
        let doc = self.document.wire_text();
        wire = if self.encrypt_document {
            wire.doc(encrypt(&doc)?)
        } else {
            wire.doc(doc)
        };
        if let Some(expires_in) = self.expires_in {
            let seconds = u32::try_from(expires_in.as_secs()).unwrap_or(u32::MAX);
            wire = wire.expire_seconds(seconds);
        }
        if let Trigger::AppScheme {
            success_url,
            fail_url,
        } = &self.trigger
        {
            if let Some(url) = success_url {
                wire = wire.success_callback_url(url.as_str());
            }
            if let Some(url) = fail_url {
                wire = wire.fail_callback_url(url.as_str());
            }
        }
        wire.build().map_err(Error::Validation)
    }
}

/// Builds a [`SignatureRequest`].
#[must_use]
#[derive(Debug, Clone, Default)]
pub struct SignatureRequestBuilder {
    signer: Option<Signer>,
    trigger: Trigger,
    document: Option<Document>,
    service_name: String,
    title: String,
    encrypt_document: bool,
    expires_in: Option<Duration>,
    idempotency_key: Option<String>,
}

impl SignatureRequestBuilder {
    /// Who must sign. Required.
    pub fn signer(mut self, signer: Signer) -> Self {
        self.signer = Some(signer);
        self
    }

    /// How the user is asked. Defaults to [`Trigger::Push`].
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.trigger = trigger;
        self
    }

    /// What the user signs. Required.
    pub fn document(mut self, document: Document) -> Self {
        self.document = Some(document);
        self
    }

    /// The service name shown to the user, at most 50 characters. Required.
    pub fn service_name(mut self, service_name: impl Into<String>) -> Self {
        self.service_name = service_name.into();
        self
    }

    /// The document title shown to the user. Required.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Whether the document travels encrypted (`docEncrypted`). Defaults to `false`.
    pub fn encrypt_document(mut self, encrypt: bool) -> Self {
        self.encrypt_document = encrypt;
        self
    }

    /// How long the user has to sign, at most 30 minutes. Defaults to the provider's
    /// default.
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = Some(expires_in);
        self
    }

    /// The caller's key for this request: asking again with the same key returns the
    /// transaction stored for it instead of sending the user a second request. Needs a
    /// transaction store ([`ClientBuilder::store`](crate::ClientBuilder::store)). Use an
    /// order number or a random id: the key is stored readable, so it must not carry
    /// personal data. 1 to 255 printable ASCII characters, no spaces.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// The request, with the signer's phone number reduced to its digits.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the signer or the document is missing;
    /// [`Error::Validation`] with [`ValidationError::InvalidUserPhone`] when the phone
    /// number holds anything but digits, hyphens and spaces, or no digit. The provider's
    /// other rules are checked by `toss-model` when the request is sent, and break as
    /// [`Error::Validation`] before anything leaves the process. [`Error::Config`] for an
    /// idempotency key that is empty, longer than 255 bytes or holds a space or a
    /// character outside printable ASCII.
    pub fn build(self) -> Result<SignatureRequest, Error> {
        let idempotency_key = self
            .idempotency_key
            .map(|key| {
                toss_runtime::tx::IdempotencyKey::new(key).map_err(|_| {
                    Error::Config(
                        "the idempotency key must be 1 to 255 printable ASCII characters \
                         without spaces"
                            .into(),
                    )
                })
            })
            .transpose()?;
        let signer = match self.signer {
            Some(Signer::Personal {
                name,
                phone,
                birthday,
            }) => Signer::Personal {
                name,
                phone: digits_only_phone(&phone).map_err(Error::Validation)?,
                birthday,
            },
            Some(signer) => signer,
            None => return Err(Error::Config("a signature request needs a signer".into())),
        };
        Ok(SignatureRequest {
            signer,
            trigger: self.trigger,
            document: self
                .document
                .ok_or_else(|| Error::Config("a signature request needs a document".into()))?,
            service_name: self.service_name,
            title: self.title,
            encrypt_document: self.encrypt_document,
            expires_in: self.expires_in,
            idempotency_key,
        })
    }
}

/// What the transaction store keeps of a request, sealed under the data key: nothing of it
/// is shown or logged.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestSummary {
    /// SHA-256 over every field of the request, signer included.
    pub(crate) fingerprint: String,
    pub(crate) service_name: String,
    pub(crate) title: String,
    pub(crate) doc_type: String,
    pub(crate) signature_type: String,
    pub(crate) trigger: String,
    /// SHA-256 of the `doc` field as signed (for a PDF: of its base64 digest).
    pub(crate) document_sha256: String,
    pub(crate) expires_in_seconds: Option<u64>,
}

impl fmt::Debug for RequestSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestSummary(<sealed>)")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The phone number as the provider takes it: its digits, without the hyphens and spaces
/// people write. Anything else is refused rather than guessed at: a dot or a `+82` prefix
/// may mean a number written for another purpose, and full-width digits are not ASCII.
fn digits_only_phone(phone: &str) -> Result<String, ValidationError> {
    let digits: String = phone.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::InvalidUserPhone);
    }
    Ok(digits)
}

/// What the provider answered to a signature request.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRequested {
    /// The transaction id to poll and fetch with.
    pub tx_id: TxId,
    /// The app scheme that opens the Toss app (for [`Trigger::AppScheme`]).
    pub app_scheme: Option<String>,
    /// The Android intent URI.
    pub android_app_uri: Option<String>,
    /// The iOS universal link.
    pub ios_app_uri: Option<String>,
    /// When the provider registered the request.
    pub requested_at: OffsetDateTime,
}

impl SignatureRequested {
    /// What a transaction store still knows of an answer whose body it no longer keeps.
    pub(crate) fn stored(tx_id: TxId, requested_at: OffsetDateTime) -> Self {
        Self {
            tx_id,
            app_scheme: None,
            android_app_uri: None,
            ios_app_uri: None,
            requested_at,
        }
    }
}

impl From<SignResponse> for SignatureRequested {
    fn from(response: SignResponse) -> Self {
        Self {
            tx_id: response.tx_id().clone(),
            app_scheme: response.app_scheme().map(str::to_owned),
            android_app_uri: response.android_app_uri().map(str::to_owned),
            ios_app_uri: response.ios_app_uri().map(str::to_owned),
            requested_at: response.requested_dt().into(),
        }
    }
}

/// A transaction's status, with when it was requested: what
/// [`Client::status`](crate::Client::status) returns.
///
/// Compares equal to a bare [`SignStatus`] with the same status, so
/// `client.status(&tx_id).await? == SignStatus::Completed` reads as it should.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureStatus {
    /// The transaction.
    pub tx_id: TxId,
    /// Where the transaction stands: for progress only, since whether the signature is
    /// complete is decided by the result call.
    pub status: SignStatus,
    /// When the request was first made (`requestedDt`), with the provider's offset.
    pub requested_at: OffsetDateTime,
}

impl From<StatusResponse> for SignatureStatus {
    fn from(response: StatusResponse) -> Self {
        Self {
            tx_id: response.tx_id().clone(),
            status: response.status().clone(),
            requested_at: response.requested_dt().into(),
        }
    }
}

impl PartialEq<SignStatus> for SignatureStatus {
    fn eq(&self, other: &SignStatus) -> bool {
        self.status == *other
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn with_phone(phone: &str) -> Result<SignatureRequest, Error> {
        SignatureRequest::builder()
            .signer(Signer::personal("김토스", phone, date!(1993 - 03 - 24)))
            .document(Document::text("동의합니다"))
            .service_name("토스")
            .title("동의서")
            .build()
    }

    fn phone_of(request: &SignatureRequest) -> &str {
        match &request.signer {
            Signer::Personal { phone, .. } => phone,
            Signer::Ci(_) => panic!("a personal signer"),
        }
    }

    #[test]
    fn phones_with_hyphens_or_spaces_are_reduced_to_their_digits() {
        for phone in [
            "01000000000",
            "010-0000-0000",
            "010 0000 0000",
            " 010 - 0000 - 0000 ",
        ] {
            let request = with_phone(phone).unwrap();
            assert_eq!(phone_of(&request), "01000000000", "{phone}");
        }
    }

    #[test]
    fn phones_with_anything_else_are_refused_before_a_request_exists() {
        for phone in [
            "010.0000.0000",
            "+82 10 0000 0000",
            "+821000000000",
            "(010) 0000-0000",
            "010-0000-000O",
            "０１０００００００００",
            "010\t0000\t0000",
            "",
            " - ",
        ] {
            let error = with_phone(phone).unwrap_err();
            assert!(
                matches!(error, Error::Validation(ValidationError::InvalidUserPhone)),
                "{phone}: {error:?}"
            );
            let shown = format!("{error} / {error:?}");
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            assert!(digits.len() < 4 || !shown.contains(&digits[..4]), "{shown}");
        }
    }

    #[test]
    fn a_ci_signer_is_left_as_is() {
        let request = SignatureRequest::builder()
            .signer(Signer::ci("CI-value"))
            .document(Document::text("동의합니다"))
            .build()
            .unwrap();
        assert!(matches!(&request.signer, Signer::Ci(ci) if ci == "CI-value"));
    }
}
