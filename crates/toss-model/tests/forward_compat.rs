//! Values the crate does not know survive a round trip unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::round_trip;
use toss_model::{
    ApiError, DocType, Envelope, EnvelopeError, ErrorCode, Gender, GrantType, Nationality,
    RequestType, ResultResponse, ResultType, Scope, SignRequest, SignStatus, SignatureType,
    StatusResponse, TokenResponse, TokenType, TriggerType,
};

/// Reads `wire` as `T`, checks it is the catch-all, and writes it back unchanged.
#[track_caller]
fn unknown_round_trips<T>(wire: &str, is_other: impl Fn(&T) -> bool, as_str: impl Fn(&T) -> &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Display,
{
    let value: T = serde_json::from_value(json!(wire)).unwrap();
    assert!(is_other(&value), "{wire} should be Other");
    assert_eq!(as_str(&value), wire);
    assert_eq!(value.to_string(), wire);
    assert_eq!(serde_json::to_value(&value).unwrap(), json!(wire));
}

#[test]
fn every_enum_keeps_unknown_values() {
    unknown_round_trips::<RequestType>("USER_FACE", RequestType::is_other, RequestType::as_str);
    unknown_round_trips::<TriggerType>("QR", TriggerType::is_other, TriggerType::as_str);
    unknown_round_trips::<DocType>("MARKDOWN", DocType::is_other, DocType::as_str);
    unknown_round_trips::<SignatureType>("CADES", SignatureType::is_other, SignatureType::as_str);
    unknown_round_trips::<SignStatus>("CANCELLED", SignStatus::is_other, SignStatus::as_str);
    unknown_round_trips::<Gender>("UNSPECIFIED", Gender::is_other, Gender::as_str);
    unknown_round_trips::<Nationality>("STATELESS", Nationality::is_other, Nationality::as_str);
    unknown_round_trips::<ResultType>("PARTIAL", ResultType::is_other, ResultType::as_str);
    unknown_round_trips::<ErrorCode>("CE9999", ErrorCode::is_other, ErrorCode::as_str);
    unknown_round_trips::<GrantType>("password", GrantType::is_other, GrantType::as_str);
    unknown_round_trips::<Scope>("ca admin", Scope::is_other, Scope::as_str);
    unknown_round_trips::<TokenType>("DPoP", TokenType::is_other, TokenType::as_str);
}

#[test]
fn matching_is_exact() {
    // The wire is case-sensitive: a near miss is kept, not coerced.
    assert_eq!(
        SignStatus::from("completed"),
        SignStatus::Other("completed".into())
    );
    assert_eq!(SignStatus::from("COMPLETED"), SignStatus::Completed);
    assert_eq!(
        ErrorCode::from(" CE3100"),
        ErrorCode::Other(" CE3100".into())
    );
    assert_eq!("FEMALE".parse::<Gender>(), Ok(Gender::Female));
    assert_eq!(
        "FOREIGNER".parse::<Nationality>(),
        Ok(Nationality::Foreigner)
    );
}

#[test]
fn known_values_use_the_wire_spelling() {
    let pairs = [
        (json!(RequestType::UserPersonal), "USER_PERSONAL"),
        (json!(RequestType::UserCi), "USER_CI"),
        (json!(TriggerType::Push), "PUSH"),
        (json!(TriggerType::AppScheme), "APP_SCHEME"),
        (json!(DocType::Text), "TEXT"),
        (json!(DocType::Html), "HTML"),
        (json!(DocType::Pdf), "PDF"),
        (json!(SignatureType::Pkcs7), "PKCS7"),
        (
            json!(SignatureType::Pkcs7NoContentWithAttr),
            "PKCS7_NO_CONTENT_WITH_ATTR",
        ),
        (json!(SignStatus::Requested), "REQUESTED"),
        (json!(SignStatus::InProgress), "IN_PROGRESS"),
        (json!(SignStatus::Completed), "COMPLETED"),
        (json!(SignStatus::Expired), "EXPIRED"),
        (json!(Gender::Male), "MALE"),
        (json!(Gender::Female), "FEMALE"),
        (json!(Nationality::Local), "LOCAL"),
        (json!(Nationality::Foreigner), "FOREIGNER"),
        (json!(ResultType::Success), "SUCCESS"),
        (json!(ResultType::Fail), "FAIL"),
        (json!(GrantType::ClientCredentials), "client_credentials"),
        (json!(Scope::Ca), "ca"),
        (json!(TokenType::Bearer), "Bearer"),
    ];
    for (written, wire) in pairs {
        assert_eq!(written, json!(wire));
    }
}

#[test]
fn an_unknown_error_code_survives_an_envelope() {
    let body = r#"{"resultType":"FAIL","error":{"errorType":3,"errorCode":"CE7777",
        "reason":"새로운 오류","data":{"hint":"x"},"title":"제목"},"success":null}"#;
    let envelope: Envelope<StatusResponse> = round_trip(body);
    let error = envelope.into_result().unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(api.error_code(), &ErrorCode::Other("CE7777".into()));
    assert!(!api.error_code().is_retryable());
    assert_eq!(api.error_type(), Some(3));
    assert_eq!(api.title(), Some("제목"));
    assert_eq!(api.to_string(), "CE7777: 새로운 오류");
}

