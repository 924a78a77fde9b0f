//! End to end against `toss-emulator` over real HTTP: 200 concurrent flows through one
//! client, on the system clock, sharing one access token.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used)]

mod e2e;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use e2e::*;
use toss_emulator::UserBehaviour;
use toss_sign::{PollPolicy, SignStatus, SignatureRequest};
use toss_signed_doc::Expected;

const FLOWS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_flows_through_one_client() {
    let handle = start(emulator_builder().user_behaviour(UserBehaviour::completes(
        Duration::from_millis(50),
        Duration::from_millis(100),
    )))
    .await;
    let client = client(&handle);
    let policy = PollPolicy::new()
        .initial_interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(200))
        .multiplier(1.5)
        .timeout(WAIT_TIMEOUT);

    let started = Instant::now();
    let mut tasks = Vec::with_capacity(FLOWS);
    for i in 0..FLOWS {
        let client = client.clone();
        let policy = policy.clone();
        tasks.push(tokio::spawn(async move {
            let text = format!("동시 서명 문서 #{i}");
            let request: SignatureRequest = text_request(&text);
            let requested = client.request_signature(&request).await?;
            let mut last = None;
            client
                .wait(&requested.tx_id, &policy, |status| {
                    last = Some(status.clone());
                })
                .await?;
            assert_eq!(last, Some(SignStatus::Completed));
            let signed = client.result(&requested.tx_id).await?;
            assert_eq!(signed.tx_id, requested.tx_id);
            assert_eq!(signed.doc.as_str(), text);
            Ok::<_, toss_sign::Error>((text, signed))
        }));
    }
    let all = tokio::time::timeout(WAIT_TIMEOUT, async {
        let mut all = Vec::with_capacity(FLOWS);
        for task in tasks {
            all.push(task.await.unwrap().unwrap());
        }
        all
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();

    let tx_ids: HashSet<_> = all.iter().map(|(_, signed)| signed.tx_id.clone()).collect();
    assert_eq!(tx_ids.len(), FLOWS, "every flow has its own transaction");
    for (text, signed) in &all {
        let person = signed.person.as_ref().unwrap();
        assert_eq!(person.name.as_str(), NAME);
        assert_eq!(person.birthday, BIRTHDAY);
        assert_eq!(
            client.status(&signed.tx_id).await.unwrap(),
            SignStatus::Completed
        );
        // Every signature is checked offline against its own document and the CA.
        verify(&handle, signed, Expected::Text(text));
    }

    // Read over HTTP, as a user's CI would.
    let stats = stats_over_http(handle.base_url()).await;
    assert_eq!(stats, handle.stats());
    assert_eq!(stats.tokens_issued, 1, "200 cold callers share one token");
    assert_eq!(stats.sign_requests, FLOWS as u64);
    assert_eq!(stats.results, FLOWS as u64);
    assert_eq!(stats.errors, 0);
    eprintln!(
        "{FLOWS} concurrent flows in {elapsed:?}; {} status calls",
        stats.status_calls
    );
}

/// `GET /emulator/v1/stats`.
async fn stats_over_http(base_url: &str) -> toss_emulator::Stats {
    use toss_transport::HttpTransport as _;
    let transport =
        toss_transport::default_transport(&choice::transport_settings().build()).unwrap();
    let request = toss_transport::HttpRequest::get(&format!("{base_url}/emulator/v1/stats"))
        .build()
        .unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.status(), 200);
    serde_json::from_slice(response.body()).unwrap()
}
