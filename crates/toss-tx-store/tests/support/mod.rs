//! One conformance suite for every backend, and the child-process helper of the
//! durability tests.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::future::Future;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use time::macros::datetime;
use toss_runtime::tx::{
    Begin, ConflictKind, Error, IdempotencyKey, InvalidKind, ListFilter, Proof, TxId, TxState,
    TxStore,
};

/// A database several store instances (pools, as in several processes) can open.
pub trait Backend: Send + Sync + 'static {
    type Store: TxStore + Clone + 'static;
    /// A new instance on the same database.
    fn open(&self) -> impl Future<Output = Self::Store> + Send;
}

/// Generates one `#[tokio::test]` per case of the suite, for the backend `$make()`
/// returns (an async fn).
#[macro_export]
macro_rules! conformance {
    ($make:path) => {
        $crate::conformance!(@cases $make;
            begin_intent_contract,
            begin_intent_concurrent_one_new,
            record_tx_id_contract,
            abandon_intent_contract,
            abandon_intent_races_record_tx_id,
            outcome_unknown_contract,
            record_status_forward_only,
            lease_exclusive_and_expiring,
            lease_concurrent_one_holder,
            fetch_count_limit_and_stale_lease,
            fetch_count_concurrent_never_above_two,
            store_result_contract,
            store_proof_and_outbox,
            store_proof_keeps_evidence,
            outbox_at_least_once,
            claim_unfinished_contract,
            claim_unfinished_disjoint,
            claim_unfinished_repairs_missing_proof,
            defer_and_claim_schedule,
            wake_contract,
            claim_unfinished_orders_by_next_check,
            list_filter_and_order,
            list_many_keeps_order_and_events,
            list_created_before,
            purge_keeps_proof,
            purge_keeps_evidence,
            purge_keeps_result_without_proof,
            invalid_arguments,
        );
    };
    (@cases $make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let backend = $make().await;
                tokio::time::timeout(
                    std::time::Duration::from_secs(120),
                    support::$case(&backend),
                )
                .await
                .expect("the case finished within 120 s");
            }
        )*
    };
}

pub const T0: OffsetDateTime = datetime!(2026-12-01 10:00:00 UTC);
pub const TTL: Duration = Duration::from_secs(30);

pub fn at(seconds: i64) -> OffsetDateTime {
    T0 + time::Duration::seconds(seconds)
}

pub fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(s).unwrap()
}

pub fn txid(s: &str) -> TxId {
    TxId::new(s).unwrap()
}

pub fn proof(n: u32) -> Proof {
    Proof::new(
        format!("MIIsignedDoc{n}=="),
        format!("hash-{n}"),
        at(100),
        format!(r#"{{"valid":true,"n":{n}}}"#),
    )
}

/// An evidence record as the layer above writes it: JSON text, large (a CRL) and not only
/// ASCII; the store keeps it as it is.
pub fn evidence(n: u32) -> String {
    format!(
        r#"{{"n":{n},"certificateCheck":{{"status":"good","issuer":"한국정보인증"}},"crl":"{}","timestampToken":"MIIRLwYJKoZIhvcNAQcCoII="}}"#,
        "MIIBkDCB+gIBATANBgkqhkiG9w0BAQsFADA".repeat(2_000)
    )
}

/// [`proof`] with [`evidence`].
pub fn proof_with_evidence(n: u32) -> Proof {
    proof(n).with_evidence(evidence(n))
}

/// A record in `Requested` with a txId.
pub async fn requested<S: TxStore + ?Sized>(store: &S, name: &str, now: OffsetDateTime) -> TxId {
    let k = key(&format!("key-{name}"));
    let t = txid(&format!("tx-{name}"));
    store.begin_intent(&k, b"sealed", now).await.unwrap();
    store.record_tx_id(&k, &t, ANSWER, now).await.unwrap();
    t
}

/// The answer [`requested`] records.
pub const ANSWER: &[u8] = b"sealed answer";

pub async fn begin_intent_contract<B: Backend>(b: &B) {
    let s = b.open().await;
    let k = key("order-1");
    let first = s.begin_intent(&k, b"summary one", at(0)).await.unwrap();
    let Begin::New(rec) = first else {
        panic!("first begin is new")
    };
    assert_eq!(rec.idempotency_key, k);
    assert_eq!(rec.tx_id, None);
    assert_eq!(rec.state, TxState::Intent);
    assert_eq!(rec.summary.as_deref(), Some(&b"summary one"[..]));
    assert_eq!(rec.fetch_count, 0);
    assert_eq!(rec.created_at, at(0));
    assert_eq!(rec.updated_at, at(0));
    assert_eq!(rec.events.len(), 1);
    assert_eq!(rec.events[0].state, TxState::Intent);
    assert_eq!(rec.events[0].at, at(0));
    assert!(rec.result_body.is_none() && rec.proof.is_none() && rec.lease.is_none());

    let again = s.begin_intent(&k, b"another summary", at(5)).await.unwrap();
    let Begin::Existing(existing) = again else {
        panic!("same key again is existing")
    };
    assert_eq!(existing, rec, "the stored record, unchanged");
    assert_eq!(s.get_by_key(&k).await.unwrap(), Some(rec.clone()));
    assert_eq!(s.get_by_key(&key("other")).await.unwrap(), None);

    // Another instance (another process) sees it too.
    let other = b.open().await;
    assert!(!other.begin_intent(&k, b"x", at(6)).await.unwrap().is_new());
    assert!(
        other
            .begin_intent(&key("order-2"), b"x", at(6))
            .await
            .unwrap()
            .is_new()
    );

    // Sub-microsecond parts are dropped, the same in every backend.
    let t = at(7) + time::Duration::nanoseconds(1_234_567);
    let r = s
        .begin_intent(&key("order-3"), b"", t)
        .await
        .unwrap()
        .into_record();
    assert_eq!(r.created_at, at(7) + time::Duration::microseconds(1_234));
    assert_eq!(r.summary.as_deref(), Some(&b""[..]));
}

pub async fn begin_intent_concurrent_one_new<B: Backend>(b: &B) {
    let stores = [b.open().await, b.open().await];
    let mut tasks = Vec::new();
    for i in 0..24 {
        let s = stores[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            s.begin_intent(&key("racing"), format!("summary {i}").as_bytes(), at(0))
                .await
                .unwrap()
        }));
    }
    let mut news = 0;
    let mut summaries = HashSet::new();
    for t in tasks {
        let begin = t.await.unwrap();
        news += usize::from(begin.is_new());
        summaries.insert(begin.into_record().summary);
    }
    assert_eq!(news, 1, "exactly one caller stored the intent");
    assert_eq!(summaries.len(), 1, "everyone got the one stored record");
}

