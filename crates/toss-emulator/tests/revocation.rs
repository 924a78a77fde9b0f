//! Revocation: the CA's CRL at its distribution point, checked with `openssl crl`, the
//! revoke control endpoint and handle method, and the certificate check after a revocation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignedData};
use der::pem::LineEnding;
use der::{Decode, EncodePem};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use toss_emulator::{Error, RevocationReason, UserBehaviour};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, CrlDistributionPoints, CrlNumber, CrlReason,
};

use support::{TempDir, VALIDATE, error_code, hex, require_openssl, start};

/// Runs openssl with `args`; asserts success and returns stdout.
fn openssl(args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new("openssl").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `openssl crl` verifies `crl` (DER) against `ca` and prints it as text.
fn openssl_crl_text(crl: &Path, ca: &Path) -> String {
    openssl(&[
        "crl".as_ref(),
        "-inform".as_ref(),
        "DER".as_ref(),
        "-in".as_ref(),
        crl.as_os_str(),
        "-CAfile".as_ref(),
        ca.as_os_str(),
        "-noout".as_ref(),
    ]);
    openssl(&[
        "crl".as_ref(),
        "-inform".as_ref(),
        "DER".as_ref(),
        "-in".as_ref(),
        crl.as_os_str(),
        "-noout".as_ref(),
        "-text".as_ref(),
    ])
}

/// A signed transaction of the default person: its txId and signedDoc (DER).
async fn signed(env: &support::Env, token: &str) -> (String, Vec<u8>) {
    let (body, _) = env.personal_request();
    let tx_id = env.sign(token, &body).await;
    env.advance(Duration::from_secs(1));
    let (status, answer, _) = env.result(token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let der = STANDARD
        .decode(answer["success"]["signedDoc"].as_str().unwrap())
        .unwrap();
    (tx_id, der)
}

/// The signer certificate inside a signedDoc.
fn signer_certificate(signed_doc: &[u8]) -> Certificate {
    let signed: SignedData = ContentInfo::from_der(signed_doc)
        .unwrap()
        .content
        .decode_as()
        .unwrap();
    let CertificateSet(set) = signed.certificates.unwrap();
    match set.into_vec().into_iter().next().unwrap() {
        cms::cert::CertificateChoices::Certificate(certificate) => certificate,
        other => panic!("not a certificate: {other:?}"),
    }
}

fn serial_hex(certificate: &Certificate) -> String {
    hex(certificate.tbs_certificate.serial_number.as_bytes())
}

async fn crl(env: &support::Env) -> Vec<u8> {
    let response = env.http.get(env.emulator.crl_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/pkix-crl"
    );
    response.bytes().await.unwrap().to_vec()
}

fn crl_number(der: &[u8]) -> u64 {
    let crl = CertificateList::from_der(der).unwrap();
    let extensions = crl.tbs_cert_list.crl_extensions.unwrap();
    let extension = extensions
        .iter()
        .find(|extension| extension.extn_id == const_oid::db::rfc5280::ID_CE_CRL_NUMBER)
        .unwrap();
    let CrlNumber(number) = CrlNumber::from_der(extension.extn_value.as_bytes()).unwrap();
    number
        .as_bytes()
        .iter()
        .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte))
}

