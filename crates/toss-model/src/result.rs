//! The result call (`POST /api/v2/sign/doc/result`): the signed document and the signer.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::enums::{SignStatus, SignatureType};
use crate::redact::{Redacted, redacted_opt};
use crate::serde_util::loose_bool;
use crate::timestamp::Timestamp;
use crate::tx_id::TxId;

/// The body of `POST /api/v2/sign/doc/result`.
///
/// `sessionKey` must come from a new session, not the one of the sign request; the provider
/// encrypts the personal data (and an encrypted document) of the answer with it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultRequest {
    tx_id: TxId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_key: Option<String>,
}

impl ResultRequest {
    /// Asks for the result of `tx_id`, answered under `session_key`.
    pub fn new(tx_id: impl Into<TxId>, session_key: impl Into<String>) -> Self {
        Self {
            tx_id: tx_id.into(),
            session_key: Some(session_key.into()),
        }
    }

    /// Asks for the result of `tx_id` without a session key; the provider then cannot send
    /// personal data or an encrypted document.
    pub fn without_session_key(tx_id: impl Into<TxId>) -> Self {
        Self {
            tx_id: tx_id.into(),
            session_key: None,
        }
    }

    /// `txId`.
    #[must_use]
    pub fn tx_id(&self) -> &TxId {
        &self.tx_id
    }

    /// `sessionKey`.
    #[must_use]
    pub fn session_key(&self) -> Option<&str> {
        self.session_key.as_deref()
    }
}

impl fmt::Debug for ResultRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultRequest")
            .field("tx_id", &self.tx_id)
            .field("session_key", &redacted_opt(self.session_key.as_deref()))
            .finish()
    }
}

/// The `success` object of the result call: the signed document and who signed it.
///
/// Keep [`signed_doc`](Self::signed_doc) with the [`tx_id`](Self::tx_id): it is the proof.
/// `Debug` shows neither the document, the signature nor the personal data, only lengths.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultResponse {
    tx_id: TxId,
    status: SignStatus,
    doc: String,
    signed_doc: String,
    signature_type: SignatureType,
    #[serde(default, deserialize_with = "loose_bool")]
    doc_encrypted: Option<bool>,
    #[serde(default)]
    random_value: Option<String>,
    #[serde(default)]
    user_ci_token: Option<String>,
    completed_dt: Timestamp,
    requested_dt: Timestamp,
    #[serde(default)]
    personal_data: Option<PersonalData>,
}

impl ResultResponse {
    /// `txId`.
    #[must_use]
    pub fn tx_id(&self) -> &TxId {
        &self.tx_id
    }

    /// `status`: [`SignStatus::Completed`] for a result.
    #[must_use]
    pub fn status(&self) -> &SignStatus {
        &self.status
    }

    /// `doc`: the document as requested, a `v1$` envelope under the result's session when
    /// [`doc_encrypted`](Self::doc_encrypted).
    #[must_use]
    pub fn doc(&self) -> &str {
        &self.doc
    }

    /// `signedDoc`: base64 of the DER CMS `SignedData` the signer made.
    #[must_use]
    pub fn signed_doc(&self) -> &str {
        &self.signed_doc
    }

    /// `signatureType`.
    #[must_use]
    pub fn signature_type(&self) -> &SignatureType {
        &self.signature_type
    }

    /// `docEncrypted`; false when absent.
    #[must_use]
    pub fn doc_encrypted(&self) -> bool {
        self.doc_encrypted.unwrap_or(false)
    }

    /// `randomValue`: unused by the provider's current version (always `null`).
    #[must_use]
    pub fn random_value(&self) -> Option<&str> {
        self.random_value.as_deref()
    }

    /// `userCiToken`: unused by the provider's current version (always `null`).
    #[must_use]
    pub fn user_ci_token(&self) -> Option<&str> {
        self.user_ci_token.as_deref()
    }

    /// `completedDt`: when the signer finished.
    #[must_use]
    pub fn completed_dt(&self) -> Timestamp {
        self.completed_dt
    }

    /// `requestedDt`: when the request was first made.
    #[must_use]
    pub fn requested_dt(&self) -> Timestamp {
        self.requested_dt
    }

    /// `personalData`: the signer, encrypted under the result's session.
    #[must_use]
    pub fn personal_data(&self) -> Option<&PersonalData> {
        self.personal_data.as_ref()
    }
}

#[cfg(feature = "test-util")]
impl ResultResponse {
    /// A `COMPLETED` result with `signatureType` `PKCS7`, a plain document and no personal
    /// data; change them with the `with_*` methods.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn new(
        tx_id: impl Into<TxId>,
        doc: impl Into<String>,
        signed_doc: impl Into<String>,
        requested_dt: Timestamp,
        completed_dt: Timestamp,
    ) -> Self {
        Self {
            tx_id: tx_id.into(),
            status: SignStatus::Completed,
            doc: doc.into(),
            signed_doc: signed_doc.into(),
            signature_type: SignatureType::Pkcs7,
            doc_encrypted: Some(false),
            random_value: None,
            user_ci_token: None,
            completed_dt,
            requested_dt,
            personal_data: None,
        }
    }

    /// Sets `status`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_status(mut self, status: SignStatus) -> Self {
        self.status = status;
        self
    }

    /// Sets `signatureType`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_signature_type(mut self, signature_type: SignatureType) -> Self {
        self.signature_type = signature_type;
        self
    }

    /// Sets `docEncrypted`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_doc_encrypted(mut self, doc_encrypted: bool) -> Self {
        self.doc_encrypted = Some(doc_encrypted);
        self
    }

    /// Sets `personalData`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_personal_data(mut self, personal_data: PersonalData) -> Self {
        self.personal_data = Some(personal_data);
        self
    }
}

