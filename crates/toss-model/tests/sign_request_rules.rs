//! Each rule of the sign request builder, shown by the error it gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{ENVELOPE_A, ENVELOPE_B, ENVELOPE_C, SESSION_KEY};
use toss_model::{
    DocType, RequestType, SignRequest, SignRequestBuilder, SignRequestWarning, SignatureType,
    TriggerType, ValidationError,
};

/// A request that passes every rule: USER_CI, PUSH, a short text document.
fn valid() -> SignRequestBuilder {
    SignRequest::builder()
        .request_type(RequestType::UserCi)
        .trigger_type(TriggerType::Push)
        .user_ci(ENVELOPE_A)
        .session_key(SESSION_KEY)
        .service_name("토스 출금이체")
        .doc_title("출금이체 동의문")
        .doc("출금이체에 동의합니다.")
        .doc_type(DocType::Text)
}

fn personal() -> SignRequestBuilder {
    SignRequest::builder()
        .request_type(RequestType::UserPersonal)
        .trigger_type(TriggerType::Push)
        .user_name(ENVELOPE_A)
        .user_phone(ENVELOPE_B)
        .user_birthday(ENVELOPE_C)
        .session_key(SESSION_KEY)
        .service_name("토스 출금이체")
        .doc_title("출금이체 동의문")
        .doc("출금이체에 동의합니다.")
        .doc_type(DocType::Text)
}

