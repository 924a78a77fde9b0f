//! The client: configuration, the call path every endpoint shares (`api`), and the
//! calls in the SDK's words, one module per family of endpoints (`esign`: the general
//! e-signature calls) besides the certificate check and verification here.

mod api;
mod builder;
pub(crate) mod durable;
mod esign;
mod evidence;
mod ledger;

pub use builder::ClientBuilder;

use std::sync::Arc;
use toss_model::Endpoint as _;
use toss_model::ValidateCertificate;

use toss_crypto::{Algorithm, SessionGenerator};
use toss_model::{CertificateValidateRequest, CertificateValidateResponse};
use tracing::Instrument as _;

use crate::credentials::{ClientSecret, Environment};
use crate::error::Error;
use crate::poll::PollPolicy;
use crate::signed::SignedDocument;
use crate::token::TokenManager;
use toss_runtime::clock::Clock;

use self::api::Transport;
pub(crate) use self::api::transport_outcome;
use self::ledger::ResultLedger;

/// The Toss Cert client. Cheap to clone (an `Arc` inside), `Send` and `Sync`: build one and
/// share it.
///
/// Build it with [`Client::builder`] or [`Client::from_env`].
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// The name the issues and the provider's SDKs use.
pub type TossCertClient = Client;

#[derive(Debug)]
struct Inner {
    client_id: String,
    client_secret: ClientSecret,
    environment: Environment,
    sessions: SessionGenerator,
    transport: Transport,
    tokens: TokenManager,
    clock: Arc<dyn Clock>,
    poll_policy: PollPolicy,
    ledger: ResultLedger,
    durable: Option<durable::Durable>,
    algorithm: Algorithm,
    trust_anchors: Option<toss_signed_doc::TrustAnchors>,
    evidence: evidence::EvidenceSettings,
    crl_cache: evidence::CrlCache,
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `TOSS_CERT_CLIENT_ID`,
    /// `TOSS_CERT_CLIENT_SECRET`, and optionally `TOSS_CERT_API_BASE`, `TOSS_CERT_OAUTH_BASE`
    /// (both or neither; default: the provider's hosts), `TOSS_CERT_PUBLIC_KEY` (PEM or
    /// base64 DER; default: the provider's key), `TOSS_CERT_TRUST_ANCHORS` (the path of
    /// a PEM file of CA certificates, see [`ClientBuilder::trust_anchors`]; default: none),
    /// `TOSS_CERT_TSA_URL` (an RFC 3161 time-stamping authority, see
    /// [`ClientBuilder::tsa_url`]; default: none),
    /// `TOSS_CERT_STORE` (a transaction store: a SQLite path or a `postgres://` URL, see
    /// [`ClientBuilder::store_location`]; default: none) with `TOSS_CERT_DATA_KEY` (base64
    /// of 32 bytes, see [`ClientBuilder::data_key`]) and `TOSS_CERT_DATA_KEY_PREVIOUS`
    /// (older keys, comma-separated), and `TOSS_CERT_RESULT_LEASE_SECS` (see
    /// [`ClientBuilder::result_lease_ttl`]).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable that is missing or wrong; a base URL that is
    /// plain `http` to a host other than loopback is wrong (there is no variable to allow
    /// it: use [`ClientBuilder::danger_allow_insecure_http`]).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// Asks the provider whether a signer certificate (PEM) is valid and enabled.
    ///
    /// # Errors
    ///
    /// Transport, provider and decode errors.
    pub async fn validate_certificate(
        &self,
        certificate_pem: &str,
    ) -> Result<CertificateValidateResponse, Error> {
        let span = tracing::debug_span!(ValidateCertificate::OPERATION.span_name());
        self.inner
            .call::<ValidateCertificate>(&CertificateValidateRequest::new(certificate_pem), None)
            .instrument(span)
            .await
    }

    /// Asks the provider whether the certificate that signed `signed`'s signedDoc is valid
    /// and enabled (`/api/v1/certificate/validate`).
    ///
    /// # Errors
    ///
    /// [`Error::Verification`] when the signedDoc cannot be read; transport, provider and
    /// decode errors of the call.
    pub async fn validate_signer(
        &self,
        signed: &SignedDocument,
    ) -> Result<CertificateValidateResponse, Error> {
        let pem = signed.signer_certificate_pem()?;
        self.validate_certificate(&pem).await
    }

    /// Verifies a result's signedDoc offline against its own document, as
    /// [`SignedDocument::verify`], and with this client's trust anchors
    /// ([`ClientBuilder::trust_anchors`], `TOSS_CERT_TRUST_ANCHORS`) its chain to them.
    /// Without anchors the report says the chain was not checked (`chain_checked: false`):
    /// the signer's name is then unproven.
    ///
    /// # Errors
    ///
    /// With [evidence](SignedDocument::evidence), also the timestamp over the signature and,
    /// with trust anchors (which prove whose CRL speaks for the certificate), the signer
    /// certificate's revocation state at the signing time from the collected CRL (as fresh
    /// when it was fetched): a certificate revoked before the signing fails with
    /// `RevocationError::Revoked`, one revoked after passes and the report's `revocation`
    /// says when.
    ///
    /// # Errors
    ///
    /// [`Error::Verification`] with what `toss-signed-doc` found.
    pub fn verify(&self, signed: &SignedDocument) -> Result<toss_signed_doc::Report, Error> {
        let anchors = self.inner.trust_anchors.as_ref();
        match &signed.evidence {
            Some(evidence) => signed.verify_with_evidence(evidence, anchors),
            None => match anchors {
                Some(anchors) => signed.verify_trusted(anchors),
                None => signed.verify(),
            },
        }
    }

    /// [`verify`](Self::verify), failing closed when the client has no trust anchors.
    ///
    /// # Errors
    ///
    /// [`Error::Verification`]: with `TrustAnchorError::Missing` when the client has no
    /// trust anchors, and otherwise with what `toss-signed-doc` found.
    pub fn verify_trusted(
        &self,
        signed: &SignedDocument,
    ) -> Result<toss_signed_doc::Report, Error> {
        signed.verify_required(self.inner.trust_anchors.as_ref())
    }

    /// The trust anchors the client verifies signedDocs with, when it has any.
    #[must_use]
    pub fn trust_anchors(&self) -> Option<&toss_signed_doc::TrustAnchors> {
        self.inner.trust_anchors.as_ref()
    }

    /// The access token every call uses: the cached one while fresh, otherwise a new one
    /// (fetched once however many callers ask together).
    ///
    /// Calls fetch tokens by themselves; this is for tools and for warming the cache.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] when the credentials are refused; transport, decode and token
    /// store errors.
    pub async fn access_token(&self) -> Result<toss_runtime::token::AccessToken, Error> {
        self.inner.tokens.token(|| self.inner.fetch_token()).await
    }

    /// The transaction store, opened now if it was given as a location
    /// (`TOSS_CERT_STORE`); `None` without one. For reading records, proofs and the outbox
    /// of completions (`outbox_claim`, then `outbox_ack`).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the location cannot be opened.
    pub async fn tx_store(&self) -> Result<Option<Arc<dyn toss_runtime::tx::TxStore>>, Error> {
        match &self.inner.durable {
            Some(durable) => Ok(Some(durable.store.get().await?.clone())),
            None => Ok(None),
        }
    }

    pub(crate) fn durable(&self) -> Option<&durable::Durable> {
        self.inner.durable.as_ref()
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.inner.clock.now()
    }

    /// The poll policy configured on the builder.
    #[must_use]
    pub fn poll_policy(&self) -> &PollPolicy {
        &self.inner.poll_policy
    }
}