pub async fn record_tx_id_contract<B: Backend>(b: &B) {
    let s = b.open().await;
    let k = key("k");
    let t = txid("tx-1");
    assert!(matches!(
        s.record_tx_id(&k, &t, b"a", at(1)).await,
        Err(Error::NotFound)
    ));
    let intent = s.begin_intent(&k, b"s", at(0)).await.unwrap().into_record();
    assert_eq!(intent.answer, None);
    let rec = s.record_tx_id(&k, &t, b"answer one", at(1)).await.unwrap();
    assert_eq!(rec.tx_id, Some(t.clone()));
    assert_eq!(rec.answer.as_deref(), Some(&b"answer one"[..]));
    assert_eq!(rec.state, TxState::Requested);
    assert_eq!(rec.updated_at, at(1));
    assert_eq!(rec.next_check_at, None);
    // Sealed bytes: their length only.
    let debug = format!("{rec:?}");
    assert!(!debug.contains("answer one"), "{debug}");
    assert!(debug.contains("answer_len: Some(10)"), "{debug}");
    let states: Vec<_> = rec.events.iter().map(|e| (e.state, e.at)).collect();
    assert_eq!(
        states,
        [(TxState::Intent, at(0)), (TxState::Requested, at(1))]
    );
    // The same txId again: nothing changes, the first answer is kept.
    assert_eq!(
        s.record_tx_id(&k, &t, b"answer two", at(2)).await.unwrap(),
        rec
    );
    assert_eq!(
        b.open()
            .await
            .get_by_key(&k)
            .await
            .unwrap()
            .unwrap()
            .answer
            .as_deref(),
        Some(&b"answer one"[..])
    );
    assert_eq!(s.get_by_tx_id(&t).await.unwrap(), Some(rec.clone()));
    assert_eq!(s.get_by_tx_id(&txid("nope")).await.unwrap(), None);
    // Another txId for the same key.
    assert!(matches!(
        s.record_tx_id(&k, &txid("tx-2"), b"a", at(2)).await,
        Err(Error::Conflict(ConflictKind::OtherTxId))
    ));
    // The same txId for another key.
    let k2 = key("k2");
    s.begin_intent(&k2, b"s", at(0)).await.unwrap();
    assert!(matches!(
        s.record_tx_id(&k2, &t, b"a", at(2)).await,
        Err(Error::Conflict(ConflictKind::TxIdTaken))
    ));
    let rec2 = s.get_by_key(&k2).await.unwrap().unwrap();
    assert_eq!(rec2.tx_id, None);
    assert_eq!(rec2.answer, None, "a refused txId leaves no answer");
}

pub async fn abandon_intent_contract<B: Backend>(b: &B) {
    let s = b.open().await;
    let k = key("k");
    assert!(!s.abandon_intent(&k, at(0)).await.unwrap(), "no record");
    s.begin_intent(&k, b"first", at(0)).await.unwrap();
    // Another instance (another process) abandons it.
    let other = b.open().await;
    assert!(other.abandon_intent(&k, at(1)).await.unwrap());
    assert_eq!(s.get_by_key(&k).await.unwrap(), None);
    assert!(s.list(&ListFilter::new()).await.unwrap().is_empty());
    assert!(!s.abandon_intent(&k, at(2)).await.unwrap(), "already gone");
    // The key is free again: a new intent, with only its own event.
    let Begin::New(rec) = s.begin_intent(&k, b"second", at(3)).await.unwrap() else {
        panic!("the abandoned key starts anew")
    };
    assert_eq!(rec.summary.as_deref(), Some(&b"second"[..]));
    assert_eq!(rec.created_at, at(3));
    assert_eq!(rec.events.len(), 1);
    assert_eq!(
        s.get_by_key(&k).await.unwrap().unwrap().events,
        rec.events,
        "the abandoned intent's events went with it"
    );
    // Any other state stays as it is.
    let t = requested(&s, "sent", at(0)).await;
    let sent = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert!(!s.abandon_intent(&key("key-sent"), at(4)).await.unwrap());
    assert_eq!(s.get_by_tx_id(&t).await.unwrap(), Some(sent));
    let u = key("unknown");
    s.begin_intent(&u, b"s", at(0)).await.unwrap();
    let unknown = s.mark_outcome_unknown(&u, at(1)).await.unwrap();
    assert!(!s.abandon_intent(&u, at(4)).await.unwrap());
    assert_eq!(s.get_by_key(&u).await.unwrap(), Some(unknown));
    // Others' records are untouched by an abandon.
    assert_eq!(s.list(&ListFilter::new()).await.unwrap().len(), 3);
}

/// Each key is abandoned while a txId (or an unknown outcome) is recorded for it from
/// another instance: exactly one of the two wins, and the store agrees with it.
pub async fn abandon_intent_races_record_tx_id<B: Backend>(b: &B) {
    let stores = [b.open().await, b.open().await];
    for n in 0..12 {
        let k = key(&format!("race-{n}"));
        stores[0].begin_intent(&k, b"s", at(0)).await.unwrap();
        let (abandoner, recorder) = (stores[n % 2].clone(), stores[(n + 1) % 2].clone());
        let ka = k.clone();
        let abandon = tokio::spawn(async move { abandoner.abandon_intent(&ka, at(1)).await });
        let kr = k.clone();
        let t = txid(&format!("tx-race-{n}"));
        let tr = t.clone();
        let unknown = n % 3 == 0;
        let record = tokio::spawn(async move {
            if unknown {
                recorder
                    .mark_outcome_unknown(&kr, at(1))
                    .await
                    .map(|r| r.state)
            } else {
                recorder
                    .record_tx_id(&kr, &tr, ANSWER, at(1))
                    .await
                    .map(|r| r.state)
            }
        });
        let abandoned = abandon.await.unwrap().unwrap();
        let recorded = record.await.unwrap();
        let stored = stores[0].get_by_key(&k).await.unwrap();
        if abandoned {
            assert!(
                matches!(recorded, Err(Error::NotFound)),
                "abandoned, yet recorded: {recorded:?}"
            );
            assert_eq!(stored, None);
            assert_eq!(stores[1].get_by_tx_id(&t).await.unwrap(), None);
        } else {
            let state = recorded.unwrap();
            let want = if unknown {
                TxState::OutcomeUnknown
            } else {
                TxState::Requested
            };
            assert_eq!(state, want);
            assert_eq!(stored.unwrap().state, want);
        }
    }
}

pub async fn outcome_unknown_contract<B: Backend>(b: &B) {
    let s = b.open().await;
    let k = key("k");
    assert!(matches!(
        s.mark_outcome_unknown(&k, at(0)).await,
        Err(Error::NotFound)
    ));
    s.begin_intent(&k, b"s", at(0)).await.unwrap();
    let rec = s.mark_outcome_unknown(&k, at(1)).await.unwrap();
    assert_eq!(rec.state, TxState::OutcomeUnknown);
    assert_eq!(rec.events.len(), 2);
    // Again: unchanged, no second event.
    assert_eq!(s.mark_outcome_unknown(&k, at(2)).await.unwrap(), rec);
    // The same key finds it, so the caller never resends.
    assert_eq!(
        s.begin_intent(&k, b"s", at(3)).await.unwrap(),
        Begin::Existing(rec)
    );
    // The txId may still turn up (a status query found it).
    let rec = s
        .record_tx_id(&k, &txid("late"), b"late answer", at(4))
        .await
        .unwrap();
    assert_eq!(rec.state, TxState::Requested);
    assert_eq!(rec.answer.as_deref(), Some(&b"late answer"[..]));
    // Once a txId is known, the outcome is known.
    let rec2 = s.mark_outcome_unknown(&k, at(5)).await.unwrap();
    assert_eq!(rec2, rec);
}

