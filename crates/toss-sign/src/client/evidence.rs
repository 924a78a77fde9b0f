//! Evidence collected right after a result: the provider's certificate-check answer, the
//! issuer's CRL from the signer certificate's distribution point (cached until its
//! nextUpdate), and an RFC 3161 timestamp over the signature when a TSA is configured.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use time::OffsetDateTime;
use toss_evidence::{
    CertificateCheck, CrlEvidence, DocumentInfo, Evidence, Item, TimestampEvidence,
};
use toss_signed_doc::{Crl, TimestampRequest};

use super::Client;
use crate::error::Error;
use crate::signed::SignedDocument;

/// The most CRLs kept: one per distribution point, and a CA has a few.
const MAX_CACHED_CRLS: usize = 64;

/// What the builder set for evidence.
#[derive(Debug, Clone)]
pub(crate) struct EvidenceSettings {
    /// Whether a client with a store collects evidence after each result.
    pub(crate) enabled: bool,
    /// The time-stamping authority, when one is configured.
    pub(crate) tsa_url: Option<String>,
    /// Whether CRLs are kept until their nextUpdate.
    pub(crate) cache_crls: bool,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            tsa_url: None,
            cache_crls: true,
        }
    }
}

/// CRLs by distribution point, each until its nextUpdate.
#[derive(Debug, Default)]
pub(crate) struct CrlCache {
    crls: Mutex<HashMap<String, CachedCrl>>,
}

#[derive(Debug, Clone)]
struct CachedCrl {
    der: Bytes,
    fetched_at: OffsetDateTime,
    next_update: OffsetDateTime,
}

impl CrlCache {
    fn get(&self, url: &str, now: OffsetDateTime) -> Option<CachedCrl> {
        let crls = self.crls.lock().unwrap_or_else(PoisonError::into_inner);
        crls.get(url).filter(|c| now < c.next_update).cloned()
    }

    fn put(&self, url: &str, crl: CachedCrl) {
        let mut crls = self.crls.lock().unwrap_or_else(PoisonError::into_inner);
        if crls.len() >= MAX_CACHED_CRLS && !crls.contains_key(url) {
            crls.clear();
        }
        crls.insert(url.to_owned(), crl);
    }
}

impl Client {
    /// Collects the evidence of a result, as a client with a store does by itself after
    /// each one: the provider's certificate-check answer for the signer certificate, the
    /// CRL of its issuer from the certificate's distribution point (fetched over plain
    /// http where the CA publishes it so, as CRLs are signed; cached until its
    /// nextUpdate), and, with a TSA configured ([`ClientBuilder::tsa_url`],
    /// `TOSS_CERT_TSA_URL`), an RFC 3161 timestamp over the signature. What cannot be had
    /// is recorded in the evidence as a gap with its reason; the calls are bounded by the
    /// request timeout.
    ///
    /// Verify with it through [`Client::verify`] once it is in
    /// [`SignedDocument::evidence`], or with `toss_evidence::verify`.
    ///
    /// # Errors
    ///
    /// [`Error::Verification`] when the signedDoc cannot be read.
    ///
    /// [`ClientBuilder::tsa_url`]: crate::ClientBuilder::tsa_url
    pub async fn collect_evidence(&self, signed: &SignedDocument) -> Result<Evidence, Error> {
        let document = DocumentInfo::new(signed.signature_type.as_str());
        self.collect_evidence_for(signed, document).await
    }

