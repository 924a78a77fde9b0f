//! `GET /emulator/v1/transactions` and `EmulatorHandle::transactions`: every transaction
//! with its client, status and the results it served, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use toss_emulator::{
    ControlAccess, RetainedBecause, TransactionList, TransactionSummary, UserBehaviour,
};
use toss_model::SignStatus;

use support::{Env, error_code, start, start_with};

/// The listing over HTTP: status, raw JSON, and the JSON parsed.
async fn listing(env: &Env) -> (StatusCode, Value) {
    let response = env
        .http
        .get(env.url("/emulator/v1/transactions"))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// The listing over HTTP, which must be the handle's.
async fn list(env: &Env) -> TransactionList {
    let (status, body) = listing(env).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: TransactionList = serde_json::from_value(body).unwrap();
    assert_eq!(list, env.emulator.transactions());
    list
}

fn find<'a>(list: &'a TransactionList, tx_id: &str) -> &'a TransactionSummary {
    list.transactions
        .iter()
        .find(|tx| tx.tx_id == tx_id)
        .unwrap_or_else(|| panic!("{tx_id} is not listed: {list:?}"))
}

#[tokio::test]
async fn results_served_count_two_fetches_and_not_a_refused_third() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;
    assert_eq!(list(&env).await.transactions, []);

    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    let listed = list(&env).await;
    let tx = find(&listed, &tx_id);
    assert_eq!(tx.client_id, env.emulator.client_id());
    assert_eq!(tx.status, SignStatus::Requested);
    assert_eq!(tx.completed_at, None);
    assert_eq!((tx.results_served, tx.retained), (0, false));
    assert_eq!(tx.retained_because, None);

    // A result call before completion is refused and takes none.
    let (_, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(error_code(&answer), "CE3102");
    assert_eq!(find(&list(&env).await, &tx_id).results_served, 0);

    env.advance(Duration::from_secs(20));
    env.emulator.complete(&tx_id).unwrap();
    let (_, first, _) = env.result(&token, &tx_id).await;
    assert_eq!(first["resultType"], "SUCCESS", "{first}");
    let listed = list(&env).await;
    let tx = find(&listed, &tx_id);
    assert_eq!(tx.status, SignStatus::Completed);
    assert_eq!(
        tx.completed_at.map(|at| at.to_string()),
        first["success"]["completedDt"].as_str().map(str::to_owned)
    );
    assert_eq!(
        tx.requested_at.to_string(),
        first["success"]["requestedDt"].as_str().unwrap()
    );
    assert_eq!((tx.results_served, tx.retained), (1, false));

    let (_, second, _) = env.result(&token, &tx_id).await;
    assert_eq!(second["resultType"], "SUCCESS", "{second}");
    let (_, third, _) = env.result(&token, &tx_id).await;
    assert_eq!(error_code(&third), "CE3101");

    let listed = list(&env).await;
    let tx = find(&listed, &tx_id);
    assert_eq!(tx.status, SignStatus::Completed);
    assert_eq!(
        tx.results_served, 2,
        "the refused third fetch is not counted"
    );
    assert!(tx.retained);
    assert_eq!(tx.retained_because, Some(RetainedBecause::ResultsServed));
    let client = &listed.clients[0];
    assert_eq!(client.client_id, env.emulator.client_id());
    assert_eq!(
        (client.sign_requests, client.results, client.transactions),
        (1, 2, 1)
    );
    assert_eq!(env.emulator.transaction(&tx_id).as_ref(), Some(tx));
    assert_eq!(env.emulator.transaction("no-such-tx"), None);
}

