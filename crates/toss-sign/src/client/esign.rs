//! The general e-signature calls (`toss_model::esign`): ask a user to sign, follow the
//! request, fetch the signed result, and the whole flow in one call.

use std::time::Duration;

use toss_model::Endpoint as _;
use toss_model::esign::{GetResult, GetStatus, RequestSign};
use toss_model::{
    Operation, ResultRequest, ResultResponse, SignResponse, SignStatus, StatusRequest,
    StatusResponse, TxId,
};
use tracing::Instrument as _;

use super::{Client, durable};
use crate::error::Error;
use crate::poll::PollPolicy;
use crate::request::{SignatureRequest, SignatureRequested, SignatureStatus};
use crate::signed::SignedDocument;

/// # General e-signature (일반 전자서명)
impl Client {
    /// Asks the user to sign: makes a fresh session, encrypts the personal data (and the
    /// document when asked), checks the provider's rules, and sends the request.
    ///
    /// A sign request pushes a notification to the user, so it is never retried once it may
    /// have reached the provider.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] before anything is sent; transport, provider and decode errors
    /// after.
    pub async fn request_signature(
        &self,
        request: &SignatureRequest,
    ) -> Result<SignatureRequested, Error> {
        let span = tracing::debug_span!(
            RequestSign::OPERATION.span_name(),
            tx_id = tracing::field::Empty
        );
        async {
            let requested = match &self.inner.durable {
                Some(durable) => self.request_durably(durable, request).await?,
                None => {
                    if request.idempotency_key().is_some() {
                        return Err(Error::Config(
                            "an idempotency key needs a transaction store (ClientBuilder::store, \
                             TOSS_CERT_STORE)"
                                .into(),
                        ));
                    }
                    let wire = self.prepare_sign_request(request)?;
                    let response: SignResponse =
                        self.inner.call::<RequestSign>(wire.as_wire(), None).await?;
                    SignatureRequested::from(response)
                }
            };
            tracing::Span::current().record("tx_id", requested.tx_id.as_str());
            tracing::debug!("signature requested");
            Ok(requested)
        }
        .instrument(span)
        .await
    }

    /// The transaction's status, with when it was requested. Status is for progress only;
    /// whether the signature is complete is decided by [`result`](Self::result).
    ///
    /// # Errors
    ///
    /// Transport, provider and decode errors.
    pub async fn status(&self, tx_id: &TxId) -> Result<SignatureStatus, Error> {
        let span = tracing::debug_span!(GetStatus::OPERATION.span_name(), tx_id = %tx_id);
        async {
            let response: StatusResponse = self
                .inner
                .call::<GetStatus>(&StatusRequest::new(tx_id.clone()), Some(tx_id))
                .await?;
            Ok(SignatureStatus::from(response))
        }
        .instrument(span)
        .await
    }

    /// Polls until the transaction is COMPLETED (`Ok`) or EXPIRED ([`Error::Expired`]), or
    /// the policy's timeout passes ([`Error::Timeout`]). `on_change` sees each new status.
    ///
    /// A status call that fails for a transient reason ([`Error::is_transient`]: no
    /// response, HTTP 5xx, a retryable provider code) does not end the wait; polling goes
    /// on until the deadline. Any other error ends it.
    ///
    /// Cancel-safe: dropping the future stops polling and leaves nothing behind. With a
    /// transaction store, each new status is recorded there as it is seen, and a
    /// transaction whose result the store holds returns at once, with no call.
    ///
    /// # Errors
    ///
    /// [`Error::Expired`], [`Error::Timeout`], and the errors of [`status`](Self::status).
    pub async fn wait(
        &self,
        tx_id: &TxId,
        policy: &PollPolicy,
        mut on_change: impl FnMut(&SignStatus) + Send,
    ) -> Result<(), Error> {
        let span = tracing::debug_span!("toss_cert.wait", tx_id = %tx_id);
        async {
            // A transaction whose result the store holds was completed: no call needed.
            if self.result_is_stored(tx_id).await {
                on_change(&SignStatus::Completed);
                return Ok(());
            }
            let started = tokio::time::Instant::now();
            let deadline = started + policy.timeout_duration();
            let mut last: Option<SignStatus> = None;
            let mut interval: Option<Duration> = None;
            loop {
                match self.status(tx_id).await {
                    Ok(SignatureStatus { status, .. }) => {
                        if last.as_ref() != Some(&status) {
                            tracing::debug!(status = %status, "status changed");
                            self.record_status(tx_id, &status).await;
                            on_change(&status);
                            last = Some(status.clone());
                        }
                        match status {
                            SignStatus::Completed => return Ok(()),
                            SignStatus::Expired => {
                                return Err(Error::Expired {
                                    tx_id: tx_id.clone(),
                                });
                            }
                            _ => {}
                        }
                    }
                    // The transaction goes on whatever the network does; keep polling
                    // until the deadline rather than give up on a blip.
                    Err(error) if self.is_transient(&error) => {
                        tracing::debug!(%error, "status unavailable; polling on");
                    }
                    Err(error) => return Err(error),
                }
                let next = policy.next_interval(interval);
                interval = Some(next);
                let now = tokio::time::Instant::now();
                if now + next > deadline {
                    return Err(Error::Timeout {
                        tx_id: tx_id.clone(),
                        waited: now - started,
                    });
                }
                tokio::time::sleep(next).await;
            }
        }
        .instrument(span)
        .await
    }

