//! Sealing what the store keeps of personal data: the request summary, the sign answer and
//! the result with its session, each bound to its record by its AAD.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use toss_crypto::{CryptoProvider, DataKeyRing, Session};
use toss_model::Endpoint as _;
use toss_model::Operation;
use toss_model::esign::{GetResult, RequestSign};
use toss_model::{Envelope, ResultResponse, SignResponse, TxId};
use toss_runtime::tx::IdempotencyKey;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::request::RequestSummary;

/// The application's data key ring, and the AADs that tie each sealed value to its place:
/// a value copied to another record, or into another field, does not open there.
#[derive(Debug, Clone)]
pub(crate) struct Sealer {
    keys: DataKeyRing,
    /// The client's backend, for the stored sessions: a build with both backends has no
    /// default one.
    provider: &'static CryptoProvider,
}

/// A result as stored: the body exactly as received and the session that opens it.
#[derive(Serialize, Deserialize)]
struct StoredResult {
    /// `Session::serialize`: key material, zeroized with this value.
    session: String,
    /// The response body, base64 so that it stays byte for byte what arrived.
    body: String,
}

impl Drop for StoredResult {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.session.zeroize();
        self.body.zeroize();
    }
}

impl Sealer {
    pub(crate) fn new(keys: DataKeyRing, provider: &'static CryptoProvider) -> Self {
        Self { keys, provider }
    }

    pub(crate) fn seal_summary(
        &self,
        key: &IdempotencyKey,
        summary: &RequestSummary,
    ) -> Result<Vec<u8>, Error> {
        let json = Zeroizing::new(serde_json::to_vec(summary).map_err(encode_error)?);
        self.seal(&json, &aad("summary", key.as_str()), RequestSign::OPERATION)
    }

    pub(crate) fn open_summary(
        &self,
        key: &IdempotencyKey,
        sealed: &[u8],
    ) -> Result<RequestSummary, Error> {
        let json = self.open(
            sealed,
            &aad("summary", key.as_str()),
            RequestSign::OPERATION,
        )?;
        serde_json::from_slice(&json).map_err(|e| stored_error(RequestSign::OPERATION, e))
    }

    pub(crate) fn seal_answer(&self, key: &IdempotencyKey, body: &[u8]) -> Result<Vec<u8>, Error> {
        self.seal(body, &aad("answer", key.as_str()), RequestSign::OPERATION)
    }

    pub(crate) fn open_answer(
        &self,
        key: &IdempotencyKey,
        sealed: &[u8],
    ) -> Result<SignResponse, Error> {
        let body = self.open(sealed, &aad("answer", key.as_str()), RequestSign::OPERATION)?;
        success(RequestSign::OPERATION, &body)
    }

    pub(crate) fn seal_result(
        &self,
        tx_id: &TxId,
        session: &Session,
        body: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let stored = StoredResult {
            session: session.serialize().as_str().to_owned(),
            body: STANDARD.encode(body),
        };
        let json = Zeroizing::new(serde_json::to_vec(&stored).map_err(encode_error)?);
        self.seal(&json, &aad("result", tx_id.as_str()), GetResult::OPERATION)
    }

    /// The stored result, decoded, with the session it was fetched with.
    pub(crate) fn open_result(
        &self,
        tx_id: &TxId,
        sealed: &[u8],
    ) -> Result<(ResultResponse, Session), Error> {
        let json = self.open(sealed, &aad("result", tx_id.as_str()), GetResult::OPERATION)?;
        let stored: StoredResult =
            serde_json::from_slice(&json).map_err(|e| stored_error(GetResult::OPERATION, e))?;
        let session = Session::deserialize_with_provider(&stored.session, self.provider).map_err(
            |source| Error::Crypto {
                operation: GetResult::OPERATION,
                source,
            },
        )?;
        let body = Zeroizing::new(
            STANDARD
                .decode(stored.body.as_bytes())
                .map_err(|e| stored_error(GetResult::OPERATION, e))?,
        );
        Ok((success(GetResult::OPERATION, &body)?, session))
    }

