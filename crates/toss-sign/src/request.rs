//! A signature request in the SDK's words, its translation to the wire's, and the
//! provider's answers about it.

use std::fmt;
use std::time::Duration;
use toss_model::Endpoint as _;
use toss_model::esign::RequestSign;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use toss_crypto::NewSession;
#[cfg(test)]
use toss_model::ValidationError;
use toss_model::plain::{
    DocTitle, Document, Expiry, PlainSignRequest, SealedSignRequest, ServiceName, Signer, Trigger,
};
use toss_model::{SignResponse, SignStatus, StatusResponse, TxId};

use crate::error::Error;

/// A request for one signature. Build it with [`SignatureRequest::builder`]: every rule
/// of the API document is applied there, before anything is encrypted, so a request that
/// exists can always be sealed and sent.
///
/// ```
/// use std::time::Duration;
/// use time::macros::date;
/// use toss_sign::{Document, SignatureRequest, Signer};
///
/// let request = SignatureRequest::builder()
///     .signer(Signer::personal("김토스", "010-1234-5678", date!(1993 - 03 - 24))?)
///     .document(Document::text("출금이체에 동의합니다.")?)
///     .service_name("토스 출금이체")
///     .title("출금이체 동의문")
///     .expires_in(Duration::from_secs(600))
///     .build()?;
/// # let _ = request;
/// # Ok::<(), toss_sign::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SignatureRequest {
    plain: PlainSignRequest,
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

    /// The request in plain text, as parsed.
    #[must_use]
    pub fn plain(&self) -> &PlainSignRequest {
        &self.plain
    }

    /// What the transaction store keeps of the request (sealed): what was asked, the
    /// document's hash, and a fingerprint of the whole request (signer included) that
    /// tells a retry of the same request from another request under the same key.
    pub(crate) fn summary(&self) -> RequestSummary {
        let plain = &self.plain;
        let mut fingerprint = Sha256::new();
        let mut field = |bytes: &[u8]| {
            // Length-prefixed, so that no two requests hash the same fields alike.
            fingerprint.update((bytes.len() as u64).to_be_bytes());
            fingerprint.update(bytes);
        };
        match plain.signer() {
            Signer::Personal {
                name,
                phone,
                birthday,
            } => {
                field(b"personal");
                field(name.as_str().as_bytes());
                field(phone.as_str().as_bytes());
                field(birthday.date().to_string().as_bytes());
            }
            Signer::Ci(ci) => {
                field(b"ci");
                field(ci.as_str().as_bytes());
            }
            _ => field(b"other"),
        }
        let (trigger, success, fail) = match plain.trigger() {
            Trigger::AppScheme {
                success_url,
                fail_url,
            } => ("APP_SCHEME", success_url.as_deref(), fail_url.as_deref()),
            _ => ("PUSH", None, None),
        };
        field(trigger.as_bytes());
        field(success.unwrap_or_default().as_bytes());
        field(fail.unwrap_or_default().as_bytes());
        let document = plain.document();
        let doc = document.wire_text();
        field(document.doc_type().as_str().as_bytes());
        field(doc.as_bytes());
        field(plain.service_name().as_str().as_bytes());
        field(plain.title().as_str().as_bytes());
        field(&[u8::from(plain.is_document_encrypted())]);
        let expires_in = plain.expiry().map(|expiry| u64::from(expiry.as_secs()));
        field(&expires_in.unwrap_or(0).to_be_bytes());
        RequestSummary {
            fingerprint: hex::encode(fingerprint.finalize()),
            service_name: plain.service_name().as_str().to_owned(),
            title: plain.title().as_str().to_owned(),
            doc_type: document.doc_type().as_str().to_owned(),
            signature_type: document.signature_type().as_str().to_owned(),
            trigger: trigger.to_owned(),
            document_sha256: hex::encode(Sha256::digest(doc.as_bytes())),
            expires_in_seconds: expires_in,
        }
    }

    /// A builder.
    pub fn builder() -> SignatureRequestBuilder {
        SignatureRequestBuilder::default()
    }

    /// The JSON body of the sign request, with the personal fields (and the document, when
    /// asked) encrypted with `session`: what
    /// [`Client::request_signature`](crate::Client::request_signature) sends. For services
    /// that make the call themselves, or log what they send.
    ///
    /// # Errors
    ///
    /// [`Error::Crypto`] when encryption fails; no rule can fail here.
    pub fn seal(&self, session: &NewSession) -> Result<Vec<u8>, Error> {
        let sealed = self.to_wire(session)?;
        serde_json::to_vec(&sealed)
            .map_err(|e| Error::Config(format!("cannot encode the sign request: {e}")))
    }

    /// The wire request: personal fields (and the document, when asked) encrypted with
    /// `session`, with its session key.
    pub(crate) fn to_wire(&self, session: &NewSession) -> Result<SealedSignRequest, Error> {
        self.plain
            .seal(session.session_key(), |plain| session.encrypt(plain))
            .map_err(|source| Error::Crypto {
                operation: RequestSign::OPERATION,
                source,
            })
    }
}