pub async fn record_status_forward_only<B: Backend>(b: &B) {
    let s = b.open().await;
    assert!(matches!(
        s.record_status(&txid("nope"), TxState::Completed, at(0))
            .await,
        Err(Error::NotFound)
    ));
    let t = requested(&s, "a", at(0)).await;
    assert!(
        !s.record_status(&t, TxState::Requested, at(1))
            .await
            .unwrap()
    );
    assert!(
        s.record_status(&t, TxState::InProgress, at(2))
            .await
            .unwrap()
    );
    assert!(
        s.record_status(&t, TxState::Completed, at(3))
            .await
            .unwrap()
    );
    // Late, backwards.
    assert!(
        !s.record_status(&t, TxState::Requested, at(4))
            .await
            .unwrap()
    );
    assert!(
        !s.record_status(&t, TxState::InProgress, at(4))
            .await
            .unwrap()
    );
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.state, TxState::Completed);
    let states: Vec<_> = rec.events.iter().map(|e| (e.state, e.at)).collect();
    assert_eq!(
        states,
        [
            (TxState::Intent, at(0)),
            (TxState::Requested, at(0)),
            (TxState::InProgress, at(2)),
            (TxState::Completed, at(3)),
        ]
    );
    assert_eq!(rec.updated_at, at(3));
    // The result window lapsed; nothing leaves a final state.
    assert!(s.record_status(&t, TxState::Expired, at(5)).await.unwrap());
    assert!(!s.record_status(&t, TxState::Failed, at(6)).await.unwrap());
    assert!(
        !s.record_status(&t, TxState::ResultStored, at(6))
            .await
            .unwrap()
    );
    assert_eq!(
        s.get_by_tx_id(&t).await.unwrap().unwrap().state,
        TxState::Expired
    );
    // Straight from Requested to Expired.
    let t2 = requested(&s, "b", at(0)).await;
    assert!(s.record_status(&t2, TxState::Expired, at(1)).await.unwrap());
}

pub async fn lease_exclusive_and_expiring<B: Backend>(b: &B) {
    let s = b.open().await;
    assert!(matches!(
        s.acquire_lease(&txid("nope"), "w1", TTL, at(0)).await,
        Err(Error::NotFound)
    ));
    let t = requested(&s, "a", at(0)).await;
    let l1 = s
        .acquire_lease(&t, "w1", TTL, at(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(l1.tx_id(), &t);
    assert_eq!(l1.holder(), "w1");
    assert_eq!(l1.expires_at(), at(30));
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.lease.as_ref(), Some(&l1));
    // Held: nobody else, not even the same holder, until it lapses.
    assert_eq!(s.acquire_lease(&t, "w2", TTL, at(1)).await.unwrap(), None);
    assert_eq!(s.acquire_lease(&t, "w1", TTL, at(29)).await.unwrap(), None);
    let other = b.open().await;
    assert_eq!(
        other.acquire_lease(&t, "w3", TTL, at(29)).await.unwrap(),
        None
    );
    // Lapsed at exactly its expiry.
    let l2 = other
        .acquire_lease(&t, "w2", TTL, at(30))
        .await
        .unwrap()
        .unwrap();
    assert!(l2.token() > l1.token(), "fencing tokens grow");
    assert!(matches!(
        s.count_fetch(&l1, at(31)).await,
        Err(Error::StaleLease)
    ));
    // Releasing a lease no longer held changes nothing.
    s.release_lease(&l1).await.unwrap();
    assert_eq!(s.acquire_lease(&t, "w1", TTL, at(31)).await.unwrap(), None);
    // Releasing the lease in force frees the txId at once.
    other.release_lease(&l2).await.unwrap();
    assert_eq!(s.get_by_tx_id(&t).await.unwrap().unwrap().lease, None);
    assert!(matches!(
        other.count_fetch(&l2, at(32)).await,
        Err(Error::StaleLease)
    ));
    let l3 = s
        .acquire_lease(&t, "w1", TTL, at(32))
        .await
        .unwrap()
        .unwrap();
    assert!(l3.token() > l2.token());
    assert_eq!(s.count_fetch(&l3, at(33)).await.unwrap(), 1);
    // A lease used after its expiry is stale even when nobody took over.
    assert!(matches!(
        s.count_fetch(&l3, at(62)).await,
        Err(Error::StaleLease)
    ));
}

pub async fn lease_concurrent_one_holder<B: Backend>(b: &B) {
    let stores = [b.open().await, b.open().await];
    let t = requested(&stores[0], "a", at(0)).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let s = stores[i % 2].clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            s.acquire_lease(&t, &format!("w{i}"), TTL, at(1))
                .await
                .unwrap()
        }));
    }
    let mut held = 0;
    for task in tasks {
        held += usize::from(task.await.unwrap().is_some());
    }
    assert_eq!(held, 1);
}

pub async fn fetch_count_limit_and_stale_lease<B: Backend>(b: &B) {
    let s = b.open().await;
    let t = requested(&s, "a", at(0)).await;
    let l = s.acquire_lease(&t, "w", TTL, at(0)).await.unwrap().unwrap();
    assert_eq!(s.count_fetch(&l, at(1)).await.unwrap(), 1);
    assert_eq!(s.count_fetch(&l, at(2)).await.unwrap(), 2);
    assert!(matches!(
        s.count_fetch(&l, at(3)).await,
        Err(Error::FetchLimit)
    ));
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.fetch_count, 2);
    // The count survives leases: a new holder is refused too.
    s.release_lease(&l).await.unwrap();
    let l2 = s
        .acquire_lease(&t, "w2", TTL, at(4))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        s.count_fetch(&l2, at(5)).await,
        Err(Error::FetchLimit)
    ));
    // A stale lease says so first.
    assert!(matches!(
        s.count_fetch(&l, at(5)).await,
        Err(Error::StaleLease)
    ));
}

