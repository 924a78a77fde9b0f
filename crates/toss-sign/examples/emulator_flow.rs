//! The whole signing flow against a local Toss Cert emulator, in one process and without
//! credentials: start `toss-emulator` on 127.0.0.1, point a client at it, ask for a
//! signature, wait for the (simulated) user, fetch and decrypt the result, and verify the
//! `signedDoc` offline with `toss-signed-doc`, the emulator's test CA as trust anchor.
//!
//! Needs the features `aws-lc` and `reqwest` (both on by default):
//!
//! ```text
//! cargo run -p toss-sign --example emulator_flow
//! ```

use std::error::Error;
use std::time::Duration;

use time::macros::date;
use toss_emulator::{Emulator, UserBehaviour};
use toss_sign::{Client, Document, Environment, PollPolicy, SignatureRequest, Signer, Trigger};
use toss_signed_doc::{Expected, SignedDoc, TrustAnchors, Verifier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The emulator: a 2048-bit key (quick to generate); its simulated user opens the request
    // after 200 ms and signs after 500 ms, on the real clock.
    let emulator = Emulator::builder()
        .rsa_bits(2048)
        .user_behaviour(UserBehaviour::completes(
            Duration::from_millis(200),
            Duration::from_millis(500),
        ))
        .start()
        .await?;
    println!("emulator:  {}", emulator.base_url());

    // The client, pointed at the emulator: its URL, credentials and public key.
    let client = Client::builder()
        .client_id(emulator.client_id())
        .client_secret(emulator.client_secret())
        .environment(Environment::single_host(emulator.base_url()))
        .public_key(emulator.public_key_base64())
        .crypto_provider(&toss_crypto::backend::aws_lc::PROVIDER)
        .build()?;

    let text = "출금이체에 동의합니다. 매월 25일, 10,000원.";
    let request = SignatureRequest::builder()
        .signer(Signer::personal(
            "홍길동",
            "010-1234-5678",
            date!(1993 - 03 - 24),
        )?)
        .trigger(Trigger::Push)
        .document(Document::text(text)?)
        .encrypt_document(true)
        .service_name("토스 출금이체 (emulator)")
        .title("출금이체 동의서")
        .expires_in(Duration::from_secs(300))
        .build()?;

    let requested = client.request_signature(&request).await?;
    println!("txId:      {}", requested.tx_id);

    let policy = PollPolicy::new()
        .initial_interval(Duration::from_millis(100))
        .max_interval(Duration::from_millis(500))
        .timeout(Duration::from_secs(60));
    client
        .wait(&requested.tx_id, &policy, |status| {
            println!("status:    {status}");
        })
        .await?;

    let signed = client.result(&requested.tx_id).await?;
    let person = signed
        .person
        .as_ref()
        .ok_or("the result carries no personal data")?;
    println!(
        "signer:    {} (born {})",
        person.name.as_str(),
        person.birthday
    );
    println!("signed at: {}", signed.completed_at);

    // Offline verification: the document, the signature, and the chain to the emulator's CA.
    let signed_doc = SignedDoc::from_der(&signed.signed_doc.der)?;
    let verifier =
        Verifier::new().trust_anchors(TrustAnchors::from_pem(emulator.ca_certificate_pem())?);
    let report = verifier.verify_trusted(&signed_doc, Expected::Text(&signed.doc))?;
    println!("verification report:");
    println!("{}", serde_json::to_string_pretty(&report)?);

    // And the provider's own opinion of the signer's certificate.
    let check = client
        .validate_certificate(&signed_doc.signer_certificate_pem())
        .await?;
    println!(
        "certificate: valid={} enabled={}",
        check.valid(),
        check.enabled()
    );
    if !(check.valid() && check.enabled()) {
        return Err("the emulator refused its own certificate".into());
    }

    emulator.shutdown().await?;
    Ok(())
}
