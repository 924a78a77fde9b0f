//! The RFC 3161 time-stamping authority at `/tsa`, checked with `openssl ts -verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use cmpv2::status::{PkiFailureInfoValues, PkiStatus};
use cms::signed_data::SignedData;
use const_oid::db::rfc5912::{ID_SHA_1, ID_SHA_256};
use der::asn1::{Int, OctetString};
use der::{Any, Decode, Encode};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use toss_emulator::clock::Clock as _;
use toss_emulator::{TSA_POLICY, UserBehaviour};
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use support::{TempDir, hex, require_openssl, start};

fn request(
    algorithm: const_oid::ObjectIdentifier,
    hash: &[u8],
    nonce: Option<&[u8]>,
    cert_req: bool,
) -> Vec<u8> {
    TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: algorithm,
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(hash).unwrap(),
        },
        req_policy: None,
        nonce: nonce.map(|nonce| Int::new(nonce).unwrap()),
        cert_req,
        extensions: None,
    }
    .to_der()
    .unwrap()
}

async fn stamp(env: &support::Env, body: Vec<u8>) -> Vec<u8> {
    let response = env
        .http
        .post(env.emulator.tsa_url())
        .header("content-type", "application/timestamp-query")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/timestamp-reply"
    );
    response.bytes().await.unwrap().to_vec()
}

fn tst_info(reply: &TimeStampResp<'_>) -> (SignedData, TstInfo) {
    let token = reply.time_stamp_token.as_ref().unwrap();
    let signed: SignedData = token.content.decode_as().unwrap();
    let econtent = signed.encap_content_info.econtent.as_ref().unwrap();
    let info = TstInfo::from_der(econtent.value()).unwrap();
    (signed, info)
}