pub async fn fetch_count_concurrent_never_above_two<B: Backend>(b: &B) {
    let stores = [b.open().await, b.open().await, b.open().await];
    let t = requested(&stores[0], "a", at(0)).await;
    // Each acquisition happens a ttl after the previous one, so every lease can be
    // taken over at once: holders race with stale and fresh fencing tokens.
    let tick = Arc::new(AtomicU64::new(1));
    let mut tasks = Vec::new();
    for i in 0..18 {
        let s = stores[i % 3].clone();
        let t = t.clone();
        let tick = tick.clone();
        tasks.push(tokio::spawn(async move {
            let mut counted = 0u32;
            for _ in 0..6 {
                let k = tick.fetch_add(1, Ordering::SeqCst);
                let now = at(i64::try_from(k).unwrap() * 31);
                let Some(lease) = s
                    .acquire_lease(&t, &format!("w{i}"), TTL, now)
                    .await
                    .unwrap()
                else {
                    continue;
                };
                match s.count_fetch(&lease, now).await {
                    Ok(n) => {
                        assert!(n == 1 || n == 2);
                        counted += 1;
                    }
                    Err(Error::FetchLimit | Error::StaleLease) => {}
                    Err(e) => panic!("unexpected error: {e}"),
                }
            }
            counted
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert!(total <= 2, "{total} fetches were counted");
    // Whatever the race left, at most two are ever counted.
    let now = at(1_000_000);
    let lease = stores[1]
        .acquire_lease(&t, "last", TTL, now)
        .await
        .unwrap()
        .unwrap();
    loop {
        match stores[1].count_fetch(&lease, now).await {
            Ok(_) => total += 1,
            Err(Error::FetchLimit) => break,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(total, 2, "exactly two fetches were counted");
    let rec = stores[2].get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.fetch_count, 2);
}

pub async fn store_result_contract<B: Backend>(b: &B) {
    let s = b.open().await;
    let t = requested(&s, "a", at(0)).await;
    s.record_status(&t, TxState::Completed, at(1))
        .await
        .unwrap();
    let l = s.acquire_lease(&t, "w", TTL, at(2)).await.unwrap().unwrap();
    assert_eq!(s.count_fetch(&l, at(2)).await.unwrap(), 1);
    let body: Vec<u8> = (0..=255).collect();
    s.store_result(&l, &body, at(3)).await.unwrap();
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.result_body.as_deref(), Some(&body[..]));
    assert_eq!(rec.state, TxState::ResultStored);
    assert_eq!(
        rec.events.last().map(|e| (e.state, e.at)),
        Some((TxState::ResultStored, at(3)))
    );
    assert!(matches!(
        s.store_result(&l, b"again", at(4)).await,
        Err(Error::Conflict(ConflictKind::ResultStored))
    ));
    // With the body stored, the second fetch the provider allows is not spent.
    assert!(matches!(
        s.count_fetch(&l, at(4)).await,
        Err(Error::Conflict(ConflictKind::ResultStored))
    ));
    assert_eq!(s.get_by_tx_id(&t).await.unwrap().unwrap().fetch_count, 1);
    // A fetch that outlasted the ttl still stores its body when nobody took over.
    let t2 = requested(&s, "b", at(0)).await;
    let l2 = s
        .acquire_lease(&t2, "w", TTL, at(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.count_fetch(&l2, at(1)).await.unwrap(), 1);
    s.store_result(&l2, b"slow", at(45)).await.unwrap();
    assert_eq!(
        s.get_by_tx_id(&t2)
            .await
            .unwrap()
            .unwrap()
            .result_body
            .as_deref(),
        Some(&b"slow"[..])
    );
    // A lapsed lease that someone else has taken since is fenced off.
    let t3 = requested(&s, "c", at(0)).await;
    let l3 = s
        .acquire_lease(&t3, "w", TTL, at(0))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        s.count_fetch(&l3, at(30)).await,
        Err(Error::StaleLease)
    ));
    let taker = s
        .acquire_lease(&t3, "w2", TTL, at(31))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        s.store_result(&l3, b"late", at(32)).await,
        Err(Error::StaleLease)
    ));
    assert_eq!(
        s.get_by_tx_id(&t3).await.unwrap().unwrap().result_body,
        None
    );
    s.store_result(&taker, b"taker", at(33)).await.unwrap();
}

pub async fn store_proof_and_outbox<B: Backend>(b: &B) {
    let s = b.open().await;
    assert!(matches!(
        s.store_proof(&txid("nope"), &proof(0), at(0)).await,
        Err(Error::NotFound)
    ));
    let t = requested(&s, "a", at(0)).await;
    assert!(
        s.outbox_claim("app", TTL, 10, at(0))
            .await
            .unwrap()
            .is_empty()
    );
    s.store_proof(&t, &proof(1), at(5)).await.unwrap();
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.proof, Some(proof(1)));
    assert_eq!(rec.updated_at, at(5));
    assert!(matches!(
        s.store_proof(&t, &proof(2), at(6)).await,
        Err(Error::Conflict(ConflictKind::ProofStored))
    ));
    let entries = s.outbox_claim("app", TTL, 10, at(6)).await.unwrap();
    assert_eq!(
        entries.len(),
        1,
        "one entry per proof, none for the refused one"
    );
    assert_eq!(entries[0].tx_id, t);
    assert_eq!(entries[0].idempotency_key, key("key-a"));
    assert_eq!(entries[0].created_at, at(5));
    assert_eq!(entries[0].claims, 1);
    assert_eq!(s.outbox_ack(&[entries[0].id]).await.unwrap(), 1);
    assert_eq!(s.outbox_ack(&[entries[0].id, 999_999]).await.unwrap(), 0);
    assert!(
        s.outbox_claim("app", TTL, 10, at(100))
            .await
            .unwrap()
            .is_empty()
    );
}

/// The evidence is stored by the same `store_proof` call as its proof and read back as it
/// was, by every read; a proof without evidence reads back without.
pub async fn store_proof_keeps_evidence<B: Backend>(b: &B) {
    let s = b.open().await;
    let with = requested(&s, "with", at(0)).await;
    let without = requested(&s, "without", at(0)).await;
    let empty = requested(&s, "empty", at(0)).await;
    assert_eq!(proof(1).evidence, None);
    s.store_proof(&with, &proof_with_evidence(1), at(5))
        .await
        .unwrap();
    s.store_proof(&without, &proof(2), at(5)).await.unwrap();
    s.store_proof(&empty, &proof(3).with_evidence(""), at(5))
        .await
        .unwrap();
    // Another instance (another process) reads them.
    let other = b.open().await;
    let rec = other.get_by_tx_id(&with).await.unwrap().unwrap();
    assert_eq!(rec.proof, Some(proof_with_evidence(1)));
    assert_eq!(
        rec.proof.as_ref().and_then(|p| p.evidence.as_deref()),
        Some(evidence(1).as_str())
    );
    assert_eq!(
        other.get_by_key(&key("key-with")).await.unwrap(),
        Some(rec.clone())
    );
    // The evidence is long and readable, but `Debug` shows its length only.
    let debug = format!("{rec:?}");
    assert!(!debug.contains("certificateCheck"), "{debug}");
    assert!(
        debug.contains(&format!("evidence_len: Some({})", evidence(1).len())),
        "{debug}"
    );
    let rec = other.get_by_tx_id(&without).await.unwrap().unwrap();
    assert_eq!(rec.proof, Some(proof(2)));
    assert_eq!(rec.proof.and_then(|p| p.evidence), None);
    let rec = other.get_by_tx_id(&empty).await.unwrap().unwrap();
    assert_eq!(
        rec.proof.and_then(|p| p.evidence).as_deref(),
        Some(""),
        "empty evidence is not none"
    );
    // A list loads it the same.
    let listed = other.list(&ListFilter::new()).await.unwrap();
    let listed = listed
        .iter()
        .find(|r| r.tx_id.as_ref() == Some(&with))
        .unwrap();
    assert_eq!(listed.proof, Some(proof_with_evidence(1)));
    // A second proof is refused, its evidence with it.
    assert!(matches!(
        s.store_proof(&without, &proof_with_evidence(4), at(6))
            .await,
        Err(Error::Conflict(ConflictKind::ProofStored))
    ));
    assert_eq!(
        s.get_by_tx_id(&without).await.unwrap().unwrap().proof,
        Some(proof(2))
    );
}