#[test]
fn an_unknown_status_survives_an_envelope() {
    let body = r#"{"resultType":"SUCCESS","success":{"txId":"t-1","status":"CANCELLED",
        "requestedDt":"2022-02-20T20:22:22+09:00"}}"#;
    let envelope: Envelope<StatusResponse> = round_trip(body);
    let status = envelope.into_result().unwrap();
    assert_eq!(status.status(), &SignStatus::Other("CANCELLED".into()));
    assert!(!status.status().is_final());
}

#[test]
fn unknown_request_values_survive_a_sign_request() {
    let body = json!({
        "requestType": "USER_FACE", "triggerType": "QR", "serviceName": "s",
        "docTitle": "t", "doc": "d", "docType": "MARKDOWN", "signatureType": "CADES"
    });
    let request: SignRequest = serde_json::from_value(body.clone()).unwrap();
    assert!(request.request_type().is_other());
    assert_eq!(serde_json::to_value(&request).unwrap(), body);
}

#[test]
fn unknown_values_survive_a_result_and_a_token() {
    let body = json!({
        "resultType": "SUCCESS",
        "success": {
            "txId": "t-1", "status": "COMPLETED", "doc": "d", "signedDoc": "MIIB",
            "signatureType": "CADES", "docEncrypted": false, "randomValue": null,
            "userCiToken": null, "completedDt": "2022-03-13T18:01:53+09:00",
            "requestedDt": "2022-03-13T18:00:26+09:00", "personalData": null
        }
    });
    let envelope: Envelope<ResultResponse> = round_trip(&body.to_string());
    assert!(envelope.success().unwrap().signature_type().is_other());
    let token: TokenResponse = round_trip(
        r#"{"access_token":"abc","scope":"ca extra","token_type":"DPoP","expires_in":60}"#,
    );
    assert!(token.scope().is_other());
    assert!(token.token_type().is_other());
}

#[test]
fn an_unknown_result_type_is_reported_not_guessed() {
    let body = r#"{"resultType":"PARTIAL","success":null}"#;
    let envelope: Envelope<StatusResponse> = round_trip(body);
    assert_eq!(
        envelope.into_result().unwrap_err(),
        EnvelopeError::UnknownResultType {
            result_type: "PARTIAL".into()
        }
    );
}

#[test]
fn envelopes_without_the_promised_object() {
    let success: Envelope<StatusResponse> =
        serde_json::from_str(r#"{"resultType":"SUCCESS","success":null}"#).unwrap();
    assert_eq!(
        success.into_result().unwrap_err(),
        EnvelopeError::MissingSuccess
    );
    let fail: Envelope<StatusResponse> =
        serde_json::from_str(r#"{"resultType":"FAIL","success":null}"#).unwrap();
    assert_eq!(fail.into_result().unwrap_err(), EnvelopeError::MissingError);
}

#[test]
fn built_envelopes_have_the_providers_shapes() {
    let fail: Envelope<StatusResponse> =
        Envelope::fail(ApiError::new(ErrorCode::Ce3100, "존재하지 않는 요청입니다"));
    assert_eq!(
        serde_json::to_value(&fail).unwrap(),
        json!({
            "resultType": "FAIL",
            "error": {"errorType": 0, "errorCode": "CE3100", "reason": "존재하지 않는 요청입니다",
                      "data": {}, "title": null},
            "success": null
        })
    );
    let error = ApiError::new(ErrorCode::Ce0002, "잠시 후 다시 시도해주세요")
        .with_error_type(1)
        .with_title("점검")
        .with_data(json!({"retryAfter": 30}));
    let ok = Envelope::ok(json!({"valid": true, "enabled": false}));
    assert_eq!(
        serde_json::to_value(&ok).unwrap(),
        json!({"resultType": "SUCCESS", "success": {"valid": true, "enabled": false}})
    );
    assert!(error.error_code().is_retryable());
    assert_eq!(error.error_type(), Some(1));
    assert_eq!(error.data(), &json!({"retryAfter": 30}));
    let reread: ApiError = serde_json::from_value(serde_json::to_value(&error).unwrap()).unwrap();
    assert_eq!(reread, error);
}

#[test]
fn app_uris_reading_null_as_text_are_absent() {
    let body = r#"{"resultType":"SUCCESS","success":{"txId":"t","appScheme":"null",
        "androidAppUri":"null","iosAppUri":"null","requestedDt":"2022-03-13T17:52:22+09:00"}}"#;
    let envelope: Envelope<toss_model::SignResponse> = serde_json::from_str(body).unwrap();
    let response = envelope.into_result().unwrap();
    assert_eq!(response.app_scheme(), None);
    assert_eq!(response.android_app_uri(), None);
    assert_eq!(response.ios_app_uri(), None);
    // Absent keys read as absent too.
    let bare = r#"{"txId":"t","requestedDt":"2022-03-13T17:52:22+09:00"}"#;
    let response: toss_model::SignResponse = serde_json::from_str(bare).unwrap();
    assert_eq!(response.app_scheme(), None);
}

#[test]
fn malformed_bodies_are_errors_not_panics() {
    for body in [
        "",
        "null",
        "[]",
        r#"{"resultType":1}"#,
        r#"{"resultType":"SUCCESS","success":{"txId":"t","status":"REQUESTED","requestedDt":"yesterday"}}"#,
        r#"{"resultType":"SUCCESS","success":{"txId":"t","status":"REQUESTED"}}"#,
        r#"{"resultType":"FAIL","error":{"errorCode":42},"success":null}"#,
    ] {
        assert!(
            serde_json::from_str::<Envelope<StatusResponse>>(body).is_err(),
            "{body}"
        );
    }
}