fn openssl(args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new("openssl").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn time_stamps_verify_with_openssl() {
    let env = start(UserBehaviour::default()).await;
    require_openssl();
    let dir = TempDir::new();
    let ca = dir.path("ca.pem");
    std::fs::write(&ca, env.emulator.ca_certificate_pem()).unwrap();
    let tsa = dir.path("tsa.pem");
    std::fs::write(&tsa, env.emulator.tsa_certificate_pem()).unwrap();

    // The TSA certificate's extensions, as RFC 3161 § 2.3 wants them.
    let text = openssl(&[
        "x509".as_ref(),
        "-in".as_ref(),
        tsa.as_os_str(),
        "-noout".as_ref(),
        "-text".as_ref(),
    ]);
    assert!(text.contains("CN = Toss Cert Emulator TSA"), "{text}");
    assert!(
        text.contains("X509v3 Extended Key Usage: critical\n                Time Stamping\n"),
        "{text}"
    );
    assert!(
        text.contains("X509v3 Key Usage: critical\n                Digital Signature\n"),
        "{text}"
    );

    let digest = Sha256::digest(b"a signedDoc's signature value");
    let nonce = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];

    // With the certificate in the token.
    let der = stamp(&env, request(ID_SHA_256, &digest, Some(&nonce), true)).await;
    let reply = TimeStampResp::from_der(&der).unwrap();
    assert_eq!(reply.status.status, PkiStatus::Accepted);
    let (signed, info) = tst_info(&reply);
    assert!(signed.certificates.is_some());
    assert_eq!(info.policy, TSA_POLICY);
    assert_eq!(info.nonce.as_ref().unwrap().as_bytes(), nonce);
    assert_eq!(info.message_imprint.hashed_message.as_bytes(), &digest[..]);
    assert_eq!(info.accuracy.as_ref().unwrap().seconds, Some(1));
    let now = env.clock.now().unix_timestamp();
    assert_eq!(
        i64::try_from(info.gen_time.to_unix_duration().as_secs()).unwrap(),
        now
    );
    let first_serial = info.serial_number.as_bytes().to_vec();

    let reply_path = dir.path("reply.tsr");
    std::fs::write(&reply_path, &der).unwrap();
    let verified = openssl(&[
        "ts".as_ref(),
        "-verify".as_ref(),
        "-digest".as_ref(),
        hex(&digest).as_ref(),
        "-in".as_ref(),
        reply_path.as_os_str(),
        "-CAfile".as_ref(),
        ca.as_os_str(),
    ]);
    assert!(verified.contains("Verification: OK"), "{verified}");
    let text = openssl(&[
        "ts".as_ref(),
        "-reply".as_ref(),
        "-in".as_ref(),
        reply_path.as_os_str(),
        "-text".as_ref(),
    ]);
    assert!(text.contains("Status: Granted"), "{text}");
    assert!(text.contains("Nonce: 0x123456789ABCDEF0"), "{text}");
    assert!(text.contains("1.3.6.1.4.1.32473.3161.1"), "{text}");

    // Without it: openssl needs the TSA certificate given as untrusted. Serials grow.
    let der = stamp(&env, request(ID_SHA_256, &digest, None, false)).await;
    let reply = TimeStampResp::from_der(&der).unwrap();
    let (signed, info) = tst_info(&reply);
    assert!(signed.certificates.is_none());
    assert!(info.nonce.is_none());
    assert!(info.serial_number.as_bytes() > first_serial.as_slice());
    std::fs::write(&reply_path, &der).unwrap();
    let verified = openssl(&[
        "ts".as_ref(),
        "-verify".as_ref(),
        "-digest".as_ref(),
        hex(&digest).as_ref(),
        "-in".as_ref(),
        reply_path.as_os_str(),
        "-CAfile".as_ref(),
        ca.as_os_str(),
        "-untrusted".as_ref(),
        tsa.as_os_str(),
    ]);
    assert!(verified.contains("Verification: OK"), "{verified}");

    // A request made by openssl itself, checked against that request (nonce included).
    let data = dir.path("data.bin");
    std::fs::write(&data, b"some document").unwrap();
    let query = dir.path("query.tsq");
    openssl(&[
        "ts".as_ref(),
        "-query".as_ref(),
        "-data".as_ref(),
        data.as_os_str(),
        "-sha512".as_ref(),
        "-cert".as_ref(),
        "-out".as_ref(),
        query.as_os_str(),
    ]);
    let der = stamp(&env, std::fs::read(&query).unwrap()).await;
    std::fs::write(&reply_path, &der).unwrap();
    let verified = openssl(&[
        "ts".as_ref(),
        "-verify".as_ref(),
        "-queryfile".as_ref(),
        query.as_os_str(),
        "-in".as_ref(),
        reply_path.as_os_str(),
        "-CAfile".as_ref(),
        ca.as_os_str(),
    ]);
    assert!(verified.contains("Verification: OK"), "{verified}");

    // A different digest does not verify.
    let output = Command::new("openssl")
        .args(["ts", "-verify", "-digest"])
        .arg(hex(&Sha256::digest(b"something else")))
        .arg("-in")
        .arg(&reply_path)
        .arg("-CAfile")
        .arg(&ca)
        .output()
        .unwrap();
    assert!(!output.status.success());
}

#[tokio::test]
async fn unsupported_requests_are_rejected() {
    let env = start(UserBehaviour::default()).await;
    let rejected = |der: &[u8], failure: PkiFailureInfoValues| {
        let reply = TimeStampResp::from_der(der).unwrap();
        assert_eq!(reply.status.status, PkiStatus::Rejection);
        assert!(reply.time_stamp_token.is_none());
        let info = reply.status.fail_info.unwrap();
        assert!(info.contains(failure), "{info:?}");
        assert!(reply.status.status_string.is_some());
    };

    // SHA-1 is not offered.
    let sha1 = [0u8; 20];
    rejected(
        &stamp(&env, request(ID_SHA_1, &sha1, None, false)).await,
        PkiFailureInfoValues::BadAlg,
    );
    // A SHA-256 imprint of the wrong length.
    rejected(
        &stamp(&env, request(ID_SHA_256, &[1u8; 20], None, false)).await,
        PkiFailureInfoValues::BadDataFormat,
    );
    // Not DER at all.
    rejected(
        &stamp(&env, b"garbage".to_vec()).await,
        PkiFailureInfoValues::BadDataFormat,
    );
    // Version 2: the INTEGER 1 right after the SEQUENCE header becomes 2.
    let mut der = request(ID_SHA_256, &[1u8; 32], None, false);
    assert_eq!(&der[2..5], &[0x02, 0x01, 0x01]);
    der[4] = 2;
    rejected(&stamp(&env, der).await, PkiFailureInfoValues::BadRequest);
}
