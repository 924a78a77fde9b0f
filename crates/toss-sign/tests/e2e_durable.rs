//! End to end against `toss-emulator` over real HTTP, with a transaction store: idempotent
//! sign requests, results fetched once and served from the store after, statuses recorded,
//! proofs and outbox entries kept, and the reconciler finishing what a process left.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e;

use std::sync::Arc;
use std::time::Duration;

use e2e::*;
use toss_emulator::{EmulatorHandle, UserBehaviour};
use toss_sign::runtime::tx::{IdempotencyKey, TxState, TxStore};
use toss_sign::tx_store::MemoryTxStore;
use toss_sign::{
    Client, DataKey, DataKeyRing, Document, Error, Reconciler, Schedule, SignatureRequest, Trigger,
    TxId,
};

fn data_key() -> DataKeyRing {
    DataKeyRing::new(DataKey::generate_with_provider(crypto()).unwrap())
}

fn durable_client(handle: &EmulatorHandle, store: Arc<dyn TxStore>, keys: &DataKeyRing) -> Client {
    builder_for(handle)
        .store(store)
        .data_key(keys.clone())
        .build()
        .unwrap()
}

fn keyed(key: &str, text: &str) -> SignatureRequest {
    request_builder(personal(), Trigger::Push, Document::text(text).unwrap())
        .idempotency_key(key)
        .build()
        .unwrap()
}

fn sign_requests(handle: &EmulatorHandle) -> u64 {
    handle.transactions().clients[0].sign_requests
}

fn results_served(handle: &EmulatorHandle, tx: &TxId) -> u32 {
    handle
        .transactions()
        .transactions
        .iter()
        .find(|t| t.tx_id == tx.as_str())
        .map(|t| t.results_served)
        .unwrap()
}

