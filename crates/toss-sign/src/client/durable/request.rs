//! An idempotent sign request: the intent is stored before sending, the txId right after.

use std::time::Duration;
use toss_model::esign::RequestSign;

use toss_model::TxId;
use toss_runtime::tx::{Begin, IdempotencyKey, TxRecord, TxState};

use super::{Durable, requested_at, store_error, write_with_retry};
use crate::client::Client;
use crate::crash;
use crate::error::Error;
use crate::request::{SignatureRequest, SignatureRequested};

impl Client {
    /// [`request_signature`](Client::request_signature) with a store.
    pub(in crate::client) async fn request_durably(
        &self,
        durable: &Durable,
        request: &SignatureRequest,
    ) -> Result<SignatureRequested, Error> {
        let store = durable.store.get().await?;
        let key = match request.idempotency_key_value() {
            Some(key) => key.clone(),
            None => generated_key()?,
        };
        let summary = request.summary();
        let sealed = durable.sealer.seal_summary(&key, &summary)?;
        let now = self.inner.clock.now();
        let record = match store
            .begin_intent(&key, &sealed, now)
            .await
            .map_err(store_error(None))?
        {
            Begin::New(record) => record,
            Begin::Existing(record) => {
                return self.existing(durable, &key, &summary, record).await;
            }
        };
        debug_assert_eq!(record.state, TxState::Intent);
        crash::point("after_intent").await;

        // Validation and encryption errors leave before anything is sent: the key is free
        // again.
        let sent = match self.prepare_sign_request(request) {
            Ok(wire) => {
                self.inner
                    .call_raw::<RequestSign>(wire.as_wire(), None)
                    .await
            }
            Err(error) => Err(error),
        };
        let (response, body) = match sent {
            Ok(answer) => answer,
            Err(error) if never_created(&error) => {
                if let Err(store_error) = store.abandon_intent(&key, self.inner.clock.now()).await {
                    tracing::warn!(%store_error, "could not free the idempotency key of a refused sign request");
                }
                return Err(error);
            }
            Err(error) => {
                let marked =
                    write_with_retry(|| store.mark_outcome_unknown(&key, self.inner.clock.now()))
                        .await;
                if let Err(store_error) = marked {
                    tracing::error!(%store_error, idempotency_key = %key, "could not mark a sign request of unknown outcome");
                }
                return Err(Error::OutcomeUnknown {
                    idempotency_key: key.as_str().to_owned(),
                    source: Some(Box::new(error)),
                });
            }
        };
        crash::point("after_sign_answer").await;

        let tx_id = response.tx_id().clone();
        let stored_tx_id = super::store_tx_id(&tx_id)?;
        let answer = durable.sealer.seal_answer(&key, &body)?;
        write_with_retry(|| store.record_tx_id(&key, &stored_tx_id, &answer, self.inner.clock.now()))
            .await
            .map_err(|source| {
                // The provider made the transaction: the caller must at least learn its id.
                tracing::error!(%source, %tx_id, idempotency_key = %key, "the txId could not be stored");
                Error::Store {
                    tx_id: Some(tx_id.clone()),
                    source,
                }
            })?;
        crash::point("after_tx_id").await;
        Ok(SignatureRequested::from(response))
    }

    /// What a request under a key stored before returns: its transaction, never a new send.
    async fn existing(
        &self,
        durable: &Durable,
        key: &IdempotencyKey,
        summary: &crate::request::RequestSummary,
        record: TxRecord,
    ) -> Result<SignatureRequested, Error> {
        if let Some(stored) = &record.summary {
            let stored = durable.sealer.open_summary(key, stored)?;
            if stored.fingerprint != summary.fingerprint {
                return Err(Error::IdempotencyKeyReused {
                    idempotency_key: key.as_str().to_owned(),
                });
            }
        }
        if let Some(tx_id) = &record.tx_id {
            if let Some(answer) = &record.answer {
                return Ok(SignatureRequested::from(
                    durable.sealer.open_answer(key, answer)?,
                ));
            }
            // Purged, or adopted without an answer: the txId and its time are what is left.
            return Ok(SignatureRequested::stored(
                TxId::new(tx_id.as_str()),
                requested_at(&record),
            ));
        }
        let key_text = key.as_str().to_owned();
        match record.state {
            TxState::Intent if self.inner.clock.now() - record.created_at < self.send_window() => {
                Err(Error::RequestInFlight {
                    idempotency_key: key_text,
                })
            }
            // An intent older than any send can take: its sender stopped, maybe after the
            // request left.
            TxState::Intent => {
                let store = durable.store.get().await?;
                store
                    .mark_outcome_unknown(key, self.inner.clock.now())
                    .await
                    .map_err(store_error(None))?;
                Err(Error::OutcomeUnknown {
                    idempotency_key: key_text,
                    source: None,
                })
            }
            _ => Err(Error::OutcomeUnknown {
                idempotency_key: key_text,
                source: None,
            }),
        }
    }

    /// The longest a sign request can be in flight: its timeout, retries of a connection
    /// that never opened, and the token fetch before it.
    pub(crate) fn send_window(&self) -> time::Duration {
        let bound = self.inner.transport.request_timeout() * 3 + Duration::from_secs(30);
        time::Duration::try_from(bound).unwrap_or(time::Duration::MINUTE)
    }
}

/// Whether a failed send certainly created no transaction: nothing left the process, or
/// the provider answered and refused.
fn never_created(error: &Error) -> bool {
    match error {
        Error::Provider { .. } | Error::Auth { .. } | Error::Validation(_) | Error::Config(_) => {
            true
        }
        Error::Http { status, .. } => (400..500).contains(status),
        other => !other.may_have_been_sent(),
    }
}

/// A key for a request that came without one: every request is written ahead, retried or
/// not.
fn generated_key() -> Result<IdempotencyKey, Error> {
    use std::hash::{BuildHasher as _, Hasher as _};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // A per-process random seed (std's hasher keys) keeps two machines' keys apart.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        time::OffsetDateTime::now_utc()
            .unix_timestamp_nanos()
            .unsigned_abs(),
    );
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    hasher.write_u64(n);
    let text = format!(
        "auto-{:x}-{:016x}-{n:x}",
        std::process::id(),
        hasher.finish()
    );
    IdempotencyKey::new(text).map_err(|source| Error::Store {
        tx_id: None,
        source,
    })
}