impl fmt::Debug for ResultResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultResponse")
            .field("tx_id", &self.tx_id)
            .field("status", &self.status)
            .field("doc", &Redacted(&self.doc))
            .field("signed_doc", &Redacted(&self.signed_doc))
            .field("signature_type", &self.signature_type)
            .field("doc_encrypted", &self.doc_encrypted)
            .field("random_value", &redacted_opt(self.random_value.as_deref()))
            .field(
                "user_ci_token",
                &redacted_opt(self.user_ci_token.as_deref()),
            )
            .field("completed_dt", &self.completed_dt)
            .field("requested_dt", &self.requested_dt)
            .field("personal_data", &self.personal_data)
            .finish()
    }
}

/// `personalData`: the signer, each field a `v1$` envelope under the result's session.
///
/// The test environment fills every field with a fictional person; in production only the
/// fields the service applied for are present. With `requestType=USER_CI` there is no CI or
/// DI. Decrypted, `gender` is a [`Gender`](crate::Gender), `nationality` a
/// [`Nationality`](crate::Nationality) and `birthday` `YYYYMMDD`.
///
/// `Debug` shows only which fields are present and their lengths.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalData {
    #[serde(default)]
    ci: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    birthday: Option<String>,
    #[serde(default)]
    gender: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    ci2: Option<String>,
    #[serde(default)]
    di: Option<String>,
    #[serde(default)]
    ci_update: Option<String>,
}

impl PersonalData {
    /// `ci`, encrypted.
    #[must_use]
    pub fn ci(&self) -> Option<&str> {
        self.ci.as_deref()
    }

    /// `name`, encrypted.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// `birthday` (`YYYYMMDD`), encrypted.
    #[must_use]
    pub fn birthday(&self) -> Option<&str> {
        self.birthday.as_deref()
    }

    /// `gender` (`MALE` or `FEMALE`), encrypted.
    #[must_use]
    pub fn gender(&self) -> Option<&str> {
        self.gender.as_deref()
    }

    /// `nationality` (`LOCAL` or `FOREIGNER`), encrypted.
    #[must_use]
    pub fn nationality(&self) -> Option<&str> {
        self.nationality.as_deref()
    }

    /// `ci2`: reserved by the provider for a CI leak (always `null`).
    #[must_use]
    pub fn ci2(&self) -> Option<&str> {
        self.ci2.as_deref()
    }

    /// `di`, encrypted.
    #[must_use]
    pub fn di(&self) -> Option<&str> {
        self.di.as_deref()
    }

    /// `ciUpdate`: reserved by the provider for a CI leak (always `null`).
    #[must_use]
    pub fn ci_update(&self) -> Option<&str> {
        self.ci_update.as_deref()
    }
}

#[cfg(feature = "test-util")]
impl PersonalData {
    /// Personal data with every field absent; fill it with the `with_*` methods.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `ci`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_ci(mut self, ci: impl Into<String>) -> Self {
        self.ci = Some(ci.into());
        self
    }

    /// Sets `name`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets `birthday`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_birthday(mut self, birthday: impl Into<String>) -> Self {
        self.birthday = Some(birthday.into());
        self
    }

    /// Sets `gender`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_gender(mut self, gender: impl Into<String>) -> Self {
        self.gender = Some(gender.into());
        self
    }

    /// Sets `nationality`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_nationality(mut self, nationality: impl Into<String>) -> Self {
        self.nationality = Some(nationality.into());
        self
    }

    /// Sets `ci2`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_ci2(mut self, ci2: impl Into<String>) -> Self {
        self.ci2 = Some(ci2.into());
        self
    }

    /// Sets `di`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_di(mut self, di: impl Into<String>) -> Self {
        self.di = Some(di.into());
        self
    }

    /// Sets `ciUpdate`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[must_use]
    pub fn with_ci_update(mut self, ci_update: impl Into<String>) -> Self {
        self.ci_update = Some(ci_update.into());
        self
    }
}

impl fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalData")
            .field("ci", &redacted_opt(self.ci.as_deref()))
            .field("name", &redacted_opt(self.name.as_deref()))
            .field("birthday", &redacted_opt(self.birthday.as_deref()))
            .field("gender", &redacted_opt(self.gender.as_deref()))
            .field("nationality", &redacted_opt(self.nationality.as_deref()))
            .field("ci2", &redacted_opt(self.ci2.as_deref()))
            .field("di", &redacted_opt(self.di.as_deref()))
            .field("ci_update", &redacted_opt(self.ci_update.as_deref()))
            .finish()
    }
}