/// Builds a [`SignatureRequest`]; the provider's rules are applied in
/// [`build`](Self::build).
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
    /// Who must sign ([`Signer::personal`] or [`Signer::ci`], parsed already). Required.
    pub fn signer(mut self, signer: Signer) -> Self {
        self.signer = Some(signer);
        self
    }

    /// How the user is asked. Defaults to [`Trigger::Push`].
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.trigger = trigger;
        self
    }

    /// What the user signs ([`Document::text`], [`Document::html`], [`Document::pdf`]).
    /// Required.
    pub fn document(mut self, document: Document) -> Self {
        self.document = Some(document);
        self
    }

    /// The service name shown to the user: not blank, at most 50 characters. Required.
    pub fn service_name(mut self, service_name: impl Into<String>) -> Self {
        self.service_name = service_name.into();
        self
    }

    /// The document title shown to the user: not blank. Required.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Whether the document travels encrypted (`docEncrypted`). Defaults to `false`.
    pub fn encrypt_document(mut self, encrypt: bool) -> Self {
        self.encrypt_document = encrypt;
        self
    }

    /// How long the user has to sign, 1 second to 30 minutes. Defaults to the provider's
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

    /// The request, every rule of the API document applied.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the signer or the document is missing, or for an idempotency
    /// key that is empty, longer than 255 bytes or holds a space or a character outside
    /// printable ASCII; [`Error::Validation`] for a blank or too long service name
    /// ([`ServiceName::parse`]), a blank title ([`DocTitle::parse`]) or an expiry outside
    /// 1 s to 30 minutes ([`Expiry::from_duration`]).
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
        let signer = self
            .signer
            .ok_or_else(|| Error::Config("a signature request needs a signer".into()))?;
        let document = self
            .document
            .ok_or_else(|| Error::Config("a signature request needs a document".into()))?;
        let plain = PlainSignRequest::new(
            signer,
            document,
            ServiceName::parse(self.service_name)?,
            DocTitle::parse(self.title)?,
        )
        .with_trigger(self.trigger)
        .with_encrypted_document(self.encrypt_document)
        .with_expiry(self.expires_in.map(Expiry::from_duration).transpose()?);
        Ok(SignatureRequest {
            plain,
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

    fn builder() -> SignatureRequestBuilder {
        SignatureRequest::builder()
            .signer(Signer::personal("김토스", "010-1234-5678", date!(1993 - 03 - 24)).unwrap())
            .document(Document::text("동의합니다").unwrap())
            .service_name("토스")
            .title("동의서")
    }

    #[test]
    fn every_rule_is_applied_when_the_request_is_built() {
        assert!(builder().build().is_ok());
        for (built, rule) in [
            (
                builder().service_name(" ").build(),
                ValidationError::EmptyServiceName,
            ),
            (
                builder().service_name("가".repeat(51)).build(),
                ValidationError::ServiceNameTooLong { chars: 51 },
            ),
            (builder().title("").build(), ValidationError::EmptyDocTitle),
            (
                builder().expires_in(Duration::from_secs(1801)).build(),
                ValidationError::ExpireSecondsOutOfRange { value: 1801 },
            ),
        ] {
            assert!(
                matches!(&built, Err(Error::Validation(found)) if *found == rule),
                "{built:?}"
            );
        }
        let no_signer = SignatureRequest::builder()
            .document(Document::text("동의합니다").unwrap())
            .build();
        assert!(no_signer.unwrap_err().is_config());
    }

    #[test]
    fn the_fingerprint_tells_requests_apart_and_keeps_retries_alike() {
        let one = builder().build().unwrap().summary();
        assert_eq!(
            one.fingerprint,
            builder().build().unwrap().summary().fingerprint
        );
        let other = builder().title("다른 동의서").build().unwrap().summary();
        assert_ne!(one.fingerprint, other.fingerprint);
        assert!(!format!("{one:?}").contains("김토스"));
    }
}