fn pdf() -> SignRequestBuilder {
    valid()
        .doc_type(DocType::Pdf)
        .signature_type(SignatureType::Pkcs7NoContentWithAttr)
        .doc("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
}

#[track_caller]
fn refused(builder: SignRequestBuilder) -> ValidationError {
    builder.build().expect_err("the request should be refused")
}

#[test]
fn the_baselines_pass() {
    for builder in [valid(), personal(), pdf()] {
        let request = builder.build().unwrap();
        assert!(request.warnings().is_empty());
    }
}

#[test]
fn service_name_over_50_characters() {
    let fifty = "가".repeat(50);
    assert!(valid().service_name(fifty.clone()).build().is_ok());
    let error = refused(valid().service_name(fifty + "나"));
    assert_eq!(error, ValidationError::ServiceNameTooLong { chars: 51 });
    assert_eq!(
        error.to_string(),
        "serviceName has 51 characters; at most 50 are allowed"
    );
}

#[test]
fn expire_seconds_outside_1_to_1800() {
    for ok in [1, 300, 1800] {
        let request = valid().expire_seconds(ok).build().unwrap();
        assert_eq!(request.expire_seconds(), Some(ok));
    }
    for bad in [0, 1801, u32::MAX] {
        assert_eq!(
            refused(valid().expire_seconds(bad)),
            ValidationError::ExpireSecondsOutOfRange {
                value: i64::from(bad)
            }
        );
    }
}

#[test]
fn expire_seconds_negative_on_the_wire() {
    let body = serde_json::json!({
        "requestType": "USER_CI", "triggerType": "PUSH", "userCi": ENVELOPE_A,
        "sessionKey": SESSION_KEY, "serviceName": "s", "docTitle": "t", "doc": "d",
        "docType": "TEXT", "expireSeconds": -5
    });
    let builder: SignRequestBuilder = serde_json::from_value(body).unwrap();
    assert_eq!(
        refused(builder),
        ValidationError::ExpireSecondsOutOfRange { value: -5 }
    );
}

#[test]
fn missing_personal_fields_for_user_personal() {
    let without_phone_and_birthday = SignRequest::builder()
        .request_type(RequestType::UserPersonal)
        .trigger_type(TriggerType::Push)
        .user_name(ENVELOPE_A)
        .session_key(SESSION_KEY)
        .service_name("s")
        .doc_title("t")
        .doc("d")
        .doc_type(DocType::Text);
    let error = refused(without_phone_and_birthday);
    assert_eq!(
        error,
        ValidationError::MissingPersonalFields {
            missing: vec!["userPhone", "userBirthday"]
        }
    );
    assert_eq!(
        error.to_string(),
        "requestType USER_PERSONAL needs userPhone, userBirthday"
    );
}

#[test]
fn missing_user_ci_for_user_ci() {
    let mut without_ci = SignRequest::builder()
        .request_type(RequestType::UserCi)
        .trigger_type(TriggerType::Push)
        .session_key(SESSION_KEY)
        .service_name("s")
        .doc_title("t")
        .doc("d")
        .doc_type(DocType::Text);
    assert_eq!(refused(without_ci.clone()), ValidationError::MissingUserCi);
    without_ci = without_ci.request_type(RequestType::UserPersonal);
    assert!(matches!(
        refused(without_ci),
        ValidationError::MissingPersonalFields { .. }
    ));
}

#[test]
fn both_kinds_of_signer_at_once() {
    assert_eq!(
        refused(personal().user_ci(ENVELOPE_A)),
        ValidationError::MixedSignerFields
    );
    assert_eq!(
        refused(valid().user_phone(ENVELOPE_B)),
        ValidationError::MixedSignerFields
    );
}

#[test]
fn callback_urls_without_app_scheme() {
    assert_eq!(
        refused(valid().success_callback_url("myapp://ok")),
        ValidationError::CallbackWithoutAppScheme {
            field: "successCallbackUrl"
        }
    );
    assert_eq!(
        refused(valid().fail_callback_url("myapp://fail")),
        ValidationError::CallbackWithoutAppScheme {
            field: "failCallbackUrl"
        }
    );
    let with_app_scheme = valid()
        .trigger_type(TriggerType::AppScheme)
        .success_callback_url("myapp://ok")
        .fail_callback_url("myapp://fail")
        .build()
        .unwrap();
    assert_eq!(with_app_scheme.success_callback_url(), Some("myapp://ok"));
    assert_eq!(with_app_scheme.fail_callback_url(), Some("myapp://fail"));
}

#[test]
fn pdf_without_the_no_content_signature() {
    assert_eq!(
        refused(pdf().signature_type(SignatureType::Pkcs7)),
        ValidationError::PdfWithoutNoContentSignature {
            signature_type: SignatureType::Pkcs7
        }
    );
    let no_signature_type = SignRequest::builder()
        .request_type(RequestType::UserCi)
        .trigger_type(TriggerType::Push)
        .user_ci(ENVELOPE_A)
        .session_key(SESSION_KEY)
        .service_name("s")
        .doc_title("t")
        .doc("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        .doc_type(DocType::Pdf);
    let error = refused(no_signature_type);
    assert_eq!(
        error,
        ValidationError::PdfWithoutNoContentSignature {
            signature_type: SignatureType::Pkcs7
        }
    );
    assert_eq!(
        error.to_string(),
        "docType PDF needs signatureType PKCS7_NO_CONTENT_WITH_ATTR, not PKCS7"
    );
}

#[test]
fn pdf_with_a_doc_that_is_not_base64() {
    for bad in [
        "%PDF-1.7 not a hash",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
        "a b c d",
    ] {
        assert_eq!(
            refused(pdf().doc(bad)),
            ValidationError::PdfDocNotBase64,
            "{bad}"
        );
    }
    // Encrypted, the doc is an envelope around the base64 and cannot be checked here.
    assert!(pdf().doc(ENVELOPE_A).doc_encrypted(true).build().is_ok());
}

#[test]
fn empty_doc_or_doc_title() {
    assert_eq!(refused(valid().doc("")), ValidationError::EmptyDoc);
    assert_eq!(refused(valid().doc(" \n\t")), ValidationError::EmptyDoc);
    assert_eq!(
        refused(valid().doc_title("")),
        ValidationError::EmptyDocTitle
    );
    assert_eq!(
        refused(valid().doc_title("   ")),
        ValidationError::EmptyDocTitle
    );
}

#[test]
fn required_fields() {
    let cases: [(&str, SignRequestBuilder); 6] = [
        ("requestType", valid_without(|b| b.request_type = None)),
        ("triggerType", valid_without(|b| b.trigger_type = None)),
        ("serviceName", valid_without(|b| b.service_name = None)),
        ("docTitle", valid_without(|b| b.doc_title = None)),
        ("doc", valid_without(|b| b.doc = None)),
        ("docType", valid_without(|b| b.doc_type = None)),
    ];
    for (field, builder) in cases {
        assert_eq!(refused(builder), ValidationError::MissingField { field });
    }
}

#[test]
fn session_key_with_personal_data_or_encrypted_doc() {
    let without_key = valid_without(|b| b.session_key = None);
    assert_eq!(refused(without_key), ValidationError::MissingSessionKey);
}

#[test]
fn fields_that_must_travel_encrypted() {
    assert_eq!(
        refused(personal().user_name("김토스")),
        ValidationError::NotEncrypted { field: "userName" }
    );
    assert_eq!(
        refused(personal().user_phone("01012345678")),
        ValidationError::NotEncrypted { field: "userPhone" }
    );
    assert_eq!(
        refused(personal().user_birthday("19930324")),
        ValidationError::NotEncrypted {
            field: "userBirthday"
        }
    );
    assert_eq!(
        refused(valid().user_ci("CI0110000000001")),
        ValidationError::NotEncrypted { field: "userCi" }
    );
    assert_eq!(
        refused(valid().session_key("not a key")),
        ValidationError::NotEncrypted {
            field: "sessionKey"
        }
    );
    assert_eq!(
        refused(valid().doc_encrypted(true)),
        ValidationError::NotEncrypted { field: "doc" }
    );
    assert!(valid().doc(ENVELOPE_B).doc_encrypted(true).build().is_ok());
}

#[test]
fn errors_never_quote_values() {
    let secret = "김토스 01012345678";
    let error = refused(personal().user_name(secret));
    assert!(!error.to_string().contains("김토스"));
    assert!(!format!("{error:?}").contains("김토스"));
}

#[test]
fn a_doc_over_2000_characters_is_accepted_with_a_warning() {
    let at_limit = valid().doc("가".repeat(2000)).build().unwrap();
    assert!(at_limit.warnings().is_empty());
    let long = valid().doc("가".repeat(2001)).build().unwrap();
    assert_eq!(
        long.warnings(),
        [SignRequestWarning::LongDoc { chars: 2001 }]
    );
    assert_eq!(
        long.warnings()[0].to_string(),
        "doc has 2001 characters; the provider recommends at most 2000"
    );
    // Warnings are advice for the caller, not part of the body.
    let body = serde_json::to_value(&long).unwrap();
    assert!(body.get("warnings").is_none());
}

#[test]
fn deserializing_applies_the_same_rules() {
    let mut body = serde_json::to_value(valid().build().unwrap()).unwrap();
    body["serviceName"] = serde_json::Value::String("가".repeat(51));
    let error = serde_json::from_value::<SignRequest>(body.clone()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "serviceName has 51 characters; at most 50 are allowed"
    );
    let builder: SignRequestBuilder = serde_json::from_value(body).unwrap();
    assert_eq!(
        builder.build().unwrap_err(),
        ValidationError::ServiceNameTooLong { chars: 51 }
    );
}

#[test]
fn doc_encrypted_reads_text_as_well_as_booleans() {
    let mut body = serde_json::to_value(valid().doc(ENVELOPE_B).build().unwrap()).unwrap();
    body["docEncrypted"] = serde_json::Value::String("true".into());
    let request: SignRequest = serde_json::from_value(body.clone()).unwrap();
    assert!(request.doc_encrypted());
    body["docEncrypted"] = serde_json::Value::String("yes".into());
    assert!(serde_json::from_value::<SignRequest>(body).is_err());
}

#[test]
fn absent_optional_fields_stay_absent() {
    let body = serde_json::to_value(valid().build().unwrap()).unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 8, "only the set fields are written: {keys:?}");
    for absent in [
        "userName",
        "docEncrypted",
        "signatureType",
        "expireSeconds",
        "successCallbackUrl",
    ] {
        assert!(body.get(absent).is_none(), "{absent}");
    }
}

/// The valid request with the fields `change` sets to `None` left out.
fn valid_without(change: impl FnOnce(&mut Fields)) -> SignRequestBuilder {
    let mut fields = Fields::default();
    change(&mut fields);
    fields.builder()
}

/// The fields of [`valid`], as plain options a test can remove.
struct Fields {
    request_type: Option<RequestType>,
    trigger_type: Option<TriggerType>,
    service_name: Option<&'static str>,
    doc_title: Option<&'static str>,
    doc: Option<&'static str>,
    doc_type: Option<DocType>,
    session_key: Option<&'static str>,
}

impl Default for Fields {
    fn default() -> Self {
        Self {
            request_type: Some(RequestType::UserCi),
            trigger_type: Some(TriggerType::Push),
            service_name: Some("토스 출금이체"),
            doc_title: Some("출금이체 동의문"),
            doc: Some("출금이체에 동의합니다."),
            doc_type: Some(DocType::Text),
            session_key: Some(SESSION_KEY),
        }
    }
}

impl Fields {
    fn builder(self) -> SignRequestBuilder {
        let mut builder = SignRequest::builder().user_ci(ENVELOPE_A);
        if let Some(v) = self.request_type {
            builder = builder.request_type(v);
        }
        if let Some(v) = self.trigger_type {
            builder = builder.trigger_type(v);
        }
        if let Some(v) = self.service_name {
            builder = builder.service_name(v);
        }
        if let Some(v) = self.doc_title {
            builder = builder.doc_title(v);
        }
        if let Some(v) = self.doc {
            builder = builder.doc(v);
        }
        if let Some(v) = self.doc_type {
            builder = builder.doc_type(v);
        }
        if let Some(v) = self.session_key {
            builder = builder.session_key(v);
        }
        builder
    }
}