pub async fn outbox_at_least_once<B: Backend>(b: &B) {
    let s = b.open().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let t = requested(&s, &format!("r{n}"), at(0)).await;
        s.store_proof(&t, &proof(n), at(i64::from(n)))
            .await
            .unwrap();
        ids.push(t);
    }
    let other = b.open().await;
    let first = s.outbox_claim("a", TTL, 3, at(10)).await.unwrap();
    assert_eq!(first.len(), 3);
    let firsts: Vec<_> = first.iter().map(|e| e.tx_id.clone()).collect();
    assert_eq!(firsts, ids[..3], "oldest first");
    let second = other.outbox_claim("b", TTL, 10, at(11)).await.unwrap();
    assert_eq!(
        second.len(),
        2,
        "claimed entries are not handed out again within ttl"
    );
    assert!(
        other
            .outbox_claim("b", TTL, 10, at(12))
            .await
            .unwrap()
            .is_empty()
    );
    // `a` acknowledges one and dies with the other two; `b` acknowledges both of its own.
    assert_eq!(s.outbox_ack(&[first[0].id]).await.unwrap(), 1);
    let ack: Vec<u64> = second.iter().map(|e| e.id).collect();
    assert_eq!(other.outbox_ack(&ack).await.unwrap(), 2);
    assert!(
        other
            .outbox_claim("b", TTL, 10, at(39))
            .await
            .unwrap()
            .is_empty()
    );
    let again = other.outbox_claim("b", TTL, 10, at(40)).await.unwrap();
    let agains: Vec<_> = again.iter().map(|e| e.tx_id.clone()).collect();
    assert_eq!(
        agains,
        ids[1..3],
        "claimed but never acknowledged: delivered again"
    );
    assert!(again.iter().all(|e| e.claims == 2));
    let ack: Vec<u64> = again.iter().map(|e| e.id).collect();
    assert_eq!(other.outbox_ack(&ack).await.unwrap(), 2);
    assert!(
        s.outbox_claim("a", TTL, 10, at(1000))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn claim_unfinished_contract<B: Backend>(b: &B) {
    let s = b.open().await;
    // Not claimed: an intent, an outcome unknown, final states.
    s.begin_intent(&key("intent"), b"s", at(0)).await.unwrap();
    s.begin_intent(&key("unknown"), b"s", at(0)).await.unwrap();
    s.mark_outcome_unknown(&key("unknown"), at(0))
        .await
        .unwrap();
    let expired = requested(&s, "expired", at(0)).await;
    s.record_status(&expired, TxState::Expired, at(1))
        .await
        .unwrap();
    let failed = requested(&s, "failed", at(0)).await;
    s.record_status(&failed, TxState::Failed, at(1))
        .await
        .unwrap();
    let stored = requested(&s, "stored", at(0)).await;
    let l = s
        .acquire_lease(&stored, "w", TTL, at(1))
        .await
        .unwrap()
        .unwrap();
    s.store_result(&l, b"r", at(1)).await.unwrap();
    s.release_lease(&l).await.unwrap();
    s.store_proof(&stored, &proof(1), at(1)).await.unwrap();
    // Claimed: requested, in progress, completed (without a result), oldest change first.
    let c = requested(&s, "completed", at(2)).await;
    s.record_status(&c, TxState::Completed, at(3))
        .await
        .unwrap();
    let p = requested(&s, "progress", at(2)).await;
    s.record_status(&p, TxState::InProgress, at(2))
        .await
        .unwrap();
    let r = requested(&s, "requested", at(1)).await;
    // One whose lease is held is left alone until it lapses.
    let leased = requested(&s, "leased", at(0)).await;
    let held = s
        .acquire_lease(&leased, "other", TTL, at(4))
        .await
        .unwrap()
        .unwrap();

    let claimed = s
        .claim_unfinished("reconciler", TTL, 10, at(5))
        .await
        .unwrap();
    let got: Vec<_> = claimed.iter().map(|r| r.tx_id.clone().unwrap()).collect();
    assert_eq!(got, [r.clone(), p.clone(), c.clone()]);
    for rec in &claimed {
        let lease = rec.lease.as_ref().expect("claimed with a lease");
        assert_eq!(lease.holder(), "reconciler");
        assert_eq!(lease.expires_at(), at(35));
    }
    // The claim's lease is a lease: it counts a fetch and keeps others out.
    let lease = claimed[2].lease.clone().unwrap();
    assert_eq!(s.count_fetch(&lease, at(6)).await.unwrap(), 1);
    assert_eq!(s.acquire_lease(&c, "w", TTL, at(6)).await.unwrap(), None);
    assert!(
        s.claim_unfinished("again", TTL, 10, at(6))
            .await
            .unwrap()
            .is_empty()
    );
    // After the leases lapse everything unfinished comes back, `leased` too.
    let later = s.claim_unfinished("again", TTL, 10, at(40)).await.unwrap();
    let mut got: Vec<_> = later.iter().map(|r| r.tx_id.clone().unwrap()).collect();
    got.sort();
    let leased_tx = leased.clone();
    let mut want = vec![c, p, r, leased];
    want.sort();
    assert_eq!(got, want);
    let retaken = later
        .iter()
        .find(|r| r.tx_id.as_ref() == Some(&leased_tx))
        .unwrap();
    assert!(retaken.lease.as_ref().unwrap().token() > held.token());
    // The limit.
    assert_eq!(
        s.claim_unfinished("x", TTL, 2, at(80)).await.unwrap().len(),
        2
    );
    assert_eq!(
        s.claim_unfinished("y", TTL, 0, at(80)).await.unwrap().len(),
        0
    );
}

/// A process that stopped between `store_result` and `store_proof` leaves a record the
/// reconciler must still finish.
pub async fn claim_unfinished_repairs_missing_proof<B: Backend>(b: &B) {
    let s = b.open().await;
    let done = requested(&s, "done", at(0)).await;
    let l = s
        .acquire_lease(&done, "w", TTL, at(1))
        .await
        .unwrap()
        .unwrap();
    s.store_result(&l, b"r1", at(1)).await.unwrap();
    s.store_proof(&done, &proof(1), at(1)).await.unwrap();
    s.release_lease(&l).await.unwrap();
    let crashed = requested(&s, "crashed", at(0)).await;
    let dead = s
        .acquire_lease(&crashed, "dead", TTL, at(2))
        .await
        .unwrap()
        .unwrap();
    s.store_result(&dead, b"r2", at(2)).await.unwrap();
    // The crashed holder's lease is still in force: nobody else may finish yet.
    assert!(
        s.claim_unfinished("reconciler", TTL, 10, at(3))
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = s
        .claim_unfinished("reconciler", TTL, 10, at(40))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "only the record without a proof");
    let rec = &claimed[0];
    assert_eq!(rec.tx_id.as_ref(), Some(&crashed));
    assert_eq!(rec.state, TxState::ResultStored);
    assert_eq!(rec.result_body.as_deref(), Some(&b"r2"[..]));
    assert_eq!(rec.proof, None);
    let lease = rec.lease.as_ref().unwrap();
    assert_eq!(lease.holder(), "reconciler");
    assert!(lease.token() > dead.token());
    // Once the proof is stored it is finished and no longer claimed.
    s.store_proof(&crashed, &proof(2), at(41)).await.unwrap();
    assert!(
        s.claim_unfinished("again", TTL, 10, at(100))
            .await
            .unwrap()
            .is_empty()
    );
}

/// `defer` hands a claimed record back until a time; `claim_unfinished` leaves it alone
/// until then, and claiming keeps the schedule.
pub async fn defer_and_claim_schedule<B: Backend>(b: &B) {
    let s = b.open().await;
    assert!(matches!(
        s.defer(
            &s.acquire_lease(&requested(&s, "x", at(0)).await, "w", TTL, at(0))
                .await
                .unwrap()
                .unwrap(),
            at(10),
            at(0)
        )
        .await,
        Ok(())
    ));
    let t = requested(&s, "a", at(0)).await;
    let claimed = s.claim_unfinished("r", TTL, 10, at(20)).await.unwrap();
    let got: Vec<_> = claimed.iter().map(|r| r.tx_id.clone().unwrap()).collect();
    assert_eq!(
        got,
        [t.clone(), txid("tx-x")],
        "x came due at 10, a changed at 0"
    );
    let x_rec = &claimed[1];
    assert_eq!(
        x_rec.next_check_at,
        Some(at(10)),
        "claiming keeps the schedule"
    );
    let lease = claimed[0].lease.clone().unwrap();
    // Deferred by another instance: released, and scheduled.
    let other = b.open().await;
    other.defer(&lease, at(100), at(21)).await.unwrap();
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.lease, None, "the lease was given back");
    assert_eq!(rec.next_check_at, Some(at(100)));
    assert_eq!(rec.state, TxState::Requested);
    assert_eq!(rec.updated_at, at(0));
    // Deferring twice with the same lease: it is no longer the current one.
    assert!(matches!(
        s.defer(&lease, at(200), at(22)).await,
        Err(Error::StaleLease)
    ));
    assert_eq!(
        s.get_by_tx_id(&t).await.unwrap().unwrap().next_check_at,
        Some(at(100))
    );
    // Not due yet, although no lease is held: a direct lease is still possible.
    let x_lease = x_rec.lease.clone().unwrap();
    s.release_lease(&x_lease).await.unwrap();
    let early = s.claim_unfinished("r", TTL, 10, at(99)).await.unwrap();
    let got: Vec<_> = early.iter().map(|r| r.tx_id.clone().unwrap()).collect();
    assert_eq!(got, [txid("tx-x")], "a is not due before 100");
    // Status changes keep the schedule.
    assert!(
        s.record_status(&t, TxState::InProgress, at(99))
            .await
            .unwrap()
    );
    assert_eq!(
        s.get_by_tx_id(&t).await.unwrap().unwrap().next_check_at,
        Some(at(100))
    );
    // Due at exactly its time.
    let due = s.claim_unfinished("r2", TTL, 10, at(100)).await.unwrap();
    let got: Vec<_> = due.iter().map(|r| r.tx_id.clone().unwrap()).collect();
    assert_eq!(got, std::slice::from_ref(&t));
    assert_eq!(due[0].next_check_at, Some(at(100)));
    // An expired lease that nobody replaced may still defer.
    let l2 = due[0].lease.clone().unwrap();
    s.defer(&l2, at(500), at(400)).await.unwrap();
    assert_eq!(
        s.get_by_tx_id(&t).await.unwrap().unwrap().next_check_at,
        Some(at(500))
    );
    // A lease taken over since is stale, and changes nothing.
    let l3 = s
        .acquire_lease(&t, "w3", TTL, at(501))
        .await
        .unwrap()
        .unwrap();
    let l4 = s
        .acquire_lease(&t, "w4", TTL, at(600))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        s.defer(&l3, at(900), at(601)).await,
        Err(Error::StaleLease)
    ));
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.lease.as_ref(), Some(&l4), "the new lease is kept");
    assert_eq!(rec.next_check_at, Some(at(500)));
    // A released lease no longer defers either.
    s.release_lease(&l4).await.unwrap();
    assert!(matches!(
        s.defer(&l4, at(900), at(602)).await,
        Err(Error::StaleLease)
    ));
    // Sub-microsecond parts are dropped, as for every time.
    let l5 = s
        .acquire_lease(&t, "w5", TTL, at(603))
        .await
        .unwrap()
        .unwrap();
    s.defer(&l5, at(700) + time::Duration::nanoseconds(1_500), at(603))
        .await
        .unwrap();
    assert_eq!(
        s.get_by_tx_id(&t).await.unwrap().unwrap().next_check_at,
        Some(at(700) + time::Duration::microseconds(1))
    );
}

