//! A result fetch that is never lost: leased fleet-wide, counted before it is sent, stored
//! as received before it is decrypted, and served from the store ever after.

use std::time::Duration;
use toss_model::Endpoint as _;
use toss_model::esign::GetResult;

use sha2::{Digest as _, Sha256};
use toss_model::{ResultRequest, SignStatus, TxId};
use toss_runtime::tx::{IdempotencyKey, Lease, Proof, TxRecord, TxState, TxStore};

use super::{Durable, store_error, store_tx_id, write_with_retry};
use crate::client::Client;
use crate::crash;
use crate::error::{Error, ResultLimit};
use crate::signed::SignedDocument;

/// How often a caller waiting for another process's fetch looks at the store.
const BUSY_POLL: Duration = Duration::from_millis(200);

impl Client {
    /// [`result`](Client::result) with a store.
    pub(in crate::client) async fn result_durably(
        &self,
        durable: &Durable,
        tx_id: &TxId,
    ) -> Result<SignedDocument, Error> {
        let store = durable.store.get().await?.as_ref();
        let stored_id = store_tx_id(tx_id)?;
        let record = match store
            .get_by_tx_id(&stored_id)
            .await
            .map_err(store_error(Some(tx_id)))?
        {
            Some(record) => record,
            None => self.adopt(store, &stored_id, tx_id).await?,
        };
        if record.result_body.is_some() {
            return self.serve_stored(durable, store, tx_id, &record).await;
        }
        refuse_spent(&record, tx_id)?;
        // A fetch before completion would be counted without giving anything: ask first.
        if !matches!(record.state, TxState::Completed) {
            let status = self.status(tx_id).await?;
            if let Some(state) = super::state_of(&status.status) {
                record_state(store, &stored_id, state, self.inner.clock.now()).await;
            }
            match status.status {
                SignStatus::Completed => {}
                SignStatus::Expired => {
                    return Err(Error::Expired {
                        tx_id: tx_id.clone(),
                    });
                }
                _ => {
                    return Err(Error::NotCompleted {
                        tx_id: tx_id.clone(),
                    });
                }
            }
        }
        let lease = match self
            .lease_or_wait(durable, store, &stored_id, tx_id)
            .await?
        {
            Leased::Lease(lease) => lease,
            Leased::StoredMeanwhile(record) => {
                return self.serve_stored(durable, store, tx_id, &record).await;
            }
        };
        let fetched = self
            .fetch_under_lease(durable, store, &lease, tx_id, &record)
            .await;
        if let Err(error) = store.release_lease(&lease).await {
            tracing::debug!(%error, "could not release a result lease; it expires by itself");
        }
        fetched
    }

    /// Counts, fetches, stores, decrypts and keeps the proof, under `lease` (also the
    /// reconciler's path); `record` is the transaction's as the caller read it (its key and
    /// sealed summary do not change).
    pub(crate) async fn fetch_under_lease(
        &self,
        durable: &Durable,
        store: &dyn TxStore,
        lease: &Lease,
        tx_id: &TxId,
        record: &TxRecord,
    ) -> Result<SignedDocument, Error> {
        let stored_id = lease.tx_id().clone();
        match store.count_fetch(lease, self.inner.clock.now()).await {
            Ok(_) => {}
            Err(toss_runtime::tx::Error::FetchLimit) => {
                return Err(Error::refused_locally(tx_id, ResultLimit::FetchedTwice));
            }
            Err(toss_runtime::tx::Error::Conflict(
                toss_runtime::tx::ConflictKind::ResultStored,
            )) => {
                let record = store
                    .get_by_tx_id(&stored_id)
                    .await
                    .map_err(store_error(Some(tx_id)))?
                    .ok_or_else(|| Error::Store {
                        tx_id: Some(tx_id.clone()),
                        source: toss_runtime::tx::Error::NotFound,
                    })?;
                return self.serve_stored(durable, store, tx_id, &record).await;
            }
            Err(toss_runtime::tx::Error::StaleLease) => {
                return Err(Error::ResultBusy {
                    tx_id: tx_id.clone(),
                });
            }
            Err(source) => {
                return Err(Error::Store {
                    tx_id: Some(tx_id.clone()),
                    source,
                });
            }
        }
        let session = self.new_session(GetResult::OPERATION)?;
        let request = ResultRequest::new(tx_id.clone(), session.session_key());
        let answer = self
            .inner
            .call_raw::<GetResult>(&request, Some(tx_id))
            .await;
        let (response, body) = match answer {
            Ok(answer) => answer,
            Err(error) => {
                let state = match &error {
                    Error::Expired { .. } => Some(TxState::Expired),
                    Error::ResultLimit { .. } => Some(TxState::Failed),
                    _ => None,
                };
                if let Some(state) = state {
                    record_state(store, &stored_id, state, self.inner.clock.now()).await;
                }
                return Err(error);
            }
        };
        crash::point("after_result_answer").await;
        let sealed = durable.sealer.seal_result(tx_id, &session, &body)?;
        write_with_retry(|| store.store_result(lease, &sealed, self.inner.clock.now()))
            .await
            .map_err(|source| {
                tracing::error!(%source, %tx_id, "a fetched result could not be stored");
                Error::Store {
                    tx_id: Some(tx_id.clone()),
                    source,
                }
            })?;
        crash::point("after_result_stored").await;
        let mut signed = SignedDocument::open(&response, &session)?;
        self.keep_proof(durable, store, &stored_id, record, &mut signed)
            .await?;
        tracing::debug!("result fetched and stored");
        Ok(signed)
    }