    fn seal(&self, plaintext: &[u8], aad: &[u8], operation: Operation) -> Result<Vec<u8>, Error> {
        self.keys
            .seal(plaintext, aad)
            .map(String::into_bytes)
            .map_err(|source| Error::Crypto { operation, source })
    }

    fn open(
        &self,
        sealed: &[u8],
        aad: &[u8],
        operation: Operation,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let text = std::str::from_utf8(sealed)
            .map_err(|_| stored_error(operation, "a sealed value is not text"))?;
        self.keys
            .open(text, aad)
            .map_err(|source| Error::Crypto { operation, source })
    }
}

/// `<field>\0<record id>`.
fn aad(field: &str, id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(field.len() + 1 + id.len());
    aad.extend_from_slice(field.as_bytes());
    aad.push(0);
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// The `success` object of a stored response body.
fn success<T: serde::de::DeserializeOwned>(operation: Operation, body: &[u8]) -> Result<T, Error> {
    let envelope: Envelope<T> =
        serde_json::from_slice(body).map_err(|e| stored_error(operation, e))?;
    envelope
        .into_result()
        .map_err(|e| stored_error(operation, e))
}

pub(crate) fn encode_error(e: serde_json::Error) -> Error {
    Error::Config(format!(
        "cannot encode a value for the transaction store: {e}"
    ))
}

/// A stored value that does not read back: damaged, or written by something else.
fn stored_error(operation: Operation, e: impl Into<crate::error::BoxError>) -> Error {
    Error::Decode {
        operation,
        status: 200,
        source: e.into(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use toss_crypto::DataKey;

    use super::*;

    fn provider() -> &'static CryptoProvider {
        #[cfg(feature = "aws-lc")]
        return &toss_crypto::backend::aws_lc::PROVIDER;
        #[cfg(not(feature = "aws-lc"))]
        return &toss_crypto::backend::rust_crypto::PROVIDER;
    }

    fn sealer() -> Sealer {
        Sealer::new(
            DataKeyRing::new(DataKey::generate_with_provider(provider()).unwrap()),
            provider(),
        )
    }

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::new(text).unwrap()
    }

    #[test]
    fn a_sealed_answer_opens_only_in_its_own_record() {
        let sealer = sealer();
        let body = br#"{"resultType":"SUCCESS","success":{"txId":"tx-1","requestedDt":"2026-12-03T10:00:00+09:00"}}"#;
        let sealed = sealer.seal_answer(&key("a"), body).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("tx-1"));
        assert_eq!(
            sealer
                .open_answer(&key("a"), &sealed)
                .unwrap()
                .tx_id()
                .as_str(),
            "tx-1"
        );
        // Copied to another record, or read as another field, it does not open.
        assert!(sealer.open_answer(&key("b"), &sealed).is_err());
        assert!(sealer.open_summary(&key("a"), &sealed).is_err());
        // Nor under another key.
        assert!(self::sealer().open_answer(&key("a"), &sealed).is_err());
    }

    #[test]
    fn a_stored_result_keeps_its_body_byte_for_byte() {
        let sealer = sealer();
        let session = toss_crypto::SessionGenerator::builder()
            .crypto_provider(provider())
            .build()
            .unwrap()
            .generate()
            .unwrap();
        let tx = TxId::new("tx-2");
        // Not a result body: opening parses it and says so, after decrypting fine.
        let sealed = sealer
            .seal_result(&tx, &session, b"{\"not\": \"a result\"}")
            .unwrap();
        let error = sealer.open_result(&tx, &sealed).unwrap_err();
        assert!(error.is_decode(), "{error:?}");
        assert!(
            sealer
                .open_result(&TxId::new("tx-3"), &sealed)
                .unwrap_err()
                .is_crypto()
        );
        assert!(sealer.open_result(&tx, b"\xff").unwrap_err().is_decode());
    }
}
