//! Every JSON example of the provider's API document, read and written back unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::round_trip;
use toss_model::{
    CertificateValidateRequest, CertificateValidateResponse, DocType, Envelope, ErrorCode,
    RequestType, ResultRequest, ResultResponse, ResultType, Scope, SignRequest, SignResponse,
    SignStatus, SignatureType, StatusRequest, StatusResponse, TokenRequest, TokenResponse,
    TokenType, TriggerType,
};

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn token_response() {
    let token: TokenResponse = round_trip(&data("token_response.json"));
    assert!(
        token
            .access_token()
            .starts_with("eyJraWQiOiJjZXJ0IiwiYWxnIjoiUlMyNTYifQ.")
    );
    assert_eq!(token.scope(), &Scope::Ca);
    assert_eq!(token.token_type(), &TokenType::Bearer);
    assert_eq!(token.expires_in().as_secs(), 31_536_000);
}

#[test]
fn token_request_form() {
    let form = data("token_request.form");
    let form = form.trim_end();
    let request = TokenRequest::from_form(form.as_bytes()).unwrap();
    assert_eq!(request.client_id(), "test_a8e23336d673ca70922b485fe806eb2d");
    assert_eq!(
        request.client_secret(),
        "test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3"
    );
    assert_eq!(*request.to_form().unwrap(), form);
    assert_eq!(
        request,
        TokenRequest::new(
            "test_a8e23336d673ca70922b485fe806eb2d",
            "test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3"
        )
    );
}

#[test]
fn sign_request_push() {
    let request: SignRequest = round_trip(&data("sign_request_push.json"));
    assert_eq!(request.request_type(), &RequestType::UserPersonal);
    assert_eq!(request.trigger_type(), &TriggerType::Push);
    assert!(request.user_name().unwrap().starts_with("v1$e6bddc20-"));
    assert!(request.user_ci().is_none());
    assert_eq!(request.service_name(), "토스 출금이체");
    assert_eq!(request.doc_type(), &DocType::Text);
    assert!(!request.doc_encrypted());
    assert_eq!(request.signature_type(), &SignatureType::Pkcs7);
    assert!(request.warnings().is_empty());
}

#[test]
fn sign_request_app_scheme() {
    let request: SignRequest = round_trip(&data("sign_request_app_scheme.json"));
    assert_eq!(request.request_type(), &RequestType::UserCi);
    assert_eq!(request.trigger_type(), &TriggerType::AppScheme);
    assert!(request.user_ci().unwrap().starts_with("v1$be2b3fdc-"));
    assert!(request.user_name().is_none());
    assert_eq!(request.expire_seconds(), None);
}

#[test]
fn sign_response_push() {
    let envelope: Envelope<SignResponse> = round_trip(&data("sign_response_push.json"));
    assert_eq!(envelope.result_type(), &ResultType::Success);
    let response = envelope.into_result().unwrap();
    assert_eq!(
        response.tx_id().as_str(),
        "60940525-9a59-47db-b0eb-4f029b9faf1e"
    );
    assert_eq!(response.app_scheme(), None);
    assert_eq!(
        response.requested_dt().to_string(),
        "2022-03-13T17:52:22+09:00"
    );
    assert_eq!(response.requested_dt().offset().whole_hours(), 9);
}

#[test]
fn sign_response_app_scheme() {
    let envelope: Envelope<SignResponse> = round_trip(&data("sign_response_app_scheme.json"));
    let response = envelope.success().unwrap();
    assert!(
        response
            .app_scheme()
            .unwrap()
            .starts_with("supertoss://toss-cert/v2/sign/doc?txId=")
    );
    assert!(response.android_app_uri().unwrap().starts_with("intent://"));
    assert!(
        response
            .ios_app_uri()
            .unwrap()
            .starts_with("https://ul.toss.im?")
    );
}

#[test]
fn status_request() {
    let request: StatusRequest = round_trip(&data("status_request.json"));
    assert_eq!(
        request.tx_id().as_str(),
        "c3776b22-7c48-4b47-900e-5920253b7ece"
    );
}

#[test]
fn status_success() {
    let envelope: Envelope<StatusResponse> = round_trip(&data("status_success.json"));
    let status = envelope.into_result().unwrap();
    assert_eq!(status.status(), &SignStatus::Requested);
    assert!(!status.status().is_final());
    assert_eq!(
        status.requested_dt().to_string(),
        "2022-02-20T20:22:22+09:00"
    );
}

#[test]
fn status_fail() {
    let envelope: Envelope<StatusResponse> = round_trip(&data("status_fail.json"));
    assert!(!envelope.is_success());
    let error = envelope.into_result().unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(api.error_code(), &ErrorCode::Ce3100);
    assert_eq!(api.error_type(), Some(0));
    assert_eq!(api.reason(), Some("존재하지 않는 요청입니다"));
    assert_eq!(api.title(), None);
    assert_eq!(api.data(), &serde_json::json!({}));
}

#[test]
fn result_request() {
    let request: ResultRequest = round_trip(&data("result_request.json"));
    assert_eq!(
        request.tx_id().as_str(),
        "60940525-9a59-47db-b0eb-4f029b9faf1e"
    );
    assert!(request.session_key().unwrap().starts_with("v1$daa566c5-"));
}

#[test]
fn result_success() {
    let envelope: Envelope<ResultResponse> = round_trip(&data("result_success.json"));
    let result = envelope.into_result().unwrap();
    assert_eq!(result.status(), &SignStatus::Completed);
    assert!(
        result
            .signed_doc()
            .starts_with("MIIJTwYJKoZIhvcNAQcCoIIJQDCCCTwCAQEx")
    );
    assert_eq!(result.signature_type(), &SignatureType::Pkcs7);
    assert!(!result.doc_encrypted());
    assert_eq!(result.random_value(), None);
    assert_eq!(result.user_ci_token(), None);
    assert_eq!(
        result.completed_dt().to_string(),
        "2022-03-13T18:01:53+09:00"
    );
    assert_eq!(
        result.requested_dt().to_string(),
        "2022-03-13T18:00:26+09:00"
    );
    assert!(result.completed_dt() > result.requested_dt());
    let person = result.personal_data().unwrap();
    for field in [
        person.ci(),
        person.name(),
        person.birthday(),
        person.gender(),
        person.nationality(),
        person.di(),
    ] {
        assert!(field.unwrap().starts_with("v1$"));
    }
    assert_eq!(person.ci2(), None);
    assert_eq!(person.ci_update(), None);
}

#[test]
fn result_fail() {
    let envelope: Envelope<ResultResponse> = round_trip(&data("result_fail.json"));
    let error = envelope.into_result().unwrap_err();
    assert_eq!(error.api_error().unwrap().error_code(), &ErrorCode::Ce3101);
}

#[test]
fn certificate_validate_request() {
    let request: CertificateValidateRequest =
        round_trip(&data("certificate_validate_request.json"));
    assert!(
        request
            .certificate()
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );
}

#[test]
fn certificate_validate_response() {
    let envelope: Envelope<CertificateValidateResponse> =
        round_trip(&data("certificate_validate_response.json"));
    let answer = envelope.into_result().unwrap();
    assert!(answer.valid());
    assert!(answer.enabled());
}