async fn record(store: &dyn TxStore, tx: &TxId) -> toss_sign::runtime::tx::TxRecord {
    store
        .get_by_tx_id(&toss_sign::runtime::tx::TxId::new(tx.as_str()).unwrap())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_never_sends_twice_and_another_request_under_it_is_refused() {
    let handle = start(emulator_builder().user_behaviour(UserBehaviour::Manual)).await;
    let store: Arc<dyn TxStore> = Arc::new(MemoryTxStore::new());
    let keys = data_key();
    let client = durable_client(&handle, store.clone(), &keys);

    let first = client
        .request_signature(&keyed("order-1", "동의서"))
        .await
        .unwrap();
    let again = client
        .request_signature(&keyed("order-1", "동의서"))
        .await
        .unwrap();
    assert_eq!(
        first, again,
        "the stored answer, app links and time included"
    );
    // A fresh client over the same store (another process) finds it too.
    let other = durable_client(&handle, store.clone(), &keys);
    let third = other
        .request_signature(&keyed("order-1", "동의서"))
        .await
        .unwrap();
    assert_eq!(third.tx_id, first.tx_id);
    assert_eq!(sign_requests(&handle), 1);

    let error = client
        .request_signature(&keyed("order-1", "다른 문서"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::IdempotencyKeyReused { .. }),
        "{error:?}"
    );
    assert_eq!(sign_requests(&handle), 1);

    let stored = record(store.as_ref(), &first.tx_id).await;
    assert_eq!(stored.state, TxState::Requested);
    assert_eq!(stored.idempotency_key.as_str(), "order-1");
    // What the store keeps of the request is sealed: no plaintext of it anywhere.
    for sealed in [
        stored.summary.as_ref().unwrap(),
        stored.answer.as_ref().unwrap(),
    ] {
        let text = String::from_utf8_lossy(sealed);
        assert!(text.starts_with("dk1$"), "{text}");
        for plain in ["동의서", NAME, "01012345678", "토스증권"] {
            assert!(!text.contains(plain));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_is_fetched_once_and_then_served_from_the_store() {
    let handle = start(emulator_builder()).await;
    let store: Arc<dyn TxStore> = Arc::new(MemoryTxStore::new());
    let keys = data_key();
    let client = durable_client(&handle, store.clone(), &keys);
    let mut seen = Vec::new();
    let signed = client
        .sign_and_wait(&keyed("order-2", "출금 동의"), &poll(), |s| {
            seen.push(s.clone())
        })
        .await
        .unwrap();
    assert_eq!(results_served(&handle, &signed.tx_id), 1);

    let stored = record(store.as_ref(), &signed.tx_id).await;
    assert_eq!(stored.state, TxState::ResultStored);
    assert_eq!(stored.fetch_count, 1);
    let states: Vec<_> = stored.events.iter().map(|e| e.state).collect();
    assert_eq!(states.first(), Some(&TxState::Intent));
    assert!(states.contains(&TxState::Requested));
    assert!(states.contains(&TxState::Completed), "{states:?}");
    assert_eq!(states.last(), Some(&TxState::ResultStored));
    let proof = stored.proof.clone().unwrap();
    assert_eq!(proof.signed_doc, signed.signed_doc.base64);
    assert!(proof.document_hash.starts_with("sha256:"));
    let report: serde_json::Value = serde_json::from_str(&proof.verification_report).unwrap();
    assert_eq!(report["verified"], true);
    assert!(
        report.get("content").is_none(),
        "the document is kept as its hash"
    );
    assert!(
        report["signer"].get("subject").is_none(),
        "no name in the readable report"
    );
    assert!(report["signer"]["serialNumber"].is_string(), "{report}");
    assert!(!proof.verification_report.contains(NAME));
    let body = String::from_utf8_lossy(stored.result_body.as_ref().unwrap()).into_owned();
    assert!(body.starts_with("dk1$") && !body.contains(&signed.signed_doc.base64));

    // The process goes away; a new one reads the proof from the store, no provider call.
    drop(client);
    let fresh = durable_client(&handle, store.clone(), &keys);
    let again = fresh.result(&signed.tx_id).await.unwrap();
    assert_eq!(again.signed_doc, signed.signed_doc);
    assert_eq!(again.doc, signed.doc);
    assert_eq!(
        again.person.as_ref().map(|p| p.name.to_string()),
        Some(NAME.to_owned())
    );
    assert_eq!(results_served(&handle, &signed.tx_id), 1);
    assert_eq!(handle.stats().results, 1);
    // A retried handler running the whole flow again: nothing reaches the provider.
    let before = handle.stats();
    let mut seen_again = Vec::new();
    let retried = fresh
        .sign_and_wait(&keyed("order-2", "출금 동의"), &poll(), |s| {
            seen_again.push(s.clone())
        })
        .await
        .unwrap();
    assert_eq!(retried.signed_doc, signed.signed_doc);
    assert_eq!(seen_again, [toss_sign::SignStatus::Completed]);
    let after = handle.stats();
    assert_eq!(
        (after.sign_requests, after.status_calls, after.results),
        (before.sign_requests, before.status_calls, before.results)
    );

    // The completion reached the outbox, once, until acknowledged.
    let now = time::OffsetDateTime::now_utc();
    let entries = store
        .outbox_claim("app", Duration::from_secs(30), 10, now)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].tx_id.as_str(), signed.tx_id.as_str());
    assert_eq!(store.outbox_ack(&[entries[0].id]).await.unwrap(), 1);

    // Another data key opens nothing: the sealed copy is bound to the application's key.
    let stranger = durable_client(&handle, store.clone(), &data_key());
    let error = stranger.result(&signed.tx_id).await.unwrap_err();
    assert!(error.is_crypto(), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_counted_but_not_stored_leaves_exactly_one_more() {
    let handle = start(emulator_builder()).await;
    let store: Arc<dyn TxStore> = Arc::new(MemoryTxStore::new());
    let keys = data_key();
    let client = durable_client(&handle, store.clone(), &keys);
    let tx = client
        .request_signature(&keyed("order-3", "동의"))
        .await
        .unwrap()
        .tx_id;
    wait_completed(&client, &tx).await;
    // A process counted a fetch and died before storing what came back.
    let stored_id = toss_sign::runtime::tx::TxId::new(tx.as_str()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let lease = store
        .acquire_lease(&stored_id, "dead", Duration::from_secs(1), now)
        .await
        .unwrap()
        .unwrap();
    store.count_fetch(&lease, now).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let signed = client.result(&tx).await.unwrap();
    assert_eq!(record(store.as_ref(), &tx).await.fetch_count, 2);
    let again = client.result(&tx).await.unwrap();
    assert_eq!(again.signed_doc, signed.signed_doc);
    assert_eq!(
        results_served(&handle, &tx),
        1,
        "the dead fetch never reached it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_racing_for_one_result_make_one_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tx.db");
    let handle = start(emulator_builder()).await;
    let keys = data_key();
    let open = || async {
        let store: Arc<dyn TxStore> = Arc::new(
            toss_sign::tx_store::SqliteTxStore::open(path.to_str().unwrap())
                .await
                .unwrap(),
        );
        durable_client(&handle, store, &keys)
    };
    let first = open().await;
    let tx = first
        .request_signature(&keyed("order-4", "경합"))
        .await
        .unwrap()
        .tx_id;
    wait_completed(&first, &tx).await;
    let mut clients = vec![first];
    for _ in 0..3 {
        clients.push(open().await);
    }
    let fetches = clients.iter().map(|c| {
        let tx = tx.clone();
        let c = c.clone();
        tokio::spawn(async move { c.result(&tx).await })
    });
    let results = futures_join(fetches).await;
    let docs: Vec<_> = results.into_iter().map(|r| r.unwrap().signed_doc).collect();
    assert!(docs.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(results_served(&handle, &tx), 1);
}

async fn futures_join<T: Send + 'static>(
    tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_mistakes_are_refused_before_anything_is_sent() {
    let handle = start(emulator_builder()).await;
    let error = builder_for(&handle)
        .store(Arc::new(MemoryTxStore::new()))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("TOSS_CERT_DATA_KEY"), "{error}");
    let plain = client(&handle);
    let error = plain
        .request_signature(&keyed("order-5", "x"))
        .await
        .unwrap_err();
    assert!(error.is_config(), "{error:?}");
    assert!(
        SignatureRequest::builder()
            .signer(personal())
            .document(Document::text("x").unwrap())
            .idempotency_key("has space")
            .build()
            .is_err()
    );
    assert_eq!(sign_requests(&handle), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_finishes_what_a_process_left() {
    let handle = start(emulator_builder().user_behaviour(UserBehaviour::Manual)).await;
    let store: Arc<dyn TxStore> = Arc::new(MemoryTxStore::new());
    let keys = data_key();
    let client = durable_client(&handle, store.clone(), &keys);
    let signed_tx = client
        .request_signature(&keyed("r-1", "서명할 문서"))
        .await
        .unwrap()
        .tx_id;
    let expired_tx = client
        .request_signature(&keyed("r-2", "만료될 문서"))
        .await
        .unwrap()
        .tx_id;
    let waiting_tx = client
        .request_signature(&keyed("r-3", "대기 문서"))
        .await
        .unwrap()
        .tx_id;
    // A process stopped after storing its intent, maybe after sending.
    let now = time::OffsetDateTime::now_utc();
    let dead_key = IdempotencyKey::new("r-4").unwrap();
    store.begin_intent(&dead_key, b"sealed", now).await.unwrap();
    handle.complete(signed_tx.as_str()).unwrap();
    handle.expire(expired_tx.as_str()).unwrap();
    drop(client);

    let reconciler = Reconciler::builder(durable_client(&handle, store.clone(), &keys))
        .schedule(Schedule::polling().first_poll_delay(Duration::ZERO))
        .intent_grace(Duration::ZERO)
        .build()
        .unwrap();
    let pass = reconciler.run_until_idle().await.unwrap();
    assert_eq!(pass.fetched, 1, "{pass:?}");
    assert_eq!(pass.expired, 1, "{pass:?}");
    assert_eq!(pass.deferred, 1, "{pass:?}");
    assert_eq!(pass.outcome_unknown, 1, "{pass:?}");
    assert_eq!(pass.status_calls, 3, "{pass:?}");

    let signed = record(store.as_ref(), &signed_tx).await;
    assert_eq!(signed.state, TxState::ResultStored);
    assert!(signed.proof.is_some());
    assert_eq!(
        record(store.as_ref(), &expired_tx).await.state,
        TxState::Expired
    );
    let waiting = record(store.as_ref(), &waiting_tx).await;
    assert_eq!(waiting.state, TxState::Requested);
    assert!(waiting.next_check_at.is_some());
    assert_eq!(
        store.get_by_key(&dead_key).await.unwrap().unwrap().state,
        TxState::OutcomeUnknown
    );
    // Its key is never sent again.
    let retry = durable_client(&handle, store.clone(), &keys);
    // (Its summary here is not a sealed one, so the call fails on reading it.)
    let error = retry.request_signature(&keyed("r-4", "서명할 문서")).await;
    assert!(error.is_err(), "{error:?}");
    assert_eq!(sign_requests(&handle), 3);

    // The user of the waiting one comes back: notify makes it due at once.
    handle.complete(waiting_tx.as_str()).unwrap();
    assert_eq!(reconciler.run_once().await.unwrap().claimed, 0, "deferred");
    assert!(reconciler.notify_returned(&waiting_tx).await.unwrap());
    let pass = reconciler.run_once().await.unwrap();
    assert_eq!(
        (pass.claimed, pass.fetched, pass.status_calls),
        (1, 1, 1),
        "{pass:?}"
    );
    assert!(record(store.as_ref(), &waiting_tx).await.proof.is_some());
    assert!(
        !reconciler.notify_returned(&waiting_tx).await.unwrap(),
        "finished"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciler_without_a_store_is_refused() {
    let handle = start(emulator_builder()).await;
    assert!(
        Reconciler::builder(client(&handle))
            .build()
            .unwrap_err()
            .is_config()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_reconciler_fetches_as_soon_as_the_user_is_back() {
    let handle = start(emulator_builder().user_behaviour(UserBehaviour::Manual)).await;
    let store: Arc<dyn TxStore> = Arc::new(MemoryTxStore::new());
    let keys = data_key();
    let client = durable_client(&handle, store.clone(), &keys);
    // Fallback looks an hour away: only the notification can make it look now.
    let reconciler = Reconciler::builder(client.clone())
        .schedule(Schedule::with_notify().first_poll_delay(Duration::from_secs(3600)))
        .idle_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let passes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let running = {
        let reconciler = reconciler.clone();
        let passes = passes.clone();
        tokio::spawn(async move {
            reconciler
                .run_with(stopped, |pass| passes.lock().unwrap().push(pass.clone()))
                .await
        })
    };
    let tx = client
        .request_signature(&keyed("run-1", "돌아온 사용자"))
        .await
        .unwrap()
        .tx_id;
    handle.complete(tx.as_str()).unwrap();
    assert!(reconciler.notify_returned(&tx).await.unwrap());

    let deadline = tokio::time::Instant::now() + WAIT_TIMEOUT;
    while record(store.as_ref(), &tx).await.proof.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no proof in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    let mut total = toss_sign::Pass::default();
    for pass in passes.lock().unwrap().iter() {
        total += pass;
    }
    // One look for the deferral at request time costs no call; the notified one costs one.
    assert_eq!((total.fetched, total.status_calls), (1, 1), "{total:?}");
    assert_eq!(handle.stats().status_calls, 1);
    assert_eq!(results_served(&handle, &tx), 1);
}