async fn revoke(env: &support::Env, tx_id: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = env
        .http
        .post(env.url(&format!("/emulator/v1/tx/{tx_id}/revoke")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn valid(env: &support::Env, token: &str, certificate: &Certificate) -> bool {
    let pem = certificate.to_pem(LineEnding::LF).unwrap();
    let (status, answer) = env
        .post(VALIDATE, token, &json!({ "certificate": pem }))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["success"]["valid"].as_bool().unwrap()
}

#[tokio::test]
async fn user_certificates_name_the_crl_and_ocsp_urls() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let (_, der) = signed(&env, &token).await;
    let certificate = signer_certificate(&der);
    let extensions = certificate.tbs_certificate.extensions.unwrap();

    let dp = extensions
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS)
        .unwrap();
    assert!(!dp.critical);
    let CrlDistributionPoints(points) =
        CrlDistributionPoints::from_der(dp.extn_value.as_bytes()).unwrap();
    let Some(DistributionPointName::FullName(names)) = &points[0].distribution_point else {
        panic!("no full name");
    };
    let GeneralName::UniformResourceIdentifier(uri) = &names[0] else {
        panic!("not a URI");
    };
    assert_eq!(uri.as_str(), env.emulator.crl_url());
    assert_eq!(
        env.emulator.crl_url(),
        format!("{}/crl/emulator-ca.crl", env.emulator.base_url())
    );

    let aia = extensions
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_PE_AUTHORITY_INFO_ACCESS)
        .unwrap();
    assert!(!aia.critical);
    let AuthorityInfoAccessSyntax(access) =
        AuthorityInfoAccessSyntax::from_der(aia.extn_value.as_bytes()).unwrap();
    assert_eq!(access[0].access_method, const_oid::db::rfc5280::ID_AD_OCSP);
    let GeneralName::UniformResourceIdentifier(uri) = &access[0].access_location else {
        panic!("not a URI");
    };
    assert_eq!(uri.as_str(), format!("{}/ocsp", env.emulator.base_url()));
}

#[tokio::test]
async fn a_revoked_certificate_is_listed_in_the_crl_and_no_longer_valid() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    require_openssl();
    let dir = TempDir::new();
    let ca = dir.path("ca.pem");
    std::fs::write(&ca, env.emulator.ca_certificate_pem()).unwrap();
    let token = env.token().await;
    let (tx_id, der) = signed(&env, &token).await;
    let certificate = signer_certificate(&der);
    assert!(valid(&env, &token, &certificate).await);

    // Nothing revoked yet: a CRL without entries, verified by openssl.
    let before = crl(&env).await;
    let path = dir.path("before.crl");
    std::fs::write(&path, &before).unwrap();
    let text = openssl_crl_text(&path, &ca);
    assert!(text.contains("No Revoked Certificates"), "{text}");
    // Cached: the same bytes until something changes.
    assert_eq!(crl(&env).await, before);

    // Revoked an hour before the signature was made.
    let revoked_at =
        OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::hours(1);
    let (status, answer) = revoke(
        &env,
        &tx_id,
        Some(json!({"reason": "keyCompromise", "revokedAt": revoked_at.format(&Rfc3339).unwrap()})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["serialNumber"], serial_hex(&certificate));
    assert_eq!(answer["reason"], "keyCompromise");
    let answered = OffsetDateTime::parse(answer["revokedAt"].as_str().unwrap(), &Rfc3339).unwrap();
    assert_eq!(answered, revoked_at);

    let after = crl(&env).await;
    assert!(crl_number(&after) > crl_number(&before));
    let path = dir.path("after.crl");
    std::fs::write(&path, &after).unwrap();
    let text = openssl_crl_text(&path, &ca);
    assert!(
        text.contains(&serial_hex(&certificate).to_uppercase()),
        "{text}"
    );
    assert!(text.contains("Key Compromise"), "{text}");
    let parsed = CertificateList::from_der(&after).unwrap();
    let entries = parsed.tbs_cert_list.revoked_certificates.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].serial_number,
        certificate.tbs_certificate.serial_number
    );
    assert_eq!(
        entries[0].revocation_date.to_unix_duration().as_secs(),
        u64::try_from(revoked_at.unix_timestamp()).unwrap()
    );
    let reason = entries[0].crl_entry_extensions.as_ref().unwrap();
    assert_eq!(
        CrlReason::from_der(reason[0].extn_value.as_bytes()).unwrap(),
        CrlReason::KeyCompromise
    );

    // The certificate check now says no; the signedDoc already made is unchanged.
    assert!(!valid(&env, &token, &certificate).await);
    let (status, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        STANDARD
            .decode(answer["success"]["signedDoc"].as_str().unwrap())
            .unwrap(),
        der
    );

    // The same person signs again: a new certificate, valid.
    let (other_tx, other_der) = signed(&env, &token).await;
    let renewed = signer_certificate(&other_der);
    assert_ne!(serial_hex(&renewed), serial_hex(&certificate));
    assert_ne!(
        renewed.tbs_certificate.subject_public_key_info,
        certificate.tbs_certificate.subject_public_key_info
    );
    assert!(valid(&env, &token, &renewed).await);

    // Revoked in an hour, without a reason: valid until then, and no reasonCode entry.
    let later = OffsetDateTime::now_utc() + time::Duration::hours(1);
    let (status, answer) = revoke(
        &env,
        &other_tx,
        Some(json!({"revokedAt": later.format(&Rfc3339).unwrap()})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["reason"], "unspecified");
    assert!(valid(&env, &token, &renewed).await);
    let third = crl(&env).await;
    assert!(crl_number(&third) > crl_number(&after));
    let parsed = CertificateList::from_der(&third).unwrap();
    let entries = parsed.tbs_cert_list.revoked_certificates.unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries[1].crl_entry_extensions.is_none());
    env.advance(Duration::from_secs(2 * 3600));
    let token = env.token().await;
    assert!(!valid(&env, &token, &renewed).await);
}