#[tokio::test]
async fn the_json_uses_camel_case_names_and_the_provider_s_values() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    let (_, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(answer["resultType"], "SUCCESS", "{answer}");

    let (status, listing) = listing(&env).await;
    assert_eq!(status, StatusCode::OK);
    let tx = &listing["transactions"][0];
    assert_eq!(tx["txId"], tx_id);
    assert_eq!(tx["clientId"], env.emulator.client_id());
    assert_eq!(tx["status"], "COMPLETED");
    assert_eq!(tx["requestedAt"], answer["success"]["requestedDt"]);
    assert_eq!(tx["completedAt"], answer["success"]["completedDt"]);
    assert_eq!(tx["resultsServed"], 1);
    assert_eq!(tx["retained"], false);
    assert_eq!(tx["retainedBecause"], Value::Null);
    assert_eq!(
        listing["clients"],
        json!([{
            "clientId": env.emulator.client_id(),
            "signRequests": 1,
            "results": 1,
            "transactions": 1,
        }])
    );
    // Nothing of the person or the document is listed.
    let text = listing.to_string();
    for secret in [
        support::NAME,
        support::PHONE,
        support::BIRTHDAY,
        support::DOC,
    ] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn every_client_s_transactions_are_listed_under_their_own_client() {
    let env = start_with(|builder| {
        builder
            .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
            .client_credentials("client-a", "secret-a")
            .client_credentials("client-b", "secret-b")
    })
    .await;
    let a = env.token_for("client-a", "secret-a").await;
    let b = env.token_for("client-b", "secret-b").await;
    let mut of_a = Vec::new();
    for _ in 0..2 {
        let (body, _) = env.personal_request();
        of_a.push(env.sign(&a, &body).await);
    }
    let (body, _) = env.personal_request();
    let of_b = env.sign(&b, &body).await;

    // B's attempts on A's transaction are refused as for an unknown txId and take nothing.
    let (_, answer, _) = env.result(&b, &of_a[0]).await;
    assert_eq!(error_code(&answer), "CE3100");
    let (_, answer, _) = env.result(&a, &of_a[0]).await;
    assert_eq!(answer["resultType"], "SUCCESS", "{answer}");
    for _ in 0..2 {
        let (_, answer, _) = env.result(&b, &of_b).await;
        assert_eq!(answer["resultType"], "SUCCESS", "{answer}");
    }

    let listed = list(&env).await;
    assert_eq!(listed.transactions.len(), 3);
    for tx_id in &of_a {
        assert_eq!(find(&listed, tx_id).client_id, "client-a");
    }
    assert_eq!(find(&listed, &of_a[0]).results_served, 1);
    assert_eq!(find(&listed, &of_a[1]).results_served, 0);
    let tx_b = find(&listed, &of_b);
    assert_eq!(tx_b.client_id, "client-b");
    assert_eq!(tx_b.results_served, 2);
    assert_eq!(tx_b.retained_because, Some(RetainedBecause::ResultsServed));

    let activity: Vec<(&str, u64, u64, u64)> = listed
        .clients
        .iter()
        .map(|c| {
            (
                c.client_id.as_str(),
                c.sign_requests,
                c.results,
                c.transactions,
            )
        })
        .collect();
    assert_eq!(activity, [("client-a", 2, 1, 2), ("client-b", 1, 2, 1)]);
    // Oldest first (all at the same instant here: then by txId).
    let listed_ids: Vec<&str> = listed
        .transactions
        .iter()
        .map(|t| t.tx_id.as_str())
        .collect();
    let mut sorted = listed_ids.clone();
    sorted.sort_unstable();
    assert_eq!(listed_ids, sorted);
}

#[tokio::test]
async fn expired_transactions_are_listed_as_retained_until_freed() {
    const RETENTION: Duration = Duration::from_secs(120);
    let env = start_with(|builder| {
        builder
            .user_behaviour(UserBehaviour::Manual)
            .retention(RETENTION)
    })
    .await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let by_hand = env.sign(&token, &body).await;
    env.emulator.expire(&by_hand).unwrap();
    let (body, _) = env.personal_request();
    let in_progress = env.sign(&token, &body).await;
    env.emulator.open(&in_progress).unwrap();

    let listed = list(&env).await;
    let tx = find(&listed, &by_hand);
    assert_eq!(tx.status, SignStatus::Expired);
    assert!(tx.retained);
    assert_eq!(tx.retained_because, Some(RetainedBecause::Expired));
    assert_eq!(tx.results_served, 0);
    let tx = find(&listed, &in_progress);
    assert_eq!(tx.status, SignStatus::InProgress);
    assert!(!tx.retained);

    // Past the retention, the sweeper (every 100 ms) frees the expired one; the other
    // expires at its expireSeconds (300 s) and is retained in turn.
    env.advance(RETENTION + Duration::from_secs(300));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = list(&env).await;
        let ids: Vec<&str> = listed
            .transactions
            .iter()
            .map(|t| t.tx_id.as_str())
            .collect();
        if ids == [in_progress.as_str()] && listed.transactions[0].retained {
            let tx = &listed.transactions[0];
            assert_eq!(tx.status, SignStatus::Expired);
            assert_eq!(tx.retained_because, Some(RetainedBecause::Expired));
            // Freed transactions leave the list but stay counted under their client.
            assert_eq!(listed.clients[0].sign_requests, 2);
            assert_eq!(listed.clients[0].transactions, 1);
            break;
        }
        assert!(Instant::now() < deadline, "not swept: {listed:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_listing_is_off_with_the_control_endpoints() {
    let env = start_with(|builder| {
        builder
            .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
            .control_endpoints(ControlAccess::Off)
    })
    .await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;

    let (status, answer) = listing(&env).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&answer), "CE3000");
    // As any unknown path answers, so that it does not show it exists.
    let response = env
        .http
        .get(env.url("/emulator/v1/no-such-endpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let unknown: Value = response.json().await.unwrap();
    assert_eq!(answer, unknown);

    // The handle, which only the process that started the emulator holds, still lists.
    let listed = env.emulator.transactions();
    assert_eq!(find(&listed, &tx_id).status, SignStatus::Completed);
}

#[tokio::test]
async fn the_listing_refuses_other_methods() {
    let env = start(UserBehaviour::Manual).await;
    let response = env
        .http
        .post(env.url("/emulator/v1/transactions"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}
