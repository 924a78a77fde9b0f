//! A whole sign request in plain text, and the same request sealed for the wire.

use std::fmt;

use serde::Serialize;

use super::{DocTitle, Document, Expiry, ServiceName, Signer};
use crate::enums::{RequestType, TriggerType};
use crate::sign_request::{SignRequest, rules};

/// How the user is asked to sign.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Trigger {
    /// A push notification to the user's Toss app.
    #[default]
    Push,
    /// The service opens the Toss app itself with the returned app scheme or URIs, and the
    /// app returns to these URLs (callbacks exist only with this trigger).
    AppScheme {
        /// Where the app returns after signing.
        success_url: Option<String>,
        /// Where the app returns after a failure or cancellation.
        fail_url: Option<String>,
    },
}

/// A sign request in plain text, valid by construction: every part was parsed by its
/// rule, and the rules between parts (callbacks only with `APP_SCHEME`, a PDF signed by
/// its digest) hold by the types.
///
/// `Debug` shows no personal data and no document.
///
/// ```
/// use time::macros::date;
/// use toss_model::plain::{DocTitle, Document, PlainSignRequest, ServiceName, Signer};
///
/// let request = PlainSignRequest::new(
///     Signer::personal("김토스", "010-0000-0000", date!(1993 - 03 - 24))?,
///     Document::text("출금이체에 동의합니다.")?,
///     ServiceName::parse("토스 출금이체")?,
///     DocTitle::parse("출금이체 동의문")?,
/// );
/// // Sealing with a session (here a stand-in that only marks the text) cannot fail for a
/// // rule: only the encryption can.
/// let sealed = request.seal::<std::convert::Infallible>("v1$id$sealed-key", |plain| {
///     Ok(format!("v1$id${}", plain.len()))
/// })?;
/// assert_eq!(sealed.session_key(), "v1$id$sealed-key");
/// assert_eq!(sealed.as_wire().user_phone(), Some("v1$id$11"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PlainSignRequest {
    signer: Signer,
    document: Document,
    service_name: ServiceName,
    title: DocTitle,
    trigger: Trigger,
    encrypt_document: bool,
    expiry: Option<Expiry>,
}

impl PlainSignRequest {
    /// A request of `signer` to sign `document`, shown under `service_name` and `title`,
    /// pushed to the user's app, with the document in clear and the provider's default
    /// expiry.
    #[must_use]
    pub fn new(
        signer: Signer,
        document: Document,
        service_name: ServiceName,
        title: DocTitle,
    ) -> Self {
        Self {
            signer,
            document,
            service_name,
            title,
            trigger: Trigger::Push,
            encrypt_document: false,
            expiry: None,
        }
    }

    /// With `trigger`.
    #[must_use]
    pub fn with_trigger(mut self, trigger: Trigger) -> Self {
        self.trigger = trigger;
        self
    }

    /// With the document encrypted (`docEncrypted`) or not.
    #[must_use]
    pub fn with_encrypted_document(mut self, encrypt: bool) -> Self {
        self.encrypt_document = encrypt;
        self
    }

    /// With an expiry, or the provider's default (`None`).
    #[must_use]
    pub fn with_expiry(mut self, expiry: Option<Expiry>) -> Self {
        self.expiry = expiry;
        self
    }

    /// Who signs.
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// What is signed.
    #[must_use]
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The service name shown.
    #[must_use]
    pub fn service_name(&self) -> &ServiceName {
        &self.service_name
    }

    /// The title shown.
    #[must_use]
    pub fn title(&self) -> &DocTitle {
        &self.title
    }

    /// How the user is asked.
    #[must_use]
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    /// Whether the document travels encrypted.
    #[must_use]
    pub fn is_document_encrypted(&self) -> bool {
        self.encrypt_document
    }

    /// The expiry, when one was set.
    #[must_use]
    pub fn expiry(&self) -> Option<Expiry> {
        self.expiry
    }

    /// The wire request: the personal fields (and the document, when asked) turned into
    /// `v1$` envelopes by `encrypt` (a session's encryption), with `session_key` (that
    /// session's key, sealed for the provider). Every rule holds already, so the only
    /// error is `encrypt`'s.
    ///
    /// # Errors
    ///
    /// The first error of `encrypt`.
    pub fn seal<E>(
        &self,
        session_key: &str,
        mut encrypt: impl FnMut(&str) -> Result<String, E>,
    ) -> Result<SealedSignRequest, E> {
        let (request_type, user_name, user_phone, user_birthday, user_ci) = match &self.signer {
            Signer::Personal {
                name,
                phone,
                birthday,
            } => (
                RequestType::UserPersonal,
                Some(encrypt(name.as_str())?),
                Some(encrypt(phone.as_str())?),
                Some(encrypt(&birthday.to_wire())?),
                None,
            ),
            Signer::Ci(ci) => (
                RequestType::UserCi,
                None,
                None,
                None,
                Some(encrypt(ci.as_str())?),
            ),
        };
        let plain_doc = self.document.wire_text();
        let doc = if self.encrypt_document {
            encrypt(&plain_doc)?
        } else {
            plain_doc
        };
        let (trigger_type, success_callback_url, fail_callback_url) = match &self.trigger {
            Trigger::Push => (TriggerType::Push, None, None),
            Trigger::AppScheme {
                success_url,
                fail_url,
            } => (
                TriggerType::AppScheme,
                success_url.clone(),
                fail_url.clone(),
            ),
        };
        let warnings = rules::warnings(&doc);
        Ok(SealedSignRequest(SignRequest {
            request_type,
            trigger_type,
            user_name,
            user_phone,
            user_birthday,
            user_ci,
            session_key: Some(session_key.to_owned()),
            service_name: self.service_name.as_str().to_owned(),
            doc_title: self.title.as_str().to_owned(),
            doc,
            doc_type: self.document.doc_type(),
            doc_encrypted: Some(self.encrypt_document),
            signature_type: Some(self.document.signature_type()),
            expire_seconds: self.expiry.map(Expiry::as_secs),
            success_callback_url,
            fail_callback_url,
            warnings,
        }))
    }
}

impl fmt::Debug for PlainSignRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainSignRequest")
            .field("signer", &self.signer)
            .field("document", &self.document)
            .field("service_name", &self.service_name)
            .field("title", &self.title)
            .field("trigger", &self.trigger)
            .field("encrypt_document", &self.encrypt_document)
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// A sign request sealed with a session: its personal fields are envelopes, and it always
/// carries that session's key. Serializes as the wire [`SignRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SealedSignRequest(SignRequest);

impl SealedSignRequest {
    /// The session key sent with it.
    #[must_use]
    pub fn session_key(&self) -> &str {
        // `seal`, the only constructor, always sets it.
        self.0.session_key().unwrap_or_default()
    }

    /// The wire request.
    #[must_use]
    pub fn as_wire(&self) -> &SignRequest {
        &self.0
    }

    /// The wire request, owned.
    #[must_use]
    pub fn into_wire(self) -> SignRequest {
        self.0
    }
}