pub async fn wake_contract<B: Backend>(b: &B) {
    let s = b.open().await;
    assert!(!s.wake(&txid("nope"), at(0)).await.unwrap());
    // Not claimable: an intent has no txId; final records.
    s.begin_intent(&key("intent"), b"s", at(0)).await.unwrap();
    let expired = requested(&s, "expired", at(0)).await;
    s.record_status(&expired, TxState::Expired, at(1))
        .await
        .unwrap();
    assert!(!s.wake(&expired, at(2)).await.unwrap());
    assert_eq!(
        s.get_by_tx_id(&expired)
            .await
            .unwrap()
            .unwrap()
            .next_check_at,
        None
    );
    let proven = requested(&s, "proven", at(0)).await;
    let l = s
        .acquire_lease(&proven, "w", TTL, at(1))
        .await
        .unwrap()
        .unwrap();
    s.store_result(&l, b"r", at(1)).await.unwrap();
    // A result without its proof is still to be finished.
    assert!(s.wake(&proven, at(2)).await.unwrap());
    s.store_proof(&proven, &proof(1), at(3)).await.unwrap();
    s.release_lease(&l).await.unwrap();
    assert!(!s.wake(&proven, at(4)).await.unwrap());

    // Unset: set to now.
    let t = requested(&s, "a", at(0)).await;
    assert!(s.wake(&t, at(5)).await.unwrap());
    assert_eq!(
        s.get_by_tx_id(&t).await.unwrap().unwrap().next_check_at,
        Some(at(5))
    );
    // Earlier than now: kept.
    assert!(s.wake(&t, at(6)).await.unwrap());
    assert_eq!(
        s.get_by_tx_id(&t).await.unwrap().unwrap().next_check_at,
        Some(at(5))
    );
    // Deferred far, woken early by another instance: claimable at once.
    let claimed = s.claim_unfinished("r", TTL, 10, at(7)).await.unwrap();
    let mine = claimed
        .iter()
        .find(|r| r.tx_id.as_ref() == Some(&t))
        .unwrap();
    s.defer(mine.lease.as_ref().unwrap(), at(1000), at(8))
        .await
        .unwrap();
    assert!(
        s.claim_unfinished("r", TTL, 10, at(60))
            .await
            .unwrap()
            .iter()
            .all(|r| r.tx_id.as_ref() != Some(&t))
    );
    let other = b.open().await;
    assert!(other.wake(&t, at(61)).await.unwrap());
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.next_check_at, Some(at(61)));
    assert_eq!(rec.lease, None);
    let woken = s.claim_unfinished("r", TTL, 10, at(61)).await.unwrap();
    let got: Vec<_> = woken.iter().map(|r| r.tx_id.clone().unwrap()).collect();
    assert_eq!(got, std::slice::from_ref(&t));
    // A lease in force is not touched: claimed only once it lapses.
    let held = woken[0].lease.clone().unwrap();
    s.defer(&held, at(1000), at(62)).await.unwrap();
    let direct = s
        .acquire_lease(&t, "w", TTL, at(62))
        .await
        .unwrap()
        .unwrap();
    assert!(s.wake(&t, at(63)).await.unwrap());
    let rec = s.get_by_tx_id(&t).await.unwrap().unwrap();
    assert_eq!(rec.lease.as_ref(), Some(&direct));
    assert_eq!(rec.next_check_at, Some(at(63)));
    assert!(
        s.claim_unfinished("r", TTL, 10, at(64))
            .await
            .unwrap()
            .is_empty()
    );
    let after = s.claim_unfinished("r", TTL, 10, at(92)).await.unwrap();
    assert_eq!(after.len(), 1);
    assert!(after[0].lease.as_ref().unwrap().token() > direct.token());
}

/// Due records come by `COALESCE(next_check_at, updated_at)`, then by age of the row.
pub async fn claim_unfinished_orders_by_next_check<B: Backend>(b: &B) {
    let s = b.open().await;
    let a = requested(&s, "a", at(10)).await;
    let b2 = requested(&s, "b", at(20)).await;
    let c = requested(&s, "c", at(30)).await;
    let d = requested(&s, "d", at(30)).await;
    // a deferred past the others, b woken... later than it changed.
    let la = s
        .acquire_lease(&a, "w", TTL, at(31))
        .await
        .unwrap()
        .unwrap();
    s.defer(&la, at(40), at(31)).await.unwrap();
    assert!(s.wake(&b2, at(35)).await.unwrap());
    let claimed = s.claim_unfinished("r", TTL, 10, at(50)).await.unwrap();
    let got: Vec<_> = claimed.iter().map(|r| r.tx_id.clone().unwrap()).collect();
    // c and d tie at 30: the older row first.
    assert_eq!(got, [c, d, b2, a]);
    let limited = s.claim_unfinished("r", TTL, 1, at(100)).await.unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].tx_id, Some(txid("tx-c")));
}

