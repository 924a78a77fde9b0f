//! The `test-util` constructors build exactly what the provider sends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::round_trip;
use toss_model::{
    CertificateValidateResponse, Envelope, PersonalData, ResultResponse, SignResponse, SignStatus,
    SignatureType, StatusResponse, Timestamp, TokenResponse,
};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[test]
fn sign_responses_match_the_document() {
    let push = Envelope::ok(SignResponse::new(
        "60940525-9a59-47db-b0eb-4f029b9faf1e",
        at("2022-03-13T17:52:22+09:00"),
    ));
    assert_eq!(
        serde_json::to_value(&push).unwrap(),
        fixture("sign_response_push.json")
    );

    let expected = fixture("sign_response_app_scheme.json");
    let success = &expected["success"];
    let app_scheme = Envelope::ok(
        SignResponse::new(
            "e9af318d-2151-4b67-9818-def01983a623",
            at("2022-03-13T17:52:22+09:00"),
        )
        .with_app_links(
            success["appScheme"].as_str().unwrap(),
            success["androidAppUri"].as_str().unwrap(),
            success["iosAppUri"].as_str().unwrap(),
        ),
    );
    assert_eq!(serde_json::to_value(&app_scheme).unwrap(), expected);
}

#[test]
fn status_response_matches_the_document() {
    let status = Envelope::ok(StatusResponse::new(
        "c3776b22-7c48-4b47-900e-5920253b7ece",
        SignStatus::Requested,
        at("2022-02-20T20:22:22+09:00"),
    ));
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        fixture("status_success.json")
    );
}

#[test]
fn result_response_matches_the_document() {
    let expected = fixture("result_success.json");
    let success = &expected["success"];
    let person = &success["personalData"];
    let text = |value: &Value| value.as_str().unwrap().to_owned();
    let personal = PersonalData::new()
        .with_ci(text(&person["ci"]))
        .with_name(text(&person["name"]))
        .with_birthday(text(&person["birthday"]))
        .with_gender(text(&person["gender"]))
        .with_nationality(text(&person["nationality"]))
        .with_di(text(&person["di"]));
    let result = ResultResponse::new(
        text(&success["txId"]),
        text(&success["doc"]),
        text(&success["signedDoc"]),
        at("2022-03-13T18:00:26+09:00"),
        at("2022-03-13T18:01:53+09:00"),
    )
    .with_personal_data(personal);
    assert_eq!(
        serde_json::to_value(Envelope::ok(result)).unwrap(),
        expected
    );
}

#[test]
fn result_response_setters() {
    let result = ResultResponse::new(
        "t",
        "v1$id$doc",
        "MIIB",
        at("2022-03-13T18:00:26+09:00"),
        at("2022-03-13T18:01:53+09:00"),
    )
    .with_status(SignStatus::Completed)
    .with_signature_type(SignatureType::Pkcs7NoContentWithAttr)
    .with_doc_encrypted(true)
    .with_personal_data(
        PersonalData::new()
            .with_ci2("v1$id$a")
            .with_ci_update("v1$id$b"),
    );
    let reread: ResultResponse = round_trip(&serde_json::to_string(&result).unwrap());
    assert_eq!(reread, result);
    assert!(reread.doc_encrypted());
    assert_eq!(
        reread.signature_type(),
        &SignatureType::Pkcs7NoContentWithAttr
    );
    assert_eq!(reread.personal_data().unwrap().ci2(), Some("v1$id$a"));
    assert_eq!(reread.personal_data().unwrap().ci_update(), Some("v1$id$b"));
}

#[test]
fn token_and_certificate_responses() {
    let token = TokenResponse::new("eyJ.payload.sig", 31_536_000);
    assert_eq!(
        serde_json::to_value(&token).unwrap(),
        json!({"access_token": "eyJ.payload.sig", "scope": "ca", "token_type": "Bearer", "expires_in": 31536000})
    );
    let check = Envelope::ok(CertificateValidateResponse::new(true, true));
    assert_eq!(
        serde_json::to_value(&check).unwrap(),
        fixture("certificate_validate_response.json")
    );
}