#[tokio::test]
async fn the_crl_is_issued_again_when_it_reaches_its_next_update() {
    let env = support::start_with(|b| b.crl_validity(Duration::from_secs(3600))).await;
    let first = crl(&env).await;
    let parsed = CertificateList::from_der(&first).unwrap().tbs_cert_list;
    let this_update = parsed.this_update.to_unix_duration();
    assert_eq!(
        parsed.next_update.unwrap().to_unix_duration() - this_update,
        Duration::from_secs(3600)
    );
    assert_eq!(parsed.version, x509_cert::Version::V2);

    env.advance(Duration::from_secs(3599));
    assert_eq!(crl(&env).await, first);
    env.advance(Duration::from_secs(1));
    let second = crl(&env).await;
    assert_eq!(crl_number(&second), crl_number(&first) + 1);
    let parsed = CertificateList::from_der(&second).unwrap().tbs_cert_list;
    assert_eq!(
        parsed.this_update.to_unix_duration() - this_update,
        Duration::from_secs(3600)
    );
}

#[tokio::test]
async fn revocations_that_cannot_be_made_are_refused() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;

    let (status, answer) = revoke(&env, "no-such-tx", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(error_code(&answer), "CE3100");

    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    let (status, answer) = revoke(&env, &tx_id, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(error_code(&answer), "CE3000");
    assert!(matches!(
        env.emulator
            .revoke(&tx_id, RevocationReason::Superseded, None),
        Err(Error::NotSigned)
    ));
    assert!(matches!(
        env.emulator
            .revoke("no-such-tx", RevocationReason::Superseded, None),
        Err(Error::UnknownTransaction)
    ));

    env.emulator.complete(&tx_id).unwrap();
    let (status, answer) = revoke(&env, &tx_id, Some(json!({"reason": "sleepy"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(error_code(&answer), "CE3000");

    // Expired by hand: nothing was signed.
    let (body, _) = env.personal_request();
    let expired = env.sign(&token, &body).await;
    env.emulator.expire(&expired).unwrap();
    let (status, _) = revoke(&env, &expired, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_handle_revokes_a_signature_whose_result_was_not_fetched_yet() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    env.emulator.complete(&tx_id).unwrap();

    let revocation = env
        .emulator
        .revoke(&tx_id, RevocationReason::CaCompromise, None)
        .unwrap();
    assert_eq!(revocation.reason, RevocationReason::CaCompromise);
    let json = serde_json::to_value(&revocation).unwrap();
    assert_eq!(json["reason"], "cACompromise");

    // The result fetched afterwards is signed by the revoked certificate.
    let (status, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let der = STANDARD
        .decode(answer["success"]["signedDoc"].as_str().unwrap())
        .unwrap();
    let certificate = signer_certificate(&der);
    assert_eq!(serial_hex(&certificate), revocation.serial_number);
    assert!(!valid(&env, &token, &certificate).await);
}