pub async fn claim_unfinished_disjoint<B: Backend>(b: &B) {
    let setup = b.open().await;
    let mut all = HashSet::new();
    for n in 0..40 {
        all.insert(requested(&setup, &format!("r{n:02}"), at(0)).await);
    }
    let stores = [b.open().await, b.open().await];
    let mut tasks = Vec::new();
    for (i, s) in stores.iter().enumerate() {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = s
                    .claim_unfinished(&format!("c{i}"), TTL, 3, at(1))
                    .await
                    .unwrap();
                if got.is_empty() {
                    break mine;
                }
                // Under concurrency too: a claim never returns more than its limit.
                assert!(got.len() <= 3, "claimed {} with a limit of 3", got.len());
                mine.extend(got.into_iter().map(|r| r.tx_id.unwrap()));
                tokio::task::yield_now().await;
            }
        }));
    }
    let a: Vec<TxId> = tasks.remove(0).await.unwrap();
    let b2: Vec<TxId> = tasks.remove(0).await.unwrap();
    let sa: HashSet<_> = a.iter().cloned().collect();
    let sb: HashSet<_> = b2.iter().cloned().collect();
    assert_eq!(sa.len(), a.len(), "no claimer got a record twice");
    assert_eq!(sb.len(), b2.len());
    assert!(
        sa.is_disjoint(&sb),
        "the claimers shared the work disjointly"
    );
    let union: HashSet<_> = sa.union(&sb).cloned().collect();
    assert_eq!(union, all, "every unfinished record was claimed");
}

/// More records than one statement loads: order and events survive the chunks.
pub async fn list_many_keeps_order_and_events<B: Backend>(b: &B) {
    let s = b.open().await;
    const N: usize = 1_100;
    for i in 0..N {
        let name = format!("many-{i:04}");
        if i.is_multiple_of(3) {
            let tx = requested(&s, &name, at(1)).await;
            s.record_status(&tx, TxState::InProgress, at(2))
                .await
                .unwrap();
        } else {
            s.begin_intent(&key(&name), b"s", at(0)).await.unwrap();
        }
    }
    let all = s
        .list(&ListFilter::new().limit(u32::try_from(N).unwrap()))
        .await
        .unwrap();
    assert_eq!(all.len(), N);
    for (n, record) in all.iter().enumerate() {
        let i = N - 1 - n;
        assert!(
            record
                .idempotency_key
                .as_str()
                .ends_with(&format!("many-{i:04}"))
        );
        let expected = if i.is_multiple_of(3) { 3 } else { 1 };
        assert_eq!(record.events.len(), expected, "record {i}");
    }
}

pub async fn list_filter_and_order<B: Backend>(b: &B) {
    let s = b.open().await;
    assert!(s.list(&ListFilter::new()).await.unwrap().is_empty());
    s.begin_intent(&key("k1"), b"s", at(0)).await.unwrap();
    let t2 = requested(&s, "k2", at(1)).await;
    let t3 = requested(&s, "k3", at(2)).await;
    s.record_status(&t3, TxState::Completed, at(3))
        .await
        .unwrap();
    let all = s.list(&ListFilter::new()).await.unwrap();
    let keys: Vec<_> = all
        .iter()
        .map(|r| r.idempotency_key.as_str().to_owned())
        .collect();
    assert_eq!(keys, ["key-k3", "key-k2", "k1"], "newest first");
    assert_eq!(all[0].events.len(), 3, "records come with their events");
    let two = s.list(&ListFilter::new().limit(2)).await.unwrap();
    assert_eq!(two.len(), 2);
    let req = s
        .list(&ListFilter::new().state(TxState::Requested))
        .await
        .unwrap();
    assert_eq!(req.len(), 1);
    assert_eq!(req[0].tx_id, Some(t2));
    let both = s
        .list(
            &ListFilter::new()
                .state(TxState::Requested)
                .state(TxState::Completed),
        )
        .await
        .unwrap();
    assert_eq!(both.len(), 2);
    assert!(
        s.list(&ListFilter::new().state(TxState::Failed))
            .await
            .unwrap()
            .is_empty()
    );
}

