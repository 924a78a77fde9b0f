//! The signed result: the proof to keep, and the person who signed.

use std::fmt;
use toss_model::Endpoint as _;
use toss_model::esign::GetResult;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::{Date, OffsetDateTime};
use toss_crypto::Session;
use toss_model::{Gender, Nationality, PersonalData, ResultResponse, SignatureType, TxId};
use zeroize::Zeroizing;

use crate::error::{BoxError, Error};

/// A completed signature, decrypted: keep [`signed_doc`](Self::signed_doc) with its
/// [`tx_id`](Self::tx_id) as the proof of consent.
///
/// `Debug` shows ids, types and times only.
#[non_exhaustive]
#[derive(Clone)]
pub struct SignedDocument {
    /// The transaction.
    pub tx_id: TxId,
    /// The signed document as the user saw it (decrypted when it travelled encrypted); for a
    /// PDF, the base64 SHA-256 that was signed.
    pub doc: Zeroizing<String>,
    /// The PKCS#7 signature.
    pub signed_doc: SignedDoc,
    /// How it was signed.
    pub signature_type: SignatureType,
    /// When the request was made.
    pub requested_at: OffsetDateTime,
    /// When the user signed.
    pub completed_at: OffsetDateTime,
    /// Who signed, when the provider returned personal data.
    pub person: Option<Person>,
    /// The evidence collected after the result (certificate check, CRL, timestamp), when a
    /// client with a store collected it or it was attached with
    /// [`Client::collect_evidence`](crate::Client::collect_evidence).
    pub evidence: Option<toss_evidence::Evidence>,
}

impl fmt::Debug for SignedDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedDocument")
            .field("tx_id", &self.tx_id)
            .field("doc", &format_args!("<{} chars>", self.doc.chars().count()))
            .field("signed_doc", &self.signed_doc)
            .field("signature_type", &self.signature_type)
            .field("requested_at", &self.requested_at)
            .field("completed_at", &self.completed_at)
            .field("person", &self.person)
            .field("evidence", &self.evidence)
            .finish()
    }
}

impl SignedDocument {
    /// Verifies the signedDoc offline against this result's own document: the embedded
    /// content must equal [`doc`](Self::doc) (`PKCS7`), or the signed digest must equal the
    /// SHA-256 in `doc` (`PKCS7_NO_CONTENT_WITH_ATTR`); the signature must verify with the
    /// signer's certificate, valid at the signing time. No chain check, and the report says
    /// so (`chain_checked: false`): use [`verify_trusted`](Self::verify_trusted), or
    /// [`Client::verify`](crate::Client::verify) with the client's trust anchors.
    ///
    /// # Errors
    ///
    /// [`Error::Verification`] with what `toss-signed-doc` found.
    ///
    /// # Security
    ///
    /// Without trust anchors this proves the document was signed by the key in the
    /// certificate, not that the certificate is Toss's: the name in it is unproven.
    pub fn verify(&self) -> Result<toss_signed_doc::Report, Error> {
        self.check(|signed, expected| signed.verify(expected))
    }

    /// [`verify`](Self::verify) with a configured verifier (trust anchors).
    ///
    /// # Errors
    ///
    /// [`Error::Verification`] with what `toss-signed-doc` found.
    pub fn verify_with(
        &self,
        verifier: &toss_signed_doc::Verifier,
    ) -> Result<toss_signed_doc::Report, Error> {
        self.check(|signed, expected| verifier.verify(signed, expected))
    }

    /// [`verify`](Self::verify) and the chain from the signer certificate to one of
    /// `anchors` (the provider's CA certificates, Toss CA1 and Toss Root CA1), failing
    /// closed when `anchors` is empty.
    ///
    /// # Errors
    ///
    /// [`Error::Verification`] with what `toss-signed-doc` found, among which
    /// `TrustAnchorError::Missing` for no anchors and `CertificateError::Untrusted` for a
    /// certificate the anchors did not issue.
    pub fn verify_trusted(
        &self,
        anchors: &toss_signed_doc::TrustAnchors,
    ) -> Result<toss_signed_doc::Report, Error> {
        self.check(|signed, expected| signed.verify_trusted(expected, anchors))
    }

    /// [`verify_trusted`](Self::verify_trusted) when there are anchors, failing closed
    /// without.
    pub(crate) fn verify_required(
        &self,
        anchors: Option<&toss_signed_doc::TrustAnchors>,
    ) -> Result<toss_signed_doc::Report, Error> {
        match anchors {
            Some(anchors) => self.verify_trusted(anchors),
            None => Err(self.verification_error(toss_signed_doc::TrustAnchorError::Missing.into())),
        }
    }

    /// [`verify`](Self::verify) with `evidence`: the timestamp over the signature, the
    /// revocation state at the signing time from its CRL (fresh when fetched), and with
    /// `anchors` the chain, in one pass (`toss_evidence::verify_signed`).
    ///
    /// # Errors
    ///
    /// [`Error::Verification`] with what `toss-signed-doc` found: a certificate revoked
    /// before the signing is `RevocationError::Revoked`.
    pub fn verify_with_evidence(
        &self,
        evidence: &toss_evidence::Evidence,
        anchors: Option<&toss_signed_doc::TrustAnchors>,
    ) -> Result<toss_signed_doc::Report, Error> {
        self.check(|_, expected| {
            toss_evidence::verify_signed(&self.signed_doc.der, expected, evidence, anchors)
        })
    }