    /// Fetches and decrypts the result with a new session.
    ///
    /// The provider gives a result at most twice and only within 60 minutes of completion.
    /// For transactions this client has fetched before, it refuses a third fetch and a late
    /// one itself ([`Error::ResultLimit`] with `refused_locally`), without spending a call.
    ///
    /// With a transaction store ([`ClientBuilder::store`](crate::ClientBuilder::store)) a result is fetched at most once
    /// more than it was stored: the fetch takes the txId's fleet-wide lease (waiting, a
    /// bounded time, for another process that holds it), asks the status first unless the
    /// store knows the user signed, counts the fetch in the store before sending it, and
    /// stores the body as received, sealed with its session under the data key, before
    /// decrypting it; then the proof (signedDoc, the document's hash, the completion time,
    /// the verification report) and an outbox entry. A stored result is served from the
    /// store with no provider call.
    ///
    /// # Errors
    ///
    /// [`Error::NotCompleted`] (CE3102), [`Error::Expired`] (CE3103), [`Error::ResultLimit`]
    /// (CE3101 or local), and transport, provider, crypto and decode errors; with a store,
    /// also [`Error::Store`] and [`Error::ResultBusy`].
    pub async fn result(&self, tx_id: &TxId) -> Result<SignedDocument, Error> {
        let span = tracing::debug_span!(GetResult::OPERATION.span_name(), tx_id = %tx_id);
        async {
            if let Some(durable) = &self.inner.durable {
                return self.result_durably(durable, tx_id).await;
            }
            self.inner.ledger.check(tx_id, self.inner.clock.now())?;
            let session = self.new_session(GetResult::OPERATION)?;
            let request = ResultRequest::new(tx_id.clone(), session.session_key());
            let response: ResultResponse =
                self.inner.call::<GetResult>(&request, Some(tx_id)).await?;
            let signed = SignedDocument::open(&response, &session)?;
            self.inner
                .ledger
                .record(tx_id, signed.completed_at, self.inner.clock.now());
            tracing::debug!("result fetched");
            Ok(signed)
        }
        .instrument(span)
        .await
    }

    /// The whole flow: request, wait with `policy`, fetch and decrypt the result.
    ///
    /// # Errors
    ///
    /// The errors of [`request_signature`](Self::request_signature), [`wait`](Self::wait)
    /// and [`result`](Self::result).
    pub async fn sign_and_wait(
        &self,
        request: &SignatureRequest,
        policy: &PollPolicy,
        on_change: impl FnMut(&SignStatus) + Send,
    ) -> Result<SignedDocument, Error> {
        let requested = self.request_signature(request).await?;
        self.wait(&requested.tx_id, policy, on_change).await?;
        self.result(&requested.tx_id).await
    }

    /// Records a status seen while waiting; the store failing costs nothing but a warning
    /// (the next look sees the status again).
    pub(super) async fn record_status(&self, tx_id: &TxId, status: &SignStatus) {
        let Some(durable) = &self.inner.durable else {
            return;
        };
        // A record starts `requested` when its txId is stored: nothing to write for it.
        if *status == SignStatus::Requested {
            return;
        }
        let (Some(state), Ok(stored_id)) = (durable::state_of(status), durable::store_tx_id(tx_id))
        else {
            return;
        };
        match durable.store.get().await {
            Ok(store) => {
                durable::record_state(store.as_ref(), &stored_id, state, self.inner.clock.now())
                    .await;
            }
            Err(error) => tracing::warn!(%error, "transaction store unavailable"),
        }
    }

    /// Whether the store holds the result of `tx_id` (never without a store, or when the
    /// store cannot say).
    pub(super) async fn result_is_stored(&self, tx_id: &TxId) -> bool {
        let Some(durable) = &self.inner.durable else {
            return false;
        };
        let (Ok(store), Ok(stored_id)) = (durable.store.get().await, durable::store_tx_id(tx_id))
        else {
            return false;
        };
        matches!(
            store.get_by_tx_id(&stored_id).await,
            Ok(Some(record)) if record.result_body.is_some()
        )
    }

    /// The wire request with a fresh session; logs the provider rules it only warns about.
    pub(super) fn prepare_sign_request(
        &self,
        request: &SignatureRequest,
    ) -> Result<toss_model::plain::SealedSignRequest, Error> {
        let session = self.new_session(RequestSign::OPERATION)?;
        let wire = request.to_wire(&session)?;
        for warning in wire.as_wire().warnings() {
            tracing::warn!(%warning, "sign request accepted with a warning");
        }
        Ok(wire)
    }

    pub(super) fn new_session(
        &self,
        operation: Operation,
    ) -> Result<toss_crypto::NewSession, Error> {
        self.inner
            .sessions
            .generate_with(self.inner.algorithm)
            .map_err(|source| Error::Crypto { operation, source })
    }

    /// Whether `error` may pass when the same idempotent call is made again, as this
    /// client's retry classifiers judge it.
    fn is_transient(&self, error: &Error) -> bool {
        error.retry_outcome().is_some_and(|outcome| {
            crate::error::transient(
                self.inner
                    .transport
                    .retry()
                    .classify(&toss_runtime::retry::Attempt::new(1, true, outcome)),
            )
        })
    }
}