    /// A stored result, decrypted with its stored session; its proof is written if a
    /// process stopped before writing it.
    pub(crate) async fn serve_stored(
        &self,
        durable: &Durable,
        store: &dyn TxStore,
        tx_id: &TxId,
        record: &TxRecord,
    ) -> Result<SignedDocument, Error> {
        let sealed = record.result_body.as_deref().ok_or_else(|| Error::Store {
            tx_id: Some(tx_id.clone()),
            source: toss_runtime::tx::Error::NotFound,
        })?;
        let (response, session) = durable.sealer.open_result(tx_id, sealed)?;
        let mut signed = SignedDocument::open(&response, &session)?;
        match &record.proof {
            Some(proof) => {
                signed.evidence = proof.evidence.as_deref().and_then(|json| {
                    toss_evidence::Evidence::from_json(json)
                        .inspect_err(|error| {
                            tracing::warn!(%error, "stored evidence is not an evidence record");
                        })
                        .ok()
                });
            }
            None => {
                let stored_id = store_tx_id(tx_id)?;
                self.keep_proof(durable, store, &stored_id, record, &mut signed)
                    .await?;
            }
        }
        tracing::debug!("result served from the transaction store");
        Ok(signed)
    }

    /// Collects the evidence (unless turned off), verifies with it, and stores the proof
    /// with the evidence (and its outbox entry) in one write; a proof stored meanwhile by
    /// another process is as good. A process killed before the write leaves a result
    /// without a proof, which the reconciler completes the same way.
    async fn keep_proof(
        &self,
        durable: &Durable,
        store: &dyn TxStore,
        stored_id: &toss_runtime::tx::TxId,
        record: &TxRecord,
        signed: &mut SignedDocument,
    ) -> Result<(), Error> {
        if self.inner.evidence.enabled {
            let document = document_info(durable, record, signed);
            // Only an unreadable signedDoc fails here, and its proof is kept all the same,
            // saying so: a record left without a proof would be retried for ever.
            match self.collect_evidence_for(signed, document).await {
                Ok(evidence) => signed.evidence = Some(evidence),
                Err(error) => tracing::warn!(%error, "no evidence collected"),
            }
        }
        crash::point("after_evidence_collected").await;
        let mut proof = self.proof_of(signed);
        if let Some(evidence) = &signed.evidence {
            let json = evidence.to_json().map_err(super::seal::encode_error)?;
            proof = proof.with_evidence(json);
        }
        match write_with_retry(|| store.store_proof(stored_id, &proof, self.inner.clock.now()))
            .await
        {
            Ok(())
            | Err(toss_runtime::tx::Error::Conflict(toss_runtime::tx::ConflictKind::ProofStored)) => {
                Ok(())
            }
            Err(source) => Err(Error::Store {
                tx_id: Some(signed.tx_id.clone()),
                source,
            }),
        }
    }

    /// The readable proof: signedDoc as received, the document's SHA-256, the completion
    /// time and the verification report (without the embedded content and the signer's
    /// name, which the signedDoc holds already). A signedDoc that does not verify is kept all the same,
    /// with the reason in the report.
    fn proof_of(&self, signed: &SignedDocument) -> Proof {
        let report = match self.verify(signed) {
            Ok(report) => match serde_json::to_value(&report) {
                Ok(mut value) => {
                    if let Some(map) = value.as_object_mut() {
                        map.remove("content");
                        map.insert("verified".into(), true.into());
                        // The signer's name is personal data: the signedDoc's certificate
                        // proves it; the readable report need not repeat it.
                        if let Some(signer) = map.get_mut("signer").and_then(|s| s.as_object_mut())
                        {
                            signer.remove("subject");
                            signer.remove("commonName");
                        }
                    }
                    value.to_string()
                }
                Err(e) => {
                    serde_json::json!({"verified": true, "reportError": e.to_string()}).to_string()
                }
            },
            Err(error) => {
                let reason = std::error::Error::source(&error)
                    .map_or_else(|| error.to_string(), ToString::to_string);
                serde_json::json!({"verified": false, "error": reason}).to_string()
            }
        };
        Proof::new(
            signed.signed_doc.base64.clone(),
            format!(
                "sha256:{}",
                hex::encode(Sha256::digest(signed.doc.as_bytes()))
            ),
            signed.completed_at,
            report,
        )
    }

