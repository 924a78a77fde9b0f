//! The emulator's signatures verify with an independent implementation:
//! `openssl cms -verify` against the emulator's CA certificate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use toss_emulator::UserBehaviour;
use toss_model::{DocType, RequestType, SignRequest, SignatureType, TriggerType};

use support::{BIRTHDAY, DOC, NAME, PHONE, TempDir, require_openssl, start};

/// Runs `openssl cms -verify`; asserts success and returns what it printed on stdout.
fn verify(sig: &Path, ca: &Path, content: Option<&Path>) -> Vec<u8> {
    let mut command = Command::new("openssl");
    command
        .args(["cms", "-verify", "-inform", "DER", "-in"])
        .arg(sig)
        .arg("-CAfile")
        .arg(ca)
        .args(["-purpose", "any", "-binary"]);
    if let Some(content) = content {
        command.arg("-content").arg(content);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "openssl cms -verify failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

async fn signed_doc(
    env: &support::Env,
    configure: impl FnOnce(toss_model::SignRequestBuilder) -> toss_model::SignRequestBuilder,
) -> Vec<u8> {
    let token = env.token().await;
    let session = env.session();
    let builder = SignRequest::builder()
        .request_type(RequestType::UserPersonal)
        .trigger_type(TriggerType::Push)
        .user_name(session.encrypt(NAME).unwrap())
        .user_phone(session.encrypt(PHONE).unwrap())
        .user_birthday(session.encrypt(BIRTHDAY).unwrap())
        .session_key(session.session_key())
        .service_name("토스 출금이체")
        .doc_title("출금이체 동의문");
    let request = configure(builder).build().unwrap();
    let tx_id = env.sign(&token, &request).await;
    env.advance(Duration::from_secs(1));
    let (status, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    STANDARD
        .decode(answer["success"]["signedDoc"].as_str().unwrap())
        .unwrap()
}

#[tokio::test]
async fn openssl_verifies_embedded_and_detached_signatures() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    require_openssl();
    let dir = TempDir::new();
    let ca = dir.path("ca.pem");
    std::fs::write(&ca, env.emulator.ca_certificate_pem()).unwrap();

    // PKCS7: the document is inside; openssl prints it back.
    let der = signed_doc(&env, |b| b.doc(DOC).doc_type(DocType::Text)).await;
    let sig = dir.path("sig.der");
    std::fs::write(&sig, &der).unwrap();
    assert_eq!(verify(&sig, &ca, None), DOC.as_bytes());

    // PKCS7_NO_CONTENT_WITH_ATTR: only the PDF's hash was sent; it verifies against the PDF.
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
    let pdf_path = dir.path("doc.pdf");
    std::fs::write(&pdf_path, pdf).unwrap();
    let hash = STANDARD.encode(Sha256::digest(pdf));
    let der = signed_doc(&env, |b| {
        b.doc(hash)
            .doc_type(DocType::Pdf)
            .signature_type(SignatureType::Pkcs7NoContentWithAttr)
    })
    .await;
    let detached = dir.path("detached.der");
    std::fs::write(&detached, &der).unwrap();
    verify(&detached, &ca, Some(&pdf_path));

    // A different document does not verify.
    let other = dir.path("other.pdf");
    std::fs::write(&other, b"%PDF-1.7 something else").unwrap();
    let output = Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-in"])
        .arg(&detached)
        .arg("-CAfile")
        .arg(&ca)
        .args(["-purpose", "any", "-binary", "-content"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(!output.status.success());

    // Nor against another emulator's CA.
    let stranger = start(UserBehaviour::default()).await;
    let foreign_ca = dir.path("foreign.pem");
    std::fs::write(&foreign_ca, stranger.emulator.ca_certificate_pem()).unwrap();
    let output = Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-in"])
        .arg(&sig)
        .arg("-CAfile")
        .arg(&foreign_ca)
        .args(["-purpose", "any"])
        .output()
        .unwrap();
    assert!(!output.status.success());

    // The signer certificate carries the Korean name as UTF8String.
    let certs = Command::new("openssl")
        .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"])
        .arg(&sig)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&certs.stdout);
    assert!(printed.contains("signingTime"), "{printed}");
    assert!(printed.contains("messageDigest"), "{printed}");
    assert!(printed.contains("sha256WithRSAEncryption"), "{printed}");
}

#[tokio::test]
async fn a_ca_given_as_pem_issues_the_signer_certificates() {
    require_openssl();
    let dir = TempDir::new();
    let (ca, key) = (dir.path("my-ca.pem"), dir.path("my-ca.key"));
    let output = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&ca)
        .args(["-subj", "/C=KR/O=Example/CN=My Test CA", "-days", "30"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ca_pem = std::fs::read_to_string(&ca).unwrap();
    let key_pem = std::fs::read_to_string(&key).unwrap();

    let env = support::start_with(|b| {
        b.ca_from_pem(ca_pem.clone(), key_pem.clone())
            .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
    })
    .await;
    let der = signed_doc(&env, |b| b.doc(DOC).doc_type(DocType::Text)).await;
    let sig = dir.path("sig.der");
    std::fs::write(&sig, &der).unwrap();
    assert_eq!(verify(&sig, &ca, None), DOC.as_bytes());

    // A key that is not the certificate's is refused at start.
    let other_key = dir.path("other.key");
    let output = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&other_key)
        .output()
        .unwrap();
    assert!(output.status.success());
    let error = toss_emulator::Emulator::builder()
        .rsa_bits(2048)
        .ca_from_pem(ca_pem, std::fs::read_to_string(&other_key).unwrap())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(error, toss_emulator::Error::Ca(_)), "{error}");
}
