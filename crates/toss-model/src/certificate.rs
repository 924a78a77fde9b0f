//! The certificate check (`POST /api/v1/certificate/validate`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::redact::Redacted;

/// The body of `POST /api/v1/certificate/validate`: the signer's certificate, as PEM, taken
/// out of `signedDoc`.
///
/// The certificate names the signer, so `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateValidateRequest {
    certificate: String,
}

impl CertificateValidateRequest {
    /// Asks about the certificate `pem` (`-----BEGIN CERTIFICATE-----…`).
    pub fn new(pem: impl Into<String>) -> Self {
        Self {
            certificate: pem.into(),
        }
    }

    /// `certificate`, as PEM.
    #[must_use]
    pub fn certificate(&self) -> &str {
        &self.certificate
    }
}

impl fmt::Debug for CertificateValidateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateValidateRequest")
            .field("certificate", &Redacted(&self.certificate))
            .finish()
    }
}

/// The `success` object of the certificate check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateValidateResponse {
    valid: bool,
    enabled: bool,
}

impl CertificateValidateResponse {
    /// `valid`: the provider's verdict that the certificate is valid (its exact criteria are
    /// unpublished).
    #[must_use]
    pub fn valid(&self) -> bool {
        self.valid
    }

    /// `enabled`: the provider's verdict that the certificate is in force (its exact criteria
    /// are unpublished).
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

#[cfg(feature = "test-util")]
impl CertificateValidateResponse {
    /// A certificate check answer.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn new(valid: bool, enabled: bool) -> Self {
        Self { valid, enabled }
    }
}

/// `POST /api/v1/certificate/validate`: whether the provider holds the signer
/// certificate valid and enabled now. Idempotent.
#[allow(clippy::exhaustive_structs)] // a marker: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidateCertificate;

impl crate::Endpoint for ValidateCertificate {
    type Request = CertificateValidateRequest;
    type Response = CertificateValidateResponse;
    const OPERATION: crate::Operation = crate::Operation {
        spec: &crate::endpoint::Spec::post_json(
            crate::Host::Api,
            "/api/v1/certificate/validate",
            "certificate check",
            "toss_cert.validate_signer",
        )
        .idempotent(),
    };
}
