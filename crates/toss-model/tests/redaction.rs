//! `Debug` never shows personal data, documents, signatures, keys, tokens or secrets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{ENVELOPE_A, ENVELOPE_B, ENVELOPE_C, SESSION_KEY};
use toss_model::{
    ApiError, CertificateValidateRequest, DocType, Envelope, ErrorCode, RequestType, ResultRequest,
    ResultResponse, SignRequest, TokenRequest, TokenResponse, TriggerType,
};

#[track_caller]
fn assert_hidden(debug: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!debug.contains(secret), "{secret:?} leaked into {debug}");
    }
    assert!(
        debug.contains("<redacted"),
        "nothing marked redacted in {debug}"
    );
}

/// The distinctive middle of an envelope, which must not appear even in part.
fn payload(envelope: &str) -> &str {
    envelope.rsplit('$').next().unwrap()
}

#[test]
fn sign_request_and_builder() {
    let builder = SignRequest::builder()
        .request_type(RequestType::UserPersonal)
        .trigger_type(TriggerType::Push)
        .user_name(ENVELOPE_A)
        .user_phone(ENVELOPE_B)
        .user_birthday(ENVELOPE_C)
        .session_key(SESSION_KEY)
        .service_name("토스 출금이체")
        .doc_title("출금이체 동의문")
        .doc("홍길동님의 계좌 110-123-456789 출금이체에 동의합니다.")
        .doc_type(DocType::Text);
    let secrets = [
        payload(ENVELOPE_A),
        payload(ENVELOPE_B),
        payload(ENVELOPE_C),
        payload(SESSION_KEY),
        "홍길동",
        "110-123-456789",
    ];
    assert_hidden(&format!("{builder:?}"), &secrets);
    let request = builder.build().unwrap();
    let debug = format!("{request:#?}");
    assert_hidden(&debug, &secrets);
    // What is not sensitive stays visible for troubleshooting.
    assert!(debug.contains("토스 출금이체"));
    assert!(debug.contains("UserPersonal"));
}

#[test]
fn result_response_and_personal_data() {
    let body = std::fs::read_to_string(format!(
        "{}/tests/data/result_success.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let envelope: Envelope<ResultResponse> = serde_json::from_str(&body).unwrap();
    let result = envelope.success().unwrap();
    let person = result.personal_data().unwrap();
    let secrets: Vec<&str> = [person.ci(), person.name(), person.birthday(), person.di()]
        .into_iter()
        .map(|field| payload(field.unwrap()))
        .chain([&result.signed_doc()[..40], "토스 간편송금"])
        .collect();
    assert_hidden(&format!("{envelope:?}"), &secrets);
    assert_hidden(&format!("{person:?}"), &secrets);
    assert!(format!("{result:?}").contains("60940525-9a59-47db-b0eb-4f029b9faf1e"));
}

#[test]
fn tokens_and_client_secret() {
    let request = TokenRequest::new(
        "test_client",
        "test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3",
    );
    let debug = format!("{request:?}");
    assert_hidden(&debug, &["418087247d66"]);
    assert!(debug.contains("test_client"));
    let token: TokenResponse = serde_json::from_str(
        r#"{"access_token":"eyJraWQiOiJjZXJ0.payload.signature","scope":"ca","token_type":"Bearer","expires_in":31536000}"#,
    )
    .unwrap();
    assert_hidden(&format!("{token:?}"), &["eyJraWQiOiJjZXJ0", "signature"]);
}

#[test]
fn result_request_and_certificate() {
    let request = ResultRequest::new("tx", SESSION_KEY);
    assert_hidden(&format!("{request:?}"), &[payload(SESSION_KEY)]);
    let pem = "-----BEGIN CERTIFICATE-----\nMIIGIjCCBAqgAwIBAgIEAUC+ojANBgkqhkiG9w0BAQsF\n-----END CERTIFICATE-----\n";
    let check = CertificateValidateRequest::new(pem);
    assert_hidden(&format!("{check:?}"), &["MIIGIjCCBAqgAwIBAgIEAUC"]);
}

#[test]
fn api_error_data_shows_only_its_shape() {
    let error = ApiError::new(ErrorCode::Ce3000, "오류")
        .with_data(serde_json::json!({"userPhone": "01012345678"}));
    assert_hidden(&format!("{error:?}"), &["01012345678"]);
    let plain = ApiError::new(ErrorCode::Ce3100, "존재하지 않는 요청입니다");
    assert!(format!("{plain:?}").contains("data: {}"));
}
