//! Scenarios over real HTTP: per-signer behaviour, seeded faults per endpoint, the request
//! log, health and reset.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use support::*;
use toss_emulator::{FaultEndpoint, FaultRule, Scenario, SignerMatch, UserBehaviour};

#[tokio::test]
async fn each_signer_follows_their_rule_and_others_the_default() {
    let scenario = Scenario::from_json(&format!(
        r#"{{"signers": [
            {{"phone": "{PHONE}", "then": "decline", "afterMs": 1000}},
            {{"name": "김철수", "then": "sign", "afterMs": 4000}}
        ]}}"#
    ))
    .unwrap();
    let env = start_with(|builder| {
        builder
            .scenario(scenario)
            .user_behaviour(UserBehaviour::NeverAnswers)
    })
    .await;
    let token = env.token().await;
    let (declines, _) = env.personal_request();
    let declined = env.sign(&token, &declines).await;
    let (other, session) = env.personal_request();
    let mut other = other;
    other["userName"] = json!(session.encrypt("김철수").unwrap());
    other["userPhone"] = json!(session.encrypt("01022223333").unwrap());
    let signs = env.sign(&token, &other).await;
    let mut nobody = env.personal_request().0;
    let session = env.session();
    nobody["userName"] = json!(session.encrypt("이영희").unwrap());
    nobody["userPhone"] = json!(session.encrypt("01044445555").unwrap());
    nobody["userBirthday"] = json!(session.encrypt(BIRTHDAY).unwrap());
    nobody["sessionKey"] = json!(session.session_key());
    let never = env.sign(&token, &nobody).await;

    env.advance(Duration::from_secs(2));
    assert_eq!(env.status(&token, &declined).await, "IN_PROGRESS");
    assert_eq!(env.status(&token, &signs).await, "IN_PROGRESS");
    assert_eq!(env.status(&token, &never).await, "REQUESTED");
    env.advance(Duration::from_secs(2));
    assert_eq!(env.status(&token, &signs).await, "COMPLETED");
    let (_, result, _) = env.result(&token, &declined).await;
    assert_eq!(error_code(&result), "CE3102");
    env.advance(Duration::from_secs(300));
    assert_eq!(env.status(&token, &declined).await, "EXPIRED");
    assert_eq!(env.status(&token, &never).await, "EXPIRED");
}

async fn status_answer(env: &Env, token: &str, tx_id: &str) -> Result<u16, reqwest::Error> {
    env.http
        .post(env.url(STATUS))
        .bearer_auth(token)
        .json(&json!({ "txId": tx_id }))
        .send()
        .await
        .map(|response| response.status().as_u16())
}

#[tokio::test]
async fn faults_hit_their_endpoint_and_repeat_with_the_seed() {
    let scenario = Scenario::new()
        .seed(11)
        .fault(FaultRule::on(FaultEndpoint::Status).error_rate(0.5));
    let env = start_with(|builder| builder.scenario(scenario)).await;
    let token = env.token().await;
    let tx_id = env.sign(&token, &env.personal_request().0).await;
    let mut outcomes = Vec::new();
    for _ in 0..24 {
        outcomes.push(status_answer(&env, &token, &tx_id).await.unwrap());
    }
    let errors = outcomes.iter().filter(|status| **status == 500).count();
    assert!((4..=20).contains(&errors), "{outcomes:?}");
    assert!(outcomes.iter().all(|status| matches!(status, 200 | 500)));
    let (status, answer) = env.post(STATUS, &token, &json!({ "txId": tx_id })).await;
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        assert_eq!(error_code(&answer), "CE0001");
    }

    // The log names each injected error, and no secret.
    let log = env.get_json("/emulator/v1/requests").await;
    let text = log.to_string();
    assert!(!text.contains(&token), "the log holds no token");
    assert!(!text.contains(env.emulator.client_secret()));
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2 + 25);
    assert_eq!(requests[0]["endpoint"], TOKEN);
    assert_eq!(requests[1]["endpoint"], REQUEST);
    assert_eq!(requests[1]["txId"], tx_id.as_str());
    let injected = requests
        .iter()
        .filter(|entry| entry["fault"] == "error")
        .inspect(|entry| {
            assert_eq!(entry["status"], 500);
            assert_eq!(entry["errorCode"], "CE0001");
        })
        .count();
    assert!(injected >= errors);
    assert!(
        requests[2..]
            .iter()
            .all(|entry| entry["txId"] == tx_id.as_str() && entry["endpoint"] == STATUS)
    );

    // After a reset the same calls meet the same faults.
    let reset = env
        .http
        .post(env.url("/emulator/v1/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    assert!(env.emulator.requests().requests.is_empty());
    assert_eq!(env.emulator.stats().sign_requests, 0);
    let token = env.token().await;
    // The transaction is forgotten: CE3100 (HTTP 200) when no fault hits.
    let mut again = Vec::new();
    for _ in 0..24 {
        again.push(status_answer(&env, &token, &tx_id).await.unwrap());
    }
    assert_eq!(again, outcomes);
    let (status, answer) = env.post(STATUS, &token, &json!({ "txId": tx_id })).await;
    if status == StatusCode::OK {
        assert_eq!(error_code(&answer), "CE3100");
    }
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_and_latency_delays() {
    let scenario = Scenario::new()
        .fault(FaultRule::on(FaultEndpoint::Token).drop_rate(1.0))
        .fault(FaultRule::on(FaultEndpoint::Certificate).latency(Duration::from_millis(300)));
    let env = start_with(|builder| builder.scenario(scenario)).await;
    let dropped = env
        .http
        .post(env.url(TOKEN))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await;
    let error = dropped.expect_err("the connection is closed without an answer");
    assert!(!error.is_status() && !error.is_timeout(), "{error:?}");
    let log = env.emulator.requests().requests;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].fault.as_deref(), Some("drop"));
    assert_eq!(log[0].status, None);

    let started = Instant::now();
    let answer = env
        .http
        .post(env.url(VALIDATE))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    // No token: the call itself is answered as ever once the latency has passed.
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    // The emulator's own endpoints are never faulted.
    let health = env.get_json("/emulator/v1/health").await;
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn reset_and_the_log_follow_the_control_rule() {
    let env = start_with(|builder| {
        builder
            .control_endpoints(toss_emulator::ControlAccess::Off)
            .scenario(Scenario::new().signer(SignerMatch::phone(PHONE), UserBehaviour::Manual))
    })
    .await;
    for (method, path) in [
        ("POST", "/emulator/v1/reset"),
        ("GET", "/emulator/v1/requests"),
    ] {
        let response = env
            .http
            .request(method.parse().unwrap(), env.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let health = env
        .http
        .get(env.url("/emulator/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[test]
fn a_bad_scenario_stops_the_start() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = runtime.block_on(
        toss_emulator::Emulator::builder()
            .rsa_bits(2048)
            .scenario(Scenario::new().fault(FaultRule::on(FaultEndpoint::Any).error_rate(2.0)))
            .start(),
    );
    assert!(matches!(started, Err(toss_emulator::Error::Scenario(_))));
}