    pub(crate) async fn collect_evidence_for(
        &self,
        signed: &SignedDocument,
        document: DocumentInfo,
    ) -> Result<Evidence, Error> {
        let parsed =
            toss_signed_doc::SignedDoc::from_der(&signed.signed_doc.der).map_err(|source| {
                Error::Verification {
                    tx_id: signed.tx_id.clone(),
                    source,
                }
            })?;
        let (check, crl, timestamp) = tokio::join!(
            self.certificate_check(&parsed),
            self.crl_of(&parsed),
            self.timestamp_of(&parsed),
        );
        let mut evidence = Evidence::new(
            signed.tx_id.as_str(),
            signed.requested_at,
            signed.completed_at,
            document,
            self.now(),
        );
        match check {
            Ok(check) => evidence.certificate_check = Some(check),
            Err(reason) => evidence.add_gap(Item::CertificateCheck, reason),
        }
        match crl {
            Ok(crl) => evidence.crl = Some(crl),
            Err(reason) => evidence.add_gap(Item::Crl, reason),
        }
        match timestamp {
            Ok(Some(token)) => evidence.timestamp = Some(token),
            Ok(None) => {}
            Err(reason) => evidence.add_gap(Item::Timestamp, reason),
        }
        for gap in &evidence.gaps {
            tracing::warn!(item = ?gap.item, reason = %gap.reason, "evidence not collected");
        }
        Ok(evidence)
    }

    async fn certificate_check(
        &self,
        parsed: &toss_signed_doc::SignedDoc,
    ) -> Result<CertificateCheck, String> {
        let answer = self
            .validate_certificate(&parsed.signer_certificate_pem())
            .await
            .map_err(|e| e.to_string())?;
        Ok(CertificateCheck::new(
            self.now(),
            answer.valid(),
            answer.enabled(),
        ))
    }

    async fn crl_of(&self, parsed: &toss_signed_doc::SignedDoc) -> Result<CrlEvidence, String> {
        let url = parsed
            .crl_distribution_points()
            .into_iter()
            .find(|url| url.starts_with("http://") || url.starts_with("https://"))
            .ok_or("the signer certificate names no http CRL distribution point")?;
        let now = self.now();
        let cache = &self.inner.crl_cache;
        let caching = self.inner.evidence.cache_crls;
        if let Some(cached) = cache.get(&url, now).filter(|_| caching) {
            return Ok(CrlEvidence::new(
                url,
                cached.fetched_at,
                cached.der.to_vec(),
            ));
        }
        let response = self
            .inner
            .transport
            .fetch_public(&url, None, "application/pkix-crl")
            .await
            .map_err(|e| format!("fetching the CRL failed: {e}"))?;
        if response.status != 200 {
            return Err(format!(
                "the CRL distribution point answered HTTP {}",
                response.status
            ));
        }
        let fetched_at = self.now();
        let crl = Crl::from_der(&response.body).map_err(|e| e.to_string())?;
        if let Some(next_update) = crl.next_update().filter(|_| caching) {
            cache.put(
                &url,
                CachedCrl {
                    der: response.body.clone(),
                    fetched_at,
                    next_update,
                },
            );
        }
        Ok(CrlEvidence::new(url, fetched_at, response.body.to_vec()))
    }

    async fn timestamp_of(
        &self,
        parsed: &toss_signed_doc::SignedDoc,
    ) -> Result<Option<TimestampEvidence>, String> {
        let Some(url) = self.inner.evidence.tsa_url.as_deref() else {
            return Ok(None);
        };
        let mut nonce = [0u8; 8];
        self.inner
            .sessions
            .crypto_provider()
            .secure_random
            .fill(&mut nonce)
            .map_err(|_| "the random number generator failed".to_owned())?;
        let request = TimestampRequest::for_signature(parsed, u64::from_be_bytes(nonce))
            .map_err(|e| e.to_string())?;
        let response = self
            .inner
            .transport
            .fetch_public(
                url,
                Some((
                    "application/timestamp-query",
                    Bytes::copy_from_slice(request.der()),
                )),
                "application/timestamp-reply",
            )
            .await
            .map_err(|e| format!("asking the TSA failed: {e}"))?;
        if response.status != 200 {
            return Err(format!("the TSA answered HTTP {}", response.status));
        }
        let token = request
            .read_response(&response.body)
            .map_err(|e| e.to_string())?;
        Ok(Some(TimestampEvidence::new(url, token.der().to_vec())))
    }
}