    fn check(
        &self,
        verify: impl FnOnce(
            &toss_signed_doc::SignedDoc,
            toss_signed_doc::Expected<'_>,
        ) -> Result<toss_signed_doc::Report, toss_signed_doc::Error>,
    ) -> Result<toss_signed_doc::Report, Error> {
        let signed = self.parsed()?;
        let digest;
        let expected = match self.signature_type {
            SignatureType::Pkcs7NoContentWithAttr => {
                digest = self.pdf_digest()?;
                toss_signed_doc::Expected::Sha256(digest)
            }
            _ => toss_signed_doc::Expected::Text(self.doc.as_str()),
        };
        verify(&signed, expected).map_err(|source| self.verification_error(source))
    }

    /// The signer certificate as PEM, as the provider's certificate check expects it.
    ///
    /// # Errors
    ///
    /// [`Error::Verification`] when the signedDoc cannot be read.
    pub fn signer_certificate_pem(&self) -> Result<String, Error> {
        Ok(self.parsed()?.signer_certificate_pem())
    }

    fn parsed(&self) -> Result<toss_signed_doc::SignedDoc, Error> {
        toss_signed_doc::SignedDoc::from_der(&self.signed_doc.der)
            .map_err(|source| self.verification_error(source))
    }

    /// The SHA-256 a no-content signature signs: `doc` is its base64.
    fn pdf_digest(&self) -> Result<[u8; 32], Error> {
        STANDARD
            .decode(self.doc.as_bytes())
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| decode_error("doc is not the base64 of a SHA-256 digest".into()))
    }

    fn verification_error(&self, source: toss_signed_doc::Error) -> Error {
        Error::Verification {
            tx_id: self.tx_id.clone(),
            source,
        }
    }
}

/// The `signedDoc`: a CMS/PKCS#7 `SignedData`, as DER and as the base64 received.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedDoc {
    /// The DER bytes.
    pub der: Vec<u8>,
    /// The base64 text exactly as the provider sent it.
    pub base64: String,
}

impl fmt::Debug for SignedDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignedDoc(<{} bytes DER>)", self.der.len())
    }
}

/// The person who signed, decrypted from the result's personal data.
///
/// `Debug` shows nothing personal.
#[non_exhaustive]
#[derive(Clone)]
pub struct Person {
    /// Connecting information; absent for `USER_CI` requests.
    pub ci: Option<Zeroizing<String>>,
    /// Duplication information; absent for `USER_CI` requests.
    pub di: Option<Zeroizing<String>>,
    /// The name.
    pub name: Zeroizing<String>,
    /// The birthday.
    pub birthday: Date,
    /// The gender.
    pub gender: Gender,
    /// Korean national or foreigner.
    pub nationality: Nationality,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Person(<redacted>)")
    }
}

impl SignedDocument {
    /// Decrypts a result with the session its request carried: what
    /// [`Client::result`](crate::Client::result) does after the call, for services that
    /// make the call themselves or keep raw results.
    ///
    /// # Errors
    ///
    /// [`Error::Crypto`] when a field does not decrypt with `session`, [`Error::Decode`]
    /// when signedDoc is not base64 or personal data is missing or malformed.
    pub fn open(response: &ResultResponse, session: &Session) -> Result<Self, Error> {
        let decrypt = |field: &str| {
            session.decrypt(field).map_err(|source| Error::Crypto {
                operation: GetResult::OPERATION,
                source,
            })
        };
        let doc = if response.doc_encrypted() {
            decrypt(response.doc())?
        } else {
            Zeroizing::new(response.doc().to_owned())
        };
        let signed_doc_base64 = response.signed_doc().to_owned();
        let der = STANDARD
            .decode(signed_doc_base64.as_bytes())
            .map_err(|e| decode_error(Box::new(e)))?;
        let person = response
            .personal_data()
            .map(|data| open_person(data, &decrypt))
            .transpose()?;
        Ok(Self {
            tx_id: response.tx_id().clone(),
            doc,
            signed_doc: SignedDoc {
                der,
                base64: signed_doc_base64,
            },
            signature_type: response.signature_type().clone(),
            requested_at: response.requested_dt().into(),
            completed_at: response.completed_dt().into(),
            person,
            evidence: None,
        })
    }
}

fn open_person(
    data: &PersonalData,
    decrypt: &dyn Fn(&str) -> Result<Zeroizing<String>, Error>,
) -> Result<Person, Error> {
    let optional = |field: Option<&str>| field.map(decrypt).transpose();
    let required = |field: Option<&str>, name: &'static str| {
        field
            .map(decrypt)
            .transpose()?
            .ok_or_else(|| decode_error(format!("personalData.{name} is missing").into()))
    };
    let birthday = required(data.birthday(), "birthday")?;
    let birthday = toss_model::plain::Birthday::parse(&birthday)
        .map_err(|_| decode_error("personalData.birthday is not YYYYMMDD".into()))?
        .date();
    let gender = required(data.gender(), "gender")?;
    let nationality = required(data.nationality(), "nationality")?;
    Ok(Person {
        ci: optional(data.ci())?,
        di: optional(data.di())?,
        name: required(data.name(), "name")?,
        birthday,
        gender: parse_wire(&gender, "gender")?,
        nationality: parse_wire(&nationality, "nationality")?,
    })
}

/// Reads an enum the provider sends as a plain (decrypted) string.
fn parse_wire<T: serde::de::DeserializeOwned>(text: &str, name: &'static str) -> Result<T, Error> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| decode_error(format!("personalData.{name} is not a known value").into()))
}

fn decode_error(source: BoxError) -> Error {
    Error::Decode {
        operation: GetResult::OPERATION,
        status: 200,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_genders_are_kept() {
        let gender: Gender = parse_wire("OTHER", "gender").unwrap();
        assert_eq!(gender.as_str(), "OTHER");
    }
}