    /// Takes the txId's lease, or waits (bounded) for the process holding it to store a
    /// result, or for its lease to lapse.
    async fn lease_or_wait(
        &self,
        durable: &Durable,
        store: &dyn TxStore,
        stored_id: &toss_runtime::tx::TxId,
        tx_id: &TxId,
    ) -> Result<Leased, Error> {
        let ttl = durable.result_lease_ttl;
        let deadline = tokio::time::Instant::now() + ttl + Duration::from_secs(5);
        loop {
            if let Some(lease) = store
                .acquire_lease(stored_id, &durable.holder, ttl, self.inner.clock.now())
                .await
                .map_err(store_error(Some(tx_id)))?
            {
                return Ok(Leased::Lease(lease));
            }
            if tokio::time::Instant::now() + BUSY_POLL > deadline {
                return Err(Error::ResultBusy {
                    tx_id: tx_id.clone(),
                });
            }
            tokio::time::sleep(BUSY_POLL).await;
            let record = store
                .get_by_tx_id(stored_id)
                .await
                .map_err(store_error(Some(tx_id)))?;
            if let Some(record) = record.filter(|r| r.result_body.is_some()) {
                return Ok(Leased::StoredMeanwhile(Box::new(record)));
            }
        }
    }

    /// A record for a txId requested elsewhere (another tool, before the store existed),
    /// so that its fetches are counted all the same.
    async fn adopt(
        &self,
        store: &dyn TxStore,
        stored_id: &toss_runtime::tx::TxId,
        tx_id: &TxId,
    ) -> Result<TxRecord, Error> {
        let key = IdempotencyKey::new(format!("tx:{}", tx_id.as_str()))
            .map_err(store_error(Some(tx_id)))?;
        let now = self.inner.clock.now();
        store
            .begin_intent(&key, &[], now)
            .await
            .map_err(store_error(Some(tx_id)))?;
        store
            .record_tx_id(&key, stored_id, &[], now)
            .await
            .map_err(store_error(Some(tx_id)))
    }
}

/// What was signed, from `record`'s sealed request summary when it has one (a transaction
/// requested elsewhere and adopted has none).
fn document_info(
    durable: &Durable,
    record: &TxRecord,
    signed: &SignedDocument,
) -> toss_evidence::DocumentInfo {
    let document = toss_evidence::DocumentInfo::new(signed.signature_type.as_str());
    let Some(sealed) = record.summary.as_deref().filter(|s| !s.is_empty()) else {
        return document;
    };
    match durable.sealer.open_summary(&record.idempotency_key, sealed) {
        Ok(summary) => document.described(summary.doc_type, summary.service_name, summary.title),
        Err(error) => {
            tracing::warn!(%error, "the request summary could not be opened for the evidence");
            document
        }
    }
}

enum Leased {
    Lease(Lease),
    StoredMeanwhile(Box<TxRecord>),
}

/// Refuses, without a call, a fetch the provider would refuse for good.
fn refuse_spent(record: &TxRecord, tx_id: &TxId) -> Result<(), Error> {
    let limit = if record.fetch_count >= 2 {
        ResultLimit::FetchedTwice
    } else if matches!(record.state, TxState::Expired) {
        return Err(Error::Expired {
            tx_id: tx_id.clone(),
        });
    } else if matches!(record.state, TxState::Failed) {
        ResultLimit::FetchedTwice
    } else {
        return Ok(());
    };
    Err(Error::refused_locally(tx_id, limit))
}

/// Records a state seen; a store that fails here loses nothing (the next look sees it
/// again), so it is logged, not returned.
pub(crate) async fn record_state(
    store: &dyn TxStore,
    tx_id: &toss_runtime::tx::TxId,
    state: TxState,
    now: time::OffsetDateTime,
) {
    match store.record_status(tx_id, state, now).await {
        Ok(_) => {}
        // A transaction requested without this store (waited on, not fetched): nothing to
        // record it in.
        Err(toss_runtime::tx::Error::NotFound) => {
            tracing::debug!(%state, "status of a transaction the store does not hold");
        }
        Err(error) => {
            tracing::warn!(%error, %state, "could not record a status in the transaction store");
        }
    }
}