/// A reconciler lists intents older than a grace period.
pub async fn list_created_before<B: Backend>(b: &B) {
    let s = b.open().await;
    s.begin_intent(&key("old"), b"s", at(0)).await.unwrap();
    s.begin_intent(&key("edge"), b"s", at(10)).await.unwrap();
    s.begin_intent(&key("young"), b"s", at(20)).await.unwrap();
    requested(&s, "sent", at(0)).await;
    let keys = |records: Vec<toss_runtime::tx::TxRecord>| -> Vec<String> {
        records
            .iter()
            .map(|r| r.idempotency_key.as_str().to_owned())
            .collect()
    };
    let filter = ListFilter::new()
        .state(TxState::Intent)
        .created_before(at(10));
    assert_eq!(filter.created_before_value(), Some(at(10)));
    assert_eq!(
        keys(s.list(&filter).await.unwrap()),
        ["old"],
        "strictly before"
    );
    assert_eq!(
        keys(
            s.list(&ListFilter::new().created_before(at(11)))
                .await
                .unwrap()
        ),
        ["key-sent", "edge", "old"]
    );
    assert_eq!(
        keys(
            s.list(&ListFilter::new().created_before(at(11)).limit(1))
                .await
                .unwrap()
        ),
        ["key-sent"]
    );
    // A sub-microsecond bound counts as its microsecond, as a stored time does.
    let just_after = at(10) + time::Duration::nanoseconds(500);
    assert_eq!(
        keys(
            s.list(
                &ListFilter::new()
                    .created_before(just_after)
                    .state(TxState::Intent)
            )
            .await
            .unwrap()
        ),
        ["old"]
    );
    assert!(
        s.list(&ListFilter::new().created_before(at(0)))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn purge_keeps_proof<B: Backend>(b: &B) {
    let s = b.open().await;
    let day = 86_400;
    let old = requested(&s, "old", at(0)).await;
    let l = s
        .acquire_lease(&old, "w", TTL, at(1))
        .await
        .unwrap()
        .unwrap();
    s.store_result(&l, b"sealed result", at(1)).await.unwrap();
    s.store_proof(&old, &proof(1), at(2)).await.unwrap();
    let young = requested(&s, "young", at(6 * day)).await;
    let now = at(10 * day);
    let n = s
        .purge_personal_data(Duration::from_secs(5 * 86_400), now)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let rec = s.get_by_tx_id(&old).await.unwrap().unwrap();
    assert_eq!(rec.summary, None);
    assert_eq!(rec.answer, None, "the answer goes with the summary");
    assert_eq!(rec.result_body, None);
    assert_eq!(rec.purged_at, Some(now));
    assert_eq!(rec.proof, Some(proof(1)), "the proof is kept");
    assert_eq!(rec.tx_id, Some(old.clone()));
    assert_eq!(rec.state, TxState::ResultStored);
    assert_eq!(rec.events.len(), 3);
    let y = s.get_by_tx_id(&young).await.unwrap().unwrap();
    assert_eq!(y.summary.as_deref(), Some(&b"sealed"[..]));
    assert_eq!(y.answer.as_deref(), Some(ANSWER));
    assert_eq!(y.purged_at, None);
    assert_eq!(
        s.purge_personal_data(Duration::from_secs(5 * 86_400), now)
            .await
            .unwrap(),
        0,
        "nothing left to erase"
    );
    // The purged key still finds its transaction.
    assert!(
        !s.begin_intent(&key("key-old"), b"x", now)
            .await
            .unwrap()
            .is_new()
    );
}

/// The evidence is kept with the proof, forever: a purge erases the personal data only.
pub async fn purge_keeps_evidence<B: Backend>(b: &B) {
    let s = b.open().await;
    let day = 86_400;
    let with = requested(&s, "with", at(0)).await;
    let without = requested(&s, "without", at(0)).await;
    for (t, p) in [(&with, proof_with_evidence(1)), (&without, proof(2))] {
        let l = s.acquire_lease(t, "w", TTL, at(1)).await.unwrap().unwrap();
        s.store_result(&l, b"sealed result", at(1)).await.unwrap();
        s.store_proof(t, &p, at(2)).await.unwrap();
    }
    let now = at(10 * day);
    let older = Duration::from_secs(5 * 86_400);
    assert_eq!(s.purge_personal_data(older, now).await.unwrap(), 2);
    let rec = b.open().await.get_by_tx_id(&with).await.unwrap().unwrap();
    assert_eq!(rec.purged_at, Some(now));
    assert_eq!(
        (rec.summary, rec.answer, rec.result_body),
        (None, None, None)
    );
    assert_eq!(
        rec.proof,
        Some(proof_with_evidence(1)),
        "the proof and its evidence are kept"
    );
    let rec = s.get_by_tx_id(&without).await.unwrap().unwrap();
    assert_eq!(rec.purged_at, Some(now));
    assert_eq!(rec.proof, Some(proof(2)));
    // Nothing left to erase: the evidence is not personal data to purge.
    assert_eq!(s.purge_personal_data(older, at(20 * day)).await.unwrap(), 0);
    assert_eq!(
        s.get_by_tx_id(&with).await.unwrap().unwrap().proof,
        Some(proof_with_evidence(1))
    );
}

/// Only settled records lose their data: a body whose proof is still to be made, or an
/// unfinished record, keeps everything; an expired one is purged.
pub async fn purge_keeps_result_without_proof<B: Backend>(b: &B) {
    let s = b.open().await;
    let day = 86_400;
    let unproven = requested(&s, "unproven", at(0)).await;
    let l = s
        .acquire_lease(&unproven, "w", TTL, at(1))
        .await
        .unwrap()
        .unwrap();
    s.store_result(&l, b"sealed result", at(1)).await.unwrap();
    let open = requested(&s, "open", at(0)).await;
    let expired = requested(&s, "expired", at(0)).await;
    s.record_status(&expired, TxState::Expired, at(1))
        .await
        .unwrap();
    let now = at(10 * day);
    let older = Duration::from_secs(5 * 86_400);
    assert_eq!(s.purge_personal_data(older, now).await.unwrap(), 1);
    let rec = s.get_by_tx_id(&unproven).await.unwrap().unwrap();
    assert_eq!(rec.result_body.as_deref(), Some(&b"sealed result"[..]));
    assert_eq!(rec.summary.as_deref(), Some(&b"sealed"[..]));
    assert_eq!(rec.answer.as_deref(), Some(ANSWER));
    assert_eq!(rec.purged_at, None);
    let rec = s.get_by_tx_id(&open).await.unwrap().unwrap();
    assert_eq!(rec.summary.as_deref(), Some(&b"sealed"[..]));
    assert_eq!(rec.purged_at, None);
    let rec = s.get_by_tx_id(&expired).await.unwrap().unwrap();
    assert_eq!(rec.summary, None);
    assert_eq!(rec.answer, None);
    assert_eq!(rec.purged_at, Some(now));
    // Once the proof is stored the body goes too, and a purged record is not touched
    // again (its purge time stays).
    s.store_proof(&unproven, &proof(1), at(10 * day))
        .await
        .unwrap();
    let later = at(11 * day);
    assert_eq!(s.purge_personal_data(older, later).await.unwrap(), 1);
    let rec = s.get_by_tx_id(&unproven).await.unwrap().unwrap();
    assert_eq!(rec.result_body, None);
    assert_eq!(rec.summary, None);
    assert_eq!(rec.proof, Some(proof(1)));
    assert_eq!(rec.purged_at, Some(later));
    assert_eq!(
        s.get_by_tx_id(&expired).await.unwrap().unwrap().purged_at,
        Some(now)
    );
}

pub async fn invalid_arguments<B: Backend>(b: &B) {
    let s = b.open().await;
    let t = requested(&s, "a", at(0)).await;
    assert!(matches!(
        s.acquire_lease(&t, "", TTL, at(0)).await,
        Err(Error::Invalid(InvalidKind::Holder))
    ));
    assert!(matches!(
        s.acquire_lease(&t, &"h".repeat(256), TTL, at(0)).await,
        Err(Error::Invalid(InvalidKind::Holder))
    ));
    assert!(matches!(
        s.claim_unfinished("", TTL, 1, at(0)).await,
        Err(Error::Invalid(InvalidKind::Holder))
    ));
    assert!(matches!(
        s.acquire_lease(&t, "w", Duration::MAX, at(0)).await,
        Err(Error::Invalid(InvalidKind::Duration))
    ));
    assert!(matches!(
        s.purge_personal_data(Duration::MAX, at(0)).await,
        Err(Error::Invalid(InvalidKind::Duration))
    ));
    // Nothing was leased by the refused calls.
    assert!(
        s.acquire_lease(&t, "w", TTL, at(0))
            .await
            .unwrap()
            .is_some()
    );
}

// ---- durability across processes ----

/// The env var a child writer reads its store location from.
pub const CHILD_TARGET: &str = "TOSS_TX_STORE_CHILD_TARGET";
pub const CHILD_KEY: &str = "child-key";
pub const CHILD_TX: &str = "child-tx-1";
pub const CHILD_MARKER: &str = "TOSS_TX_STORE_CHILD_WRITTEN";

/// What the child does: an intent and a txId, each committed, then a line on stdout,
/// then it waits (bounded) to be killed.
pub async fn child_write<S: TxStore>(store: &S) {
    let k = key(CHILD_KEY);
    assert!(
        store
            .begin_intent(&k, b"sealed", at(0))
            .await
            .unwrap()
            .is_new()
    );
    store
        .record_tx_id(&k, &txid(CHILD_TX), ANSWER, at(1))
        .await
        .unwrap();
    println!("{CHILD_MARKER}");
    use std::io::Write as _;
    std::io::stdout().flush().unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    panic!("the parent never killed the child");
}

/// Runs the `#[ignore]`d test `test` of this test binary as a child with
/// `CHILD_TARGET=target`, waits (bounded) for its marker line and `kill -9`s it.
pub fn run_child_and_kill(test: &str, target: &str) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_TARGET, target)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // libtest may print "test child_writer ... " on the same line first.
            if line.contains(CHILD_MARKER) {
                let _ = tx.send(());
                break;
            }
        }
    });
    let started = Instant::now();
    let written = rx.recv_timeout(Duration::from_secs(60));
    // SIGKILL: no destructor, no pool shutdown, no chance to flush anything more.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        written.is_ok(),
        "the child did not report its writes within 60 s ({:?})",
        started.elapsed()
    );
    assert!(!status.success(), "the child was killed, not finished");
}

/// What the parent checks after the child was killed.
pub async fn check_child_writes<S: TxStore>(store: &S) {
    let rec = store
        .get_by_key(&key(CHILD_KEY))
        .await
        .unwrap()
        .expect("the intent survived the kill");
    assert_eq!(
        rec.tx_id,
        Some(txid(CHILD_TX)),
        "the txId survived the kill"
    );
    assert_eq!(rec.state, TxState::Requested);
    assert_eq!(
        store
            .get_by_tx_id(&txid(CHILD_TX))
            .await
            .unwrap()
            .map(|r| r.idempotency_key),
        Some(key(CHILD_KEY))
    );
}
